"""Engines declare what they can do; the service asks them instead of checking their names."""

from __future__ import annotations

import pytest

from assistant.engines import get_engine
from assistant.engines.base import can
from assistant.engines.llm import LLMEngine
from assistant.engines.offline import OfflineEngine
from assistant.errors import ConfigError


def test_engines_declare_their_capabilities():
    assert can(LLMEngine, "concurrent") and can(LLMEngine, "batch")
    assert not can(OfflineEngine, "concurrent") and not can(OfflineEngine, "batch")
    with pytest.raises(ValueError):
        can(LLMEngine, "telepathy")


def test_the_registry_builds_engines_by_name():
    assert isinstance(get_engine("offline"), OfflineEngine)
    with pytest.raises(ConfigError) as err:
        get_engine("oracle")
    assert "llm" in err.value.hint and "offline" in err.value.hint


def test_batch_needs_an_engine_that_can_batch(assistant, tmp_path):
    """--batch with the offline engine is refused before anything is drafted."""
    with pytest.raises(ConfigError, match="--batch needs the LLM engine"):
        assistant.score(tmp_path, period="2020-21", engine="offline", batch=True)
