"""Shared fixtures: every test gets its own data directory and no outbound network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.doubles.scripted_llm_server import block_outbound_network, scripted_llm  # noqa: F401

os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
# Real model endpoints are never configured by default in tests (kept for `-m live` only).
LIVE_ENV = {v: os.environ.pop(v) for v in ("OPENAI_API_KEY", "OPENAI_BASE_URL") if v in os.environ}
os.environ.pop("REVIEW_ASSISTANT_CONFIG", None)


@pytest.fixture(autouse=True)
def no_outbound_network(request: pytest.FixtureRequest):
    """Real outbound model calls are impossible: only loopback connections are allowed,
    except in tests marked `live` (opt in with `-m live`)."""
    if request.node.get_closest_marker("live"):
        yield
        return
    restore = block_outbound_network()
    yield
    restore()


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every data directory at a temp folder; the fast hash embedder by default."""
    home = tmp_path / "home"
    monkeypatch.setenv("REVIEW_ASSISTANT_HOME", str(home))
    monkeypatch.setenv("REVIEW_ASSISTANT_EMBEDDING__NAME", "hash")
    for var in list(os.environ):
        if var.startswith("REVIEW_ASSISTANT_") and var not in (
            "REVIEW_ASSISTANT_HOME",
            "REVIEW_ASSISTANT_EMBEDDING__NAME",
            "REVIEW_ASSISTANT_DEVSET",  # where the dev set is: test data, not a setting
        ):
            monkeypatch.delenv(var)
    return home


@pytest.fixture
def assistant(data_home: Path):
    """A service object over the temp data directory."""
    from assistant.service import Assistant

    return Assistant()
