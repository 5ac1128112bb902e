"""The labelled sets the evals use beyond `eval run`'s own, and their roles (evals/sets.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.config import REPO_ROOT

ROLES = ("fitting", "level", "held-out")
SOURCES = ("built", "shared", "generated")


@dataclass(frozen=True)
class LabelledSet:
    name: str  # its folder under evals/ (source built), and its key in thresholds.json
    short: str  # its name in make calibrate / make rerank output, and its eval home there
    reports: int
    role: str  # fitting | level | held-out
    source: str  # built | shared | generated
    built: str = ""  # source built: the folder below the eval homes its PDFs are built into
    length: str = ""  # source generated: short | long
    rerank_order: int = 0  # fitting sets: the place make rerank sums this set's pairs in


@cache
def labelled_sets() -> tuple[LabelledSet, ...]:
    """Every set in evals/sets.json, in its order there."""
    return read_sets(REPO_ROOT / "evals" / "sets.json")


def read_sets(path: Path) -> tuple[LabelledSet, ...]:
    """The sets a list like evals/sets.json gives, checked (ValueError naming the file)."""
    sets = tuple(LabelledSet(**entry) for entry in json.loads(path.read_text())["sets"])
    unknown = [s.name for s in sets if s.role not in ROLES or s.source not in SOURCES]
    if unknown:
        raise ValueError(
            f"{path}: sets {unknown} need a role of {', '.join(ROLES)} and a source of "
            f"{', '.join(SOURCES)}"
        )
    fitting = [s for s in sets if s.role == "fitting"]
    places = sorted(s.rerank_order for s in fitting)
    if places != list(range(1, len(fitting) + 1)) or any(
        s.rerank_order for s in sets if s.role != "fitting"
    ):
        raise ValueError(
            f"{path}: each fitting set needs its own rerank_order, 1 to {len(fitting)} "
            "(a new one takes the next place), and no other set has one"
        )
    return sets


def sets_in(*roles: str, source: str | None = None) -> list[LabelledSet]:
    """The sets of these roles (all roles when none is named), of one source if named."""
    return [
        s
        for s in labelled_sets()
        if (not roles or s.role in roles) and (source is None or s.source == source)
    ]
