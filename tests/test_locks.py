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


def _open_after(barrier, path, results) -> None:
    from assistant.db import Database

    barrier.wait()
    try:
        Database(path)
        results.put("ok")
    except Exception as exc:  # the failure is the finding: report it, don't hang the test
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_data_file_together_all_get_in(tmp_path):
    # SQLite refuses a change to WAL mode while another connection holds a lock, without
    # waiting: before the fix about one trio in six failed here with "database is locked"
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    outcomes = []
    for round_ in range(40):
        path = tmp_path / f"home{round_}" / "review.sqlite3"
        barrier, results = ctx.Barrier(3), ctx.Queue()
        procs = [ctx.Process(target=_open_after, args=(barrier, path, results)) for _ in range(3)]
        for proc in procs:
            proc.start()
        outcomes += [results.get(timeout=120) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
    assert outcomes == ["ok"] * 120, [o for o in outcomes if o != "ok"][:3]
