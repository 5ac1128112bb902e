"""Prompt templates: versioned files, validated at load, rendered strictly.

Convention: one file per template version, ``prompts/templates/<name>.v<N>.yaml``, holding
``name``, ``version`` (int, equal to N), ``description``, ``variables`` (declared list), ``system``
and ``user``. Placeholders are ``{{ variable }}``. To change a prompt, add ``<name>.v<N+1>.yaml``
rather than editing a version that drafts already record; ``load_template(name)`` takes the
highest version.

Strictness, because prompt text and report text must never mix unnoticed:
- at load: every placeholder must be declared, every declared variable used, no stray ``{{``/``}}``;
- at render: every declared variable must be given and nothing else;
- values are inserted verbatim in one pass, so a value containing ``{{ x }}`` stays literal.

Report text is untrusted; ``format_evidence_blocks`` wraps it in ``<evidence>`` blocks that it
cannot close or forge.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.questions import PROMPTS_DIR

TEMPLATES_DIR = PROMPTS_DIR / "templates"
_FILE_RE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>[0-9]+)\.yaml$")
_PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_BLOCK_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# A "<" (or a full-width / small look-alike) that starts something tag-like: a closing or opening
# tag, a comment, or a chat-template special token such as "<|im_start|>" or "<｜begin｜>".
# Characters a reader or tokenizer may not see must not hide it: whitespace, controls, format
# characters (Cf: zero-width, bidi, tags block), combining marks (Mn/Me, variation selectors)
# and the other default-ignorable code points (Hangul fillers...). Plain "<" in text ("< 5%",
# "a<b5") is left alone so quotes stay exact in ordinary reports.
_LT_RE = re.compile("[<\uff1c\ufe64]")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Mn", "Me", "Zs", "Zl", "Zp"})
_INVISIBLE_RANGES = (  # default-ignorable or blank-looking code points of other categories
    (0x115F, 0x1160),  # Hangul choseong / jungseong fillers
    (0x2065, 0x2065),
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),  # Hangul filler
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0FFF),  # tags block and the rest of plane 14's ignorables
)
# Solidus, bang, question mark and vertical-bar look-alikes that can open a tag or token.
_TAG_START_MARKS = frozenset("/!?|\u2044\u2215\u29f8\uff0f\uff01\uff1f\uff5c\u2223\u01c0")
NEUTRALISED_LT = "&lt;"
NO_EVIDENCE = "(no evidence blocks were retrieved)"


class PromptError(ValueError):
    """A template is invalid, missing, or rendered with the wrong variables."""


class RenderedPrompt(BaseModel):
    """A rendered prompt plus the template identity every logged call records."""

    model_config = ConfigDict(frozen=True)

    system: str
    user: str
    template_name: str
    template_version: int

    def messages(self) -> list[dict[str, str]]:
        """Chat messages in the OpenAI format."""
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]


class PromptTemplate(BaseModel):
    """One version of a prompt template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    description: str = ""
    variables: list[str]
    system: str
    user: str

    @model_validator(mode="after")
    def _check_placeholders(self) -> PromptTemplate:
        where = f"template {self.name} v{self.version}"
        if len(set(self.variables)) != len(self.variables):
            raise ValueError(f"{where}: duplicate names in variables {self.variables}")
        used: set[str] = set()
        for part in ("system", "user"):
            text = getattr(self, part)
            names = _PLACEHOLDER_RE.findall(text)
            undeclared = sorted(set(names) - set(self.variables))
            if undeclared:
                raise ValueError(
                    f"{where}: {part} uses undeclared variable(s) {undeclared}; "
                    f"declared: {self.variables}"
                )
            leftover = _PLACEHOLDER_RE.sub("", text)
            if "{{" in leftover or "}}" in leftover:
                raise ValueError(
                    f"{where}: {part} has a malformed placeholder (stray '{{{{' or '}}}}')"
                )
            used.update(names)
        unused = sorted(set(self.variables) - used)
        if unused:
            raise ValueError(f"{where}: declared variable(s) {unused} are never used")
        return self

    def render(self, **values: Any) -> RenderedPrompt:
        """Fill the placeholders; every declared variable must be given, and nothing else.

        Values (str, int or float) are inserted verbatim in a single pass: text inside a value
        is never expanded, so a report passage containing ``{{ question }}`` stays literal.
        """
        where = f"template {self.name} v{self.version}"
        missing = [v for v in self.variables if v not in values]
        extra = sorted(set(values) - set(self.variables))
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing variable(s) {missing}")
            if extra:
                parts.append(f"unexpected variable(s) {extra}")
            raise PromptError(f"{where}: {'; '.join(parts)}")
        text: dict[str, str] = {}
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                kind = type(value).__name__
                raise PromptError(
                    f"{where}: variable {key!r} must be str, int or float, not {kind}"
                )
            text[key] = str(value)

        def fill(source: str) -> str:
            return _PLACEHOLDER_RE.sub(lambda m: text[m.group(1)], source)

        return RenderedPrompt(
            system=fill(self.system),
            user=fill(self.user),
            template_name=self.name,
            template_version=self.version,
        )


