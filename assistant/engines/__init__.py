"""Drafting engines and their registry: `get_engine(name)` builds one.

The interface and the registry live in base.py; importing this package imports every engine
module, which registers itself with `@register_engine`. base.py imports no engine.
"""

from __future__ import annotations

from typing import Any

from assistant.engines import llm, offline  # noqa: F401  (register the engines)
from assistant.engines.base import _ENGINES, Engine
from assistant.errors import ConfigError


def get_engine(name: str, **options: Any) -> Engine:
    """Build a registered engine; unknown names list the known ones."""
    if name not in _ENGINES:
        raise ConfigError(
            f"unknown engine '{name}'", f"choose one of: {', '.join(sorted(_ENGINES))}"
        )
    return _ENGINES[name](**options)
