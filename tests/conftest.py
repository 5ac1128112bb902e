"""Shared fixtures: every test gets its own data directory and no outbound network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.scripted_llm_server import block_outbound_network, scripted_llm  # noqa: F401

os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
# Real model endpoints are never configured by default in tests.
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "REVIEW_ASSISTANT_CONFIG"):
    os.environ.pop(_var, None)


@pytest.fixture(autouse=True, scope="session")
def no_outbound_network():
    """Real outbound model calls are impossible: only loopback connections are allowed."""
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
        ):
            monkeypatch.delenv(var)
    return home


@pytest.fixture
def assistant(data_home: Path):
    """A service object over the temp data directory."""
    from assistant.service import Assistant

    return Assistant()