def list_templates(directory: Path | None = None) -> dict[str, list[int]]:
    """Template name -> available versions (ascending) in a directory."""
    directory = Path(directory) if directory is not None else TEMPLATES_DIR
    found: dict[str, list[int]] = {}
    for path in directory.glob("*.yaml"):
        m = _FILE_RE.match(path.name)
        if m:
            found.setdefault(m["name"], []).append(int(m["version"]))
    return {name: sorted(vs) for name, vs in sorted(found.items())}


def load_template(
    name: str, version: int | None = None, directory: Path | None = None
) -> PromptTemplate:
    """Load ``<directory>/<name>.v<version>.yaml`` (highest version when ``version`` is None).

    Raises PromptError naming the file and the problem (missing template or version, bad YAML,
    name/version not matching the file name, undeclared or unused placeholders).
    """
    directory = Path(directory) if directory is not None else TEMPLATES_DIR
    available = list_templates(directory)
    if name not in available:
        raise PromptError(
            f"no template {name!r} in {directory} (available: {', '.join(available) or 'none'})"
        )
    if version is None:
        version = available[name][-1]
    elif version not in available[name]:
        raise PromptError(f"template {name!r} has no version {version} (have {available[name]})")
    path = directory / f"{name}.v{version}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise PromptError(f"{path}: expected a mapping")
    if raw.get("name") != name or raw.get("version") != version:
        raise PromptError(
            f"{path}: name/version inside the file ({raw.get('name')!r}, {raw.get('version')!r}) "
            f"must match the file name ({name!r}, {version})"
        )
    try:
        return PromptTemplate.model_validate(raw)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            msgs.append(f"{loc}: {msg}" if loc else msg)
        raise PromptError(f"{path}: {'; '.join(msgs)}") from None


def _invisible(ch: str) -> bool:
    if ch.isspace() or unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
        return True
    cp = ord(ch)
    return any(low <= cp <= high for low, high in _INVISIBLE_RANGES)


def _starts_tag(ch: str) -> bool:
    return ch in _TAG_START_MARKS or ch.isalpha()


def neutralise(text: str) -> str:
    """Make untrusted text unable to open or close tags: tag-like ``<`` becomes ``&lt;``.

    A ``<`` is tag-like when, once the invisible characters after it are skipped, a letter or
    one of ``/ ! ? |`` (or a look-alike) follows. A quote copied from neutralised text can be
    mapped back with ``quote.replace("&lt;", "<")``.
    """
    parts: list[str] = []
    done = 0
    for match in _LT_RE.finditer(text):
        after = match.end()
        while after < len(text) and _invisible(text[after]):
            after += 1
        if after < len(text) and _starts_tag(text[after]):
            parts += [text[done : match.start()], NEUTRALISED_LT]
            done = match.end()
    parts.append(text[done:])
    return "".join(parts)


def _attr(value: Any) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return html.escape(text[:200], quote=True)


def _field(passage: Any, key: str) -> Any:
    if isinstance(passage, Mapping):
        return passage.get(key)
    return getattr(passage, key, None)


def format_evidence_blocks(passages: Iterable[Any]) -> str:
    """Render passages as delimited evidence blocks for a prompt.

    Each passage (a mapping or an object) has ``block_id`` (e.g. "E1"), ``page``, ``section`` and
    ``text``. Output, one block per passage, separated by a blank line::

        <evidence id="E1" page="12" section="Training">
        ...passage text...
        </evidence>

    Attributes are HTML-escaped and tag-like ``<`` in the text is neutralised, so a passage
    containing ``</evidence>`` or ``<evidence id="E9">`` can neither close its block nor forge
    another. Block ids must be unique and simple (letters, digits, ``_.-``).
    """
    blocks: list[str] = []
    seen: set[str] = set()
    for passage in passages:
        block_id = str(_field(passage, "block_id") or "")
        if not _BLOCK_ID_RE.match(block_id):
            raise PromptError(f"evidence block id {block_id!r} is not a simple id like 'E1'")
        if block_id in seen:
            raise PromptError(f"duplicate evidence block id {block_id!r}")
        seen.add(block_id)
        text = neutralise(str(_field(passage, "text") or "").strip())
        page, section = _attr(_field(passage, "page")), _attr(_field(passage, "section"))
        blocks.append(
            f'<evidence id="{block_id}" page="{page}" section="{section}">\n{text}\n</evidence>'
        )
    return "\n\n".join(blocks) if blocks else NO_EVIDENCE
