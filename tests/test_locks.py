"""The data-directory writer lock: re-entrant in a process, exclusive across processes."""

from __future__ import annotations

import subprocess
import sys

from assistant.locks import writer_lock

HOLDER = """
import sys, time
from pathlib import Path
from assistant.locks import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(1.5)
    (Path(sys.argv[1]) / "holder-done").write_text("x")  # last thing before letting go
"""


def test_second_process_waits_for_the_first(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    waited = []
    with writer_lock(tmp_path, on_wait=lambda: waited.append(True)):
        assert (tmp_path / "holder-done").exists()  # we only got in after the holder let go
    assert waited == [True]
    holder.wait(timeout=10)


def test_reentrant_within_a_process_and_off_with_a_server(tmp_path):
    waited = []
    with writer_lock(tmp_path, on_wait=lambda: waited.append(1)):
        with writer_lock(tmp_path, on_wait=lambda: waited.append(2)):
            pass
    with writer_lock(tmp_path, enabled=False):
        pass
    assert waited == [] and (tmp_path / ".writer.lock").exists()
