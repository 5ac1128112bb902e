"""The audit question bank: models, loader and answer validation.

The bank is data (``prompts/audit_tool.yaml`` by default; users may point the tool at their own
file). Loading validates it strictly, and every error names the file and, where it can, the
question id, because a bank mistake found late would silently skew a whole year's counts.

Answer values are normalised here so that drafts, human-score CSVs and gold files all store the
same slugs: ``yes``/``no``, ``yes``/``partly``/``no``, ``not``/``partly``/``evidenced``, an int
for counts and ladder levels, a list of picklist slugs for multi-selects, a string for free text.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
DEFAULT_BANK_PATH = PROMPTS_DIR / "audit_tool.yaml"
GUIDANCE_VERSIONS = ("WT2018", "WT2023")
LADDER_LEVELS = 6
# Keyword key for cue terms that show the question's subject is discussed at all (used by the
# offline engine to pick passages before it looks for option/level cues).
TOPIC_KEY = "topic"
# Placeholder a multi_select cohort label uses for the option label ("{option} a priority").
OPTION_PLACEHOLDER = "{option}"
# libyaml's safe loader when present: the shipped bank parses ~10x faster than in pure Python.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class BankError(ValueError):
    """The question bank (or a lookup in it) is invalid; the message says where and why."""


class UnknownQuestionError(BankError, KeyError):
    """A question id that the bank does not hold."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class AnswerType(StrEnum):
    """How a question is answered; fixes the allowed values and their JSON schema."""

    YES_NO = "yes_no"
    YES_PARTLY_NO = "yes_partly_no"
    RATING = "rating"
    MULTI_SELECT = "multi_select"
    COUNT = "count"
    FREE_TEXT = "free_text"
    LADDER = "ladder"


# Single-choice value sets: slug -> display label, in display order.
FIXED_OPTIONS: dict[AnswerType, dict[str, str]] = {
    AnswerType.YES_NO: {"yes": "Yes", "no": "No"},
    AnswerType.YES_PARTLY_NO: {"yes": "Yes", "partly": "Partly", "no": "No"},
    AnswerType.RATING: {
        "not": "Not evidenced",
        "partly": "Partly evidenced",
        "evidenced": "Evidenced",
    },
}


def _norm(value: str) -> str:
    """Matching key: case, surrounding space, and ``_``/``-``/space runs are not significant."""
    return re.sub(r"[\s_\-]+", " ", value.strip().lower())


