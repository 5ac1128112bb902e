"""Start the real reviewer app (app.py's main) as a subprocess on 127.0.0.1 for browser tests.

The subprocess runs `python -m tests.ui_server --port N`, which blocks every non-loopback
connection before starting the app and prints "OUTBOUND BLOCKED <address>" to the app log for
each attempt, so a test can prove the app phones nowhere (no analytics, no Hub, no fonts).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Talk to the app directly, never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_assistant(home: Path):
    """The service on `home` as the app will serve it (hash embedder, offline engine, as
    `app_env`), to fill before the app starts; skips the test where Debian's Chromium is
    missing, as every browser test needs it."""
    import pytest

    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from assistant.config import load_settings
    from assistant.service import Assistant

    return Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))


def app_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the app: temp data dir, fast hash embedder, offline engine, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEW_ASSISTANT_")}
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(var, None)
    env.update(
        REVIEW_ASSISTANT_HOME=str(home),
        REVIEW_ASSISTANT_EMBEDDING__NAME="hash",
        REVIEW_ASSISTANT_ENGINE="offline",
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


@contextmanager
def running_app(home: Path, *, extra_env: dict[str, str] | None = None, timeout: float = 90.0):
    """Yield the base URL of a freshly started app; stop it (and only it) afterwards."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = home / "app.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ui_server", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=app_env(home, extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_until_ready(url, proc, timeout, log_path)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def wait_until_ready(url: str, proc: subprocess.Popen, timeout: float, log_path: Path) -> float:
    """Poll until the app answers HTTP 200; returns seconds waited. Fails with the app's log."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            with _OPENER.open(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"app not ready after {timeout}s:\n{log_path.read_text()}")


class _LoudList(list):
    def append(self, item) -> None:
        print(f"OUTBOUND BLOCKED {item!r}", file=sys.stderr, flush=True)
        super().append(item)


def main(argv: list[str] | None = None) -> int:
    """Run app.py's main with outbound network blocked (used by `running_app`)."""
    from tests.doubles import scripted_llm_server

    scripted_llm_server.BLOCKED_CONNECTIONS = _LoudList()
    scripted_llm_server.block_outbound_network()
    sys.path.insert(0, str(REPO))
    import app

    return app.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
