"""Text that is not valid Unicode: lone UTF-16 surrogates ("\\ud83d", half an emoji).

Python strings may hold them (a JSON escape, a PDF's broken font map, a file name's byte that
is not UTF-8, which `os.fsdecode` keeps as "\\udcff"), but UTF-8 cannot encode them, so SQLite,
Chroma and a terminal refuse them with UnicodeEncodeError. Two ways to make such text storable:
`escape_surrogates` keeps a record faithful (the call log, error messages, file names), and
`replace_surrogates` keeps a text readable where its characters are searched and quoted
(a page's text).
"""

from __future__ import annotations

import os
import re
from typing import Any

_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_LONE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _join_pairs(text: str) -> str:
    """A high and a low surrogate side by side are one character (an emoji split in two)."""
    return _PAIR.sub(
        lambda m: m.group().encode("utf-16-le", "surrogatepass").decode("utf-16-le"), text
    )


def has_surrogates(text: str) -> bool:
    """Whether `text` holds a code point UTF-8 cannot encode."""
    return _LONE.search(text) is not None


def escape_surrogates(text: str) -> str:
    """`text` with each lone surrogate written as its escape ("\\ud83d"), so that it can be
    stored and printed and still says what came; valid text is returned as it is."""
    if not has_surrogates(text):
        return text
    return _LONE.sub(lambda m: f"\\u{ord(m.group()):04x}", _join_pairs(text))


def replace_surrogates(text: str) -> tuple[str, int]:
    """`text` with each lone surrogate replaced by U+FFFD (one character for one, so offsets
    hold), and how many were replaced."""
    if not has_surrogates(text):
        return text, 0
    return _LONE.subn(REPLACEMENT, _join_pairs(text))


def printable_name(name: str) -> str:
    """A file name as text that can be stored and printed: a byte that is not UTF-8
    (kept by `os.fsdecode` as "\\udcff") reads as that byte ("\\xff"), as `ls -b` shows it."""
    if not has_surrogates(name):
        return name
    try:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a surrogate no file system byte gave: escape it as text
        return escape_surrogates(name)


def path_from_printable(text: str) -> str:
    """The file name `printable_name` wrote as `text`: each "\\xff" back to its byte."""
    data = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), os.fsencode(text))
    return os.fsdecode(data)


def replace_surrogates_in(value: Any) -> Any:
    """`value` (text, or lists and dicts of it, as a form sends) with every lone surrogate
    replaced by U+FFFD; anything else is returned as it is."""
    if isinstance(value, str):
        return replace_surrogates(value)[0]
    if isinstance(value, list | tuple):
        return type(value)(replace_surrogates_in(v) for v in value)
    if isinstance(value, dict):
        return {replace_surrogates_in(k): replace_surrogates_in(v) for k, v in value.items()}
    return value
