"""What an eval works on: one library's settings, stores and drafting, handed in by the service.

The harness never receives the service (`Assistant`): it gets an `EvalLibrary` holding the
stores it reads (reports, drafts, the database for `eval_runs`), the chunk index, and the few
use cases it drives (ingest, index a stored report, a drafter or engine by name), plus a way to
open a separate workspace library for generated or labelled reports, so fictional reports never
enter the user's library.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.db import Database
from assistant.drafting.drafter import Drafter
from assistant.drafting.store import DraftStore
from assistant.index import ChunkIndex
from assistant.library import ReportRecord, ReportStore
from assistant.questions import QuestionBank


@dataclass(frozen=True)
class EvalLibrary:
    """One library as an eval sees it."""

    settings: Settings
    bank: QuestionBank
    db: Database
    reports: ReportStore
    drafts: DraftStore
    index: Callable[[], ChunkIndex]  # built on first use (the embedder loads with it)
    drafter: Callable[[str | None], Drafter]
    engine: Callable[[str | None], Any]
    ingest: Callable[[list[Path]], Iterable[Any]]  # -> IngestResult per file
    ensure_indexed: Callable[[ReportRecord], None]
    open_workspace: Callable[[Settings], EvalLibrary]  # a separate library with these settings

    def resolve_report(self, ref: str) -> ReportRecord:
        return self.reports.resolve(ref)

    def workspace(self, folder: Path) -> EvalLibrary:
        """A separate library in `folder` for generated reports, sharing the embedding cache
        and always on a local Chroma store (never a shared `chroma run` server)."""
        return self.open_workspace(workspace_settings(self.settings, folder))


def workspace_settings(settings: Settings, folder: Path) -> Settings:
    """`settings` moved to `folder`, sharing the embedding cache (a symlink where possible)."""
    folder.mkdir(parents=True, exist_ok=True)
    cache = folder / "cache"
    if cache.is_symlink() and not cache.exists():  # the data home was moved: point it anew
        cache.unlink()
    if not cache.exists():
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(settings.cache_dir.resolve(), cache, target_is_directory=True)
        except OSError:  # no symlinks here: the static embedder distils once into the workspace
            pass
    chroma = settings.chroma.model_copy(update={"host": None, "path": None})
    return settings.model_copy(update={"home": folder, "chroma": chroma})