class Theme(BaseModel):
    """One theme of the audit tool (A, B, C)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    title: str = Field(min_length=1)


class Question(BaseModel):
    """One audit question, with what a drafting engine and a reviewer need to answer it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    theme: str
    text: str = Field(min_length=1)
    guidance: str = Field(min_length=1)
    answer_type: AnswerType
    picklist: str | None = None
    ladder: list[str] | None = None
    retrieval_queries: list[str] = Field(default_factory=list)
    keywords: dict[str, list[str]] = Field(default_factory=dict)
    guidance_versions: list[str] = Field(default_factory=lambda: list(GUIDANCE_VERSIONS))
    answerable_from_text: bool = True
    cohort_label: str = Field(min_length=1)
    # a synthesis question ("Overall, are the requirements met?") is answered where the
    # questions on each requirement are: retrieval gives each of those a place
    evidence_from: list[str] = Field(default_factory=list)

    # Picklist options (slug -> label), bound by QuestionBank for multi_select questions.
    _picklist_options: dict[str, str] | None = PrivateAttr(default=None)
    _evidence_questions: list[Question] | None = PrivateAttr(default=None)

    @field_validator("answer_type", mode="before")
    @classmethod
    def _known_answer_type(cls, value: Any) -> Any:
        known = [t.value for t in AnswerType]
        if isinstance(value, str) and value not in known:
            raise ValueError(f"unknown answer type {value!r} (expected one of: {', '.join(known)})")
        return value

    @field_validator("keywords", mode="before")
    @classmethod
    def _keyword_keys_as_str(cls, value: Any) -> Any:
        # YAML reads ladder levels (0-5) as int keys; store every key as a string.
        if isinstance(value, dict):
            return {str(k): ([] if v is None else v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check_shape(self) -> Question:
        t = self.answer_type
        if t is AnswerType.MULTI_SELECT and not self.picklist:
            raise ValueError("multi_select question needs a 'picklist'")
        if t is not AnswerType.MULTI_SELECT and self.picklist:
            raise ValueError(f"'picklist' is only for multi_select questions, not {t.value}")
        if t is AnswerType.LADDER:
            if not self.ladder or len(self.ladder) != LADDER_LEVELS:
                got = len(self.ladder) if self.ladder else 0
                raise ValueError(
                    f"ladder question needs {LADDER_LEVELS} level labels (0-5), got {got}"
                )
        elif self.ladder:
            raise ValueError(f"'ladder' is only for ladder questions, not {t.value}")
        unknown = sorted(set(self.guidance_versions) - set(GUIDANCE_VERSIONS))
        if unknown or not self.guidance_versions:
            raise ValueError(
                f"guidance_versions must be a non-empty subset of {list(GUIDANCE_VERSIONS)}, "
                f"got {self.guidance_versions}"
            )
        if t is AnswerType.MULTI_SELECT and OPTION_PLACEHOLDER not in self.cohort_label:
            raise ValueError(f"multi_select cohort_label must contain {OPTION_PLACEHOLDER}")
        if t is not AnswerType.MULTI_SELECT:  # multi_select keys are checked once bound
            self._check_keyword_keys(set(self._value_keys()))
        return self

    def _value_keys(self) -> list[str]:
        if self.answer_type is AnswerType.LADDER:
            return [str(i) for i in range(LADDER_LEVELS)]
        if self.answer_type in FIXED_OPTIONS:
            return list(FIXED_OPTIONS[self.answer_type])
        if self.answer_type is AnswerType.MULTI_SELECT and self._picklist_options is not None:
            return list(self._picklist_options)
        return []

    def _check_keyword_keys(self, allowed: set[str]) -> None:
        bad = sorted(set(self.keywords) - allowed - {TOPIC_KEY})
        if bad:
            ok = ", ".join(sorted(allowed | {TOPIC_KEY}))
            raise ValueError(f"keywords has unknown keys {bad} (allowed: {ok})")

    @property
    def evidence_questions(self) -> list[Question]:
        """The questions named in `evidence_from`, bound by the bank ([] before binding)."""
        return list(self._evidence_questions or [])

    def _bind_picklist(self, options: dict[str, str]) -> None:
        self._picklist_options = dict(options)
        self._check_keyword_keys(set(options))

    # ----- values -------------------------------------------------------------------------

    def options(self) -> dict[str, str]:
        """Slug -> label for choice questions (ladder levels keyed "0".."5"); {} otherwise."""
        t = self.answer_type
        if t in FIXED_OPTIONS:
            return dict(FIXED_OPTIONS[t])
        if t is AnswerType.LADDER:
            return {str(i): label for i, label in enumerate(self.ladder or [])}
        if t is AnswerType.MULTI_SELECT:
            if self._picklist_options is None:
                raise BankError(f"question {self.id}: picklist {self.picklist!r} is not bound")
            return dict(self._picklist_options)
        return {}

    def allowed_values(self) -> list[str] | list[int] | None:
        """The allowed answer values (slugs, or ints for a ladder); None for counts/free text."""
        if self.answer_type is AnswerType.LADDER:
            return list(range(LADDER_LEVELS))
        if self.answer_type in (AnswerType.COUNT, AnswerType.FREE_TEXT):
            return None
        return list(self.options())

    def _choice(self, value: Any) -> str:
        options = self.options()
        if not isinstance(value, str):
            raise ValueError(f"question {self.id}: expected one of {list(options)}, got {value!r}")
        key = _norm(value)
        for slug, label in options.items():
            if key in (_norm(slug), _norm(label)):
                return slug
        raise ValueError(
            f"question {self.id} ({self.answer_type.value}): {value!r} is not allowed; "
            f"expected one of {list(options)}"
        )

    def _integer(self, value: Any, what: str) -> int:
        if isinstance(value, bool):
            raise ValueError(f"question {self.id}: {what} must be an integer, got {value!r}")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}(,\d{3})+\s*|\s*-?\d+\s*", value):
            return int(value.replace(",", ""))
        raise ValueError(f"question {self.id}: {what} must be an integer, got {value!r}")

    def validate_answer(self, value: Any) -> str | int | list[str]:
        """Check an answer value and return it normalised (slug, int, slug list or text).

        Accepts case/whitespace variants and display labels for choices ("Partly evidenced" ->
        "partly"), digit strings for counts and levels, and for multi_select a list (or a
        ``;``-separated string) of slugs or labels, returned in picklist order without duplicates.
        Raises ValueError saying what is allowed.
        """
        if value is None:
            raise ValueError(f"question {self.id}: no answer given")
        t = self.answer_type
        if t is AnswerType.YES_NO and isinstance(value, bool):
            return "yes" if value else "no"
        if t in FIXED_OPTIONS:
            return self._choice(value)
        if t is AnswerType.COUNT:
            n = self._integer(value, "a count")
            if n < 0:
                raise ValueError(f"question {self.id}: a count cannot be negative, got {n}")
            return n
        if t is AnswerType.LADDER:
            if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
                return int(self._choice(value))
            n = self._integer(value, "a ladder level")
            if not 0 <= n < LADDER_LEVELS:
                raise ValueError(
                    f"question {self.id}: ladder level must be 0-{LADDER_LEVELS - 1}, got {n}"
                )
            return n
        if t is AnswerType.MULTI_SELECT:
            items = value.split(";") if isinstance(value, str) else value
            if not isinstance(items, list | tuple | set | frozenset):
                raise ValueError(f"question {self.id}: expected a list of options, got {value!r}")
            chosen = {self._choice(v) for v in items if not (isinstance(v, str) and not v.strip())}
            return [slug for slug in self.options() if slug in chosen]
        if not isinstance(value, str):
            raise ValueError(f"question {self.id}: free text must be a string, got {value!r}")
        return value.strip()

    def answer_label(self, value: Any) -> str:
        """Display text for an answer value (validated first)."""
        v = self.validate_answer(value)
        t = self.answer_type
        if t in FIXED_OPTIONS:
            return FIXED_OPTIONS[t][v]  # type: ignore[index]
        if t is AnswerType.LADDER:
            return f"{v} - {self.options()[str(v)]}"
        if t is AnswerType.MULTI_SELECT:
            labels = self.options()
            return "; ".join(labels[s] for s in v) if v else "(none)"  # type: ignore[union-attr]
        return str(v)

    def answer_format(self) -> str:
        """Plain-language description of the allowed values, for prompts."""
        t = self.answer_type
        if t is AnswerType.COUNT:
            return "A whole number, 0 or more."
        if t is AnswerType.FREE_TEXT:
            return "Short text."
        lines = [f'- "{slug}": {label}' for slug, label in self.options().items()]
        if t is AnswerType.LADDER:
            lines = [f"- {i}: {label}" for i, label in enumerate(self.ladder or [])]
            return "One integer level:\n" + "\n".join(lines)
        if t is AnswerType.MULTI_SELECT:
            return "A list of zero or more of these values:\n" + "\n".join(lines)
        return "Exactly one of these values:\n" + "\n".join(lines)

    def json_schema_for_answer(self) -> dict[str, Any]:
        """JSON schema fragment for the answer field of a structured-output schema."""
        t = self.answer_type
        if t is AnswerType.COUNT:
            return {"type": "integer", "minimum": 0}
        if t is AnswerType.LADDER:
            return {"type": "integer", "minimum": 0, "maximum": LADDER_LEVELS - 1}
        if t is AnswerType.FREE_TEXT:
            return {"type": "string"}
        if t is AnswerType.MULTI_SELECT:
            return {"type": "array", "items": {"type": "string", "enum": list(self.options())}}
        return {"type": "string", "enum": list(self.options())}

    def cohort_phrase(self, option: str | None = None) -> str:
        """Cohort-summary phrase; for multi_select, fills ``{option}`` with the option's label."""
        if self.answer_type is not AnswerType.MULTI_SELECT:
            return self.cohort_label
        if option is None:
            raise ValueError(f"question {self.id}: cohort_phrase needs an option for multi_select")
        label = self.options()[self._choice(option)]
        return self.cohort_label.replace(OPTION_PLACEHOLDER, label)


class QuestionBank(BaseModel):
    """A versioned audit tool: themes, questions and the picklists they use."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    guidance: str
    themes: list[Theme]
    questions: list[Question]
    picklists: dict[str, dict[str, str]] = Field(default_factory=dict)

    _fingerprint: str | None = PrivateAttr(default=None)
    _source: Path | None = PrivateAttr(default=None)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_str(cls, value: Any) -> Any:
        # An unquoted YAML version such as 2018.1 arrives as a float.
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _check_bank(self) -> QuestionBank:
        if self.guidance not in GUIDANCE_VERSIONS:
            raise ValueError(
                f"guidance must be one of {list(GUIDANCE_VERSIONS)}, got {self.guidance!r}"
            )
        theme_ids = [t.id for t in self.themes]
        if len(set(theme_ids)) != len(theme_ids):
            raise ValueError(f"duplicate theme ids in {theme_ids}")
        seen: set[str] = set()
        for q in self.questions:
            key = q.id.lower()  # ids are looked up case-insensitively, so "a1" and "A1" clash
            if key in seen:
                raise ValueError(f"question {q.id}: duplicate question id")
            seen.add(key)
            if q.theme not in theme_ids:
                raise ValueError(
                    f"question {q.id}: unknown theme {q.theme!r} (themes: {theme_ids})"
                )
            if q.answer_type is AnswerType.MULTI_SELECT:
                if q.picklist not in self.picklists:
                    raise ValueError(
                        f"question {q.id}: unknown picklist {q.picklist!r} "
                        f"(known: {sorted(self.picklists)})"
                    )
                try:
                    q._bind_picklist(self.picklists[q.picklist])
                except ValueError as exc:
                    raise ValueError(f"question {q.id}: {exc}") from None
        by_id = {q.id.lower(): q for q in self.questions}
        for q in self.questions:
            parts = [by_id.get(x.strip().lower()) for x in q.evidence_from]
            bad = [x for x, part in zip(q.evidence_from, parts, strict=True)
                   if part is None or part is q or part.evidence_from]
            if bad:
                raise ValueError(
                    f"question {q.id}: evidence_from names {bad}, which are not other questions "
                    "of the bank without an evidence_from of their own"
                )
            q._evidence_questions = parts
        return self

    # ----- lookups ------------------------------------------------------------------------

    @property
    def ids(self) -> list[str]:
        """Question ids in bank order."""
        return [q.id for q in self.questions]

    def get(self, qid: str) -> Question:
        """The question with this id (case-insensitive); UnknownQuestionError otherwise."""
        key = qid.strip().lower()
        for q in self.questions:
            if q.id.lower() == key:
                return q
        raise UnknownQuestionError(
            f"unknown question id {qid!r} in bank {self.name} {self.version}"
        )

    def select(self, ids: list[str] | None = None) -> list[Question]:
        """Questions with these ids in bank order (all when ``ids`` is None).

        Raises UnknownQuestionError naming every unknown id at once.
        """
        if ids is None:
            return list(self.questions)
        known = {q.id.lower() for q in self.questions}
        unknown = [i for i in ids if i.strip().lower() not in known]
        if unknown:
            raise UnknownQuestionError(
                f"unknown question id(s) {unknown} in bank {self.name} {self.version}; "
                f"known ids: {', '.join(self.ids)}"
            )
        wanted = {i.strip().lower() for i in ids}
        return [q for q in self.questions if q.id.lower() in wanted]

    def themes_of(self, ids: list[str] | None = None) -> dict[str, list[Question]]:
        """Theme id -> its questions (optionally only ``ids``), both in bank order."""
        chosen = self.select(ids)
        return {t.id: [q for q in chosen if q.theme == t.id] for t in self.themes}

    def theme_title(self, theme_id: str) -> str:
        """Title of a theme."""
        for t in self.themes:
            if t.id == theme_id:
                return t.title
        raise BankError(f"unknown theme {theme_id!r} in bank {self.name}")

    def fingerprint(self) -> str:
        """Short sha256 of the bank file bytes (plus an external picklist file's bytes).

        Stored with every draft so a result can be traced to the exact bank it used. A bank
        built in code (not loaded from a file) is fingerprinted from its JSON dump.
        """
        if self._fingerprint is None:
            self._fingerprint = hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]
        return self._fingerprint

    @property
    def source(self) -> Path | None:
        """The file the bank was loaded from, if any."""
        return self._source


def _read_yaml(path: Path, what: str) -> tuple[Any, bytes]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BankError(f"{path}: {what} file not found") from None
    except OSError as exc:
        raise BankError(f"{path}: cannot read {what} file: {exc}") from None
    try:
        return yaml.load(data, Loader=_YAML_LOADER), data
    except yaml.YAMLError as exc:
        raise BankError(f"{path}: not valid YAML: {exc}") from None


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def load_bank(path: Path | str | None = None) -> QuestionBank:
    """Load and validate a question bank (default: ``prompts/audit_tool.yaml``).

    ``picklists`` in the bank is either a file path (relative to the bank file) whose YAML has a
    top-level ``picklists`` mapping, or an inline mapping. Raises BankError naming the file and,
    where it applies, the question id.
    """
    path = Path(path) if path is not None else DEFAULT_BANK_PATH
    raw, data = _read_yaml(path, "question bank")
    if not isinstance(raw, dict):
        raise BankError(f"{path}: expected a mapping at the top level of the question bank")
    digest = hashlib.sha256(data)

    ref = raw.get("picklists")
    if isinstance(ref, str):
        pl_path = path.parent / ref
        pl_raw, pl_data = _read_yaml(pl_path, "picklists")
        if not isinstance(pl_raw, dict) or not isinstance(pl_raw.get("picklists"), dict):
            raise BankError(f"{pl_path}: expected a top-level 'picklists' mapping")
        picklists = pl_raw["picklists"]
        digest.update(pl_data)
    elif ref is None or isinstance(ref, dict):
        picklists = ref or {}
    else:
        raise BankError(f"{path}: 'picklists' must be a file path or a mapping")

    questions = raw.get("questions")
    if not isinstance(questions, list) or not questions:
        raise BankError(f"{path}: 'questions' must be a non-empty list")
    # Validate each question alone first so an error names its id, not its list index.
    for i, q in enumerate(questions):
        qid = q.get("id") if isinstance(q, dict) else None
        try:
            Question.model_validate(q)
        except ValidationError as exc:
            raise BankError(f"{path}: question {qid or f'#{i + 1}'}: {_explain(exc)}") from None

    try:
        bank = QuestionBank.model_validate({**raw, "picklists": picklists})
    except ValidationError as exc:
        raise BankError(f"{path}: {_explain(exc)}") from None
    bank._fingerprint = digest.hexdigest()[:12]
    bank._source = path
    return bank
