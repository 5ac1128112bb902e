"""The few error types the tool raises, each carrying what the user should do next.

Messages are converted to CLI lines or UI notices only at the edge (cli.py, app.py).
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

# The hint for pages without a text layer. `ingest` takes --ocr; `score` (and any command that
# ingests) reads the setting, so the hint names both.
OCR_HINT = (
    "ingest it again with --ocr (or set ingest.ocr = true, e.g. REVIEW_ASSISTANT_INGEST__OCR=1)"
)


class ReviewAssistantError(Exception):
    """Base error: `message` says what went wrong, `hint` what to do about it."""

    retryable: bool = False

    def __init__(self, message: str, hint: str = "", *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.message}: {self.hint}" if self.hint else self.message


class InputFileError(ReviewAssistantError):
    """A report file cannot be ingested (corrupt, encrypted, scanned, wrong type, too big)."""

    def __init__(self, path: object, message: str, hint: str = "") -> None:
        # The file's name, never where it sits on the server (the UI keeps uploads in the
        # data directory); `path` keeps the full path for the program.
        super().__init__(f"{Path(str(path)).name}: {message}", hint)
        self.path = str(path)


class ConfigError(ReviewAssistantError):
    """Settings or a config/bank/template file is invalid."""


class NotFoundError(ReviewAssistantError):
    """A report, question, draft or run named by the user does not exist (or is ambiguous)."""


class EngineError(ReviewAssistantError):
    """A drafting engine or model endpoint failed; `retryable` says whether a retry may help."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        retryable: bool = False,
        attempts: int = 0,
        usage: dict | None = None,
    ) -> None:
        super().__init__(message, hint, retryable=retryable)
        self.attempts = attempts
        self.usage = usage or {}


class ConflictError(ReviewAssistantError):
    """A review decision was based on a stale state (someone else saved first)."""


def hide_paths(text: str, path: Path, *folders: Path) -> str:
    """`text` with `path` shown as its file name and `folders` (e.g. the data directory) as
    `…`, for messages that quote library exceptions (`[Errno 13] ... '/srv/...'`)."""
    path = Path(path)
    for form in sorted({str(path.resolve()), str(path.absolute()), str(path)}, key=len)[::-1]:
        if form not in (".", path.name):
            text = text.replace(form, path.name)
    for folder in folders:
        for form in sorted({str(Path(folder).resolve()), str(folder)}, key=len)[::-1]:
            if len(form) > 1:
                text = text.replace(form, "…")
    return text


def storage_problem(exc: Exception, home: Path) -> tuple[str, str] | None:
    """(message, hint) for a full disk or a data directory that cannot be written: every step
    after it would fail the same way. None for anything else."""
    text = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError) and (
        "unable to open database file" in text or "readonly database" in text
    ):
        return (
            f"cannot write to the data directory {home}",
            "make it writable, or point REVIEW_ASSISTANT_HOME at a folder you can write",
        )
    store_error = isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("chromadb")
    full = "disk is full" in text or getattr(exc, "errno", None) == errno.ENOSPC
    if full or (store_error and _nearly_full(home)):
        return (
            f"the disk holding {getattr(exc, 'filename', None) or home} is full",
            "free some space, then re-run the same command (finished work is kept)",
        )
    return None


def _nearly_full(home: Path) -> bool:
    """Under 5 MB free where the data directory is: an error of the stores there (Chroma says
    "Error in compaction") is the full disk."""
    try:
        return shutil.disk_usage(home).free < 5 * 2**20
    except OSError:
        return False


def path_problem(exc: Exception) -> tuple[str, str] | None:
    """(message, hint) for a path that cannot be used (an --out that is a file, a folder that
    does not exist or cannot be written); None for anything else."""
    if isinstance(exc, OSError) and exc.filename:
        why = exc.strerror or type(exc).__name__
        if isinstance(exc, FileExistsError | NotADirectoryError):
            hint = "a file stands where a folder is needed (an --out names a folder)"
        elif isinstance(exc, PermissionError):
            hint = "choose a folder you can write, or fix its permissions"
        else:
            hint = "check the path"
        return f"{exc.filename}: {why}", f"{hint}; REVIEW_ASSISTANT_DEBUG=1 shows where it arose"
    return None
