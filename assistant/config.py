"""One typed settings object, built by `load_settings()` (never at import time).

Precedence: init arguments > environment (`REVIEW_ASSISTANT_*`, nested with `__`) > config file
(`$REVIEW_ASSISTANT_CONFIG`, else `<home>/config.toml`) > defaults.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
PROMPTS_DIR = REPO_ROOT / "prompts"
# Bump when ingest/normalisation changes what page text looks like: it renames the index.
PARSER_VERSION = "pdf-text-3"


def strip_credentials(url: str | None) -> str | None:
    """`url` without a `user:password@` part (for logs, cache keys and error messages)."""
    return _replace_userinfo(url, "")


def mask_credentials(url: str | None) -> str | None:
    """`url` with its `user:password@` part shown as `****@` (for `settings show`)."""
    return _replace_userinfo(url, "****@")


def _replace_userinfo(url: str | None, replacement: str) -> str | None:
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(lambda m: m.group(1) + replacement, url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=replacement + host))


# scheme:// then anything up to an @ that comes before the first / (the userinfo part)
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")


def redact_credentials(text: str, *urls: str | None) -> str:
    """`text` with the credentials of any URL in it, and of `urls`, removed."""
    text = _USERINFO.sub(lambda m: m.group(1), text)
    for url in urls:
        try:
            parts = urlsplit(url or "")
        except ValueError:
            continue
        for secret in (parts.password, parts.username):
            if secret and len(secret) >= 3:
                text = text.replace(secret, "****")
    return text


def default_home() -> Path:
    """The data directory: `$REVIEW_ASSISTANT_HOME`, else `vectorstore/` of a source checkout."""
    env = os.environ.get("REVIEW_ASSISTANT_HOME")
    if env:
        return Path(env).expanduser()
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / "vectorstore"
    return Path.home() / ".local" / "share" / "review-assistant"


class _Section(BaseModel):
    """A config section: an unknown key (a typo such as `modle`) is refused, never ignored.

    Frozen, like the whole settings object: code that needs other values makes a modified copy
    (`settings.model_copy(update=...)`), so what `settings_hash` and the logs record stays true.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class EmbeddingSettings(_Section):
    """Which embedder makes the dense vectors (a registry name, see assistant/embeddings)."""

    name: str = "static"
    # base_url, api_key and model are options of the `openai` embedder (OpenAI-compatible
    # /v1/embeddings); batch_size is texts per call for `openai` and `minilm` (unset: the
    # embedder's own, 64 and 32). See `options()`.
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str | None = None
    batch_size: int | None = Field(None, ge=1)

    def options(self, cache_dir: Path) -> dict[str, Any]:
        """The options of `get_embedder(self.name, **options)` that these settings choose.

        An unknown `name` is a ConfigError naming the registered embedders."""
        from assistant.embeddings.base import available_embedders  # numpy: not at import time

        if self.name not in available_embedders():
            raise unknown_choice("embedding.name", self.name, available_embedders())
        batch = {"batch_size": self.batch_size} if self.batch_size else {}
        if self.name == "static":
            return {"cache_dir": cache_dir}
        if self.name == "minilm":
            return batch
        if self.name == "openai":
            return {
                "base_url": self.base_url,
                "api_key": self.api_key.get_secret_value() if self.api_key else None,
                "model": self.model,
                **batch,
            }
        return {}


class ChunkSettings(_Section):
    """How page text is cut into passages (characters)."""

    size: int = Field(1000, ge=200, le=8000)
    overlap: int = Field(150, ge=0, le=2000)


class ChromaSettings(_Section):
    """Local persistent store by default; set `host` to use a shared `chroma run` server."""

    host: str | None = None
    port: int = Field(8000, ge=1, le=65535)
    path: Path | None = None  # default: <home>/chroma


class RetrievalSettings(_Section):
    """Hybrid retrieval: dense and BM25 candidate lists fused with reciprocal rank fusion."""

    mode: str = Field("hybrid", pattern="^(hybrid|dense|lexical)$")
    candidates: int = Field(40, ge=1)
    rrf_k: int = Field(60, ge=1)
    top_k: int = Field(8, ge=1)  # evidence blocks per draft; passages `search` returns
    # the learned order of a question's candidate pages (assistant/page_rerank.py); an
    # embedder without fitted weights keeps the fused order whatever this says
    rerank: bool = True


class IngestSettings(_Section):
    """Limits that protect the machine from enormous files."""

    max_file_mb: int = Field(300, ge=0)  # MiB (2**20 bytes), as Gradio counts its upload limit
    max_pages: int = Field(2000, ge=1)
    min_chars_per_page: int = Field(25, ge=0)  # fewer extracted characters → "little text" (quoted)
    ocr: bool = False
    ocr_language: str = "eng"


class LLMSettings(_Section):
    """Any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp server)."""

    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout: float = Field(60.0, gt=0)  # seconds for one reply
    max_retries: int = Field(3, ge=0)
    temperature: float = Field(0.0, ge=0, le=2)
    json_schema: bool = True  # use response_format=json_schema; plain JSON mode otherwise
    # A cap on each reply: small local models in JSON mode can otherwise write until the
    # context is full. 0 sends no cap (the server's default).
    max_tokens: int = Field(1024, ge=0)
    concurrency: int = Field(4, ge=1)
    cache: bool = True  # serve an exact repeat of a request from the call log (zero cost)
    # USD per million tokens, by model name: [input, output] or [input, output, cached input]
    # (cached input: the prompt-caching price, e.g. {"gpt-4o-mini": [0.15, 0.60, 0.075]};
    # without it cached input tokens are priced as input)
    prices: dict[str, tuple[float, float] | tuple[float, float, float]] = Field(
        default_factory=dict
    )
    # --- context strategies (branch draft): what the LLM engine is shown per question.
    # retrieved: the evidence blocks retrieval selects; whole-report: every page as a
    # page-numbered block; theme: the questions of one theme answered in one call over the
    # whole report. Per run: `score --context`, `draft --context`.
    context: Literal["retrieved", "whole-report", "theme"] = "retrieved"
    # The model's context window in tokens: a report whose whole-report prompt (plus the reply
    # cap) does not fit is drafted from retrieved evidence instead, and the draft says so.
    context_tokens: int = Field(128_000, ge=1000)


class UISettings(_Section):
    """The reviewer web app."""

    # Host names the app answers to besides loopback names and its bind address (DNS
    # rebinding guard): "reviews.example.org", ".example.org" for every name under it, "*" off.
    allowed_hosts: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    """All settings of the tool. Build with `load_settings()`."""

    model_config = SettingsConfigDict(
        env_prefix="REVIEW_ASSISTANT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    home: Path = Field(default_factory=default_home)
    engine: str = "auto"  # auto → llm when llm.base_url or OPENAI_API_KEY is set, else offline
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    ui: UISettings = Field(default_factory=UISettings)
    bank: Path | None = None  # audit tool file; default prompts/audit_tool.yaml

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    # Paths derived from home -------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.home / "review.sqlite3"

    @property
    def chroma_path(self) -> Path:
        return self.chroma.path or self.home / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "outputs"

    def index_key(self, embedder_fingerprint: str) -> str:
        """Hash of everything that shapes the vectors: a change never mixes old and new ones."""
        shape = {
            "embedder": embedder_fingerprint,
            "chunking": self.chunking.model_dump(),
            "parser": PARSER_VERSION,
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]

    def settings_hash(self, engine: str = "llm") -> str:
        """Hash of the settings that shape a draft of `engine` (recorded with drafts and LLM
        calls): EVIDENCE_SETTINGS, plus REPLY_SETTINGS for the LLM engine. A stored draft
        whose hash differs from the current one is "stale"."""
        shape: dict[str, Any] = {"parser": PARSER_VERSION}
        fields = EVIDENCE_SETTINGS + (REPLY_SETTINGS if engine == "llm" else ())
        for path in fields:
            section, name = path.split(".")
            value = getattr(getattr(self, section), name)
            shape[path] = strip_credentials(value) if name == "base_url" else value
        if self.retrieval.rerank:  # a refit of the page order changes the evidence
            from assistant.rerank_weights import load_weights

            weights = load_weights(self.embedding.name)
            shape["rerank_weights"] = weights.version if weights else None
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:12]

    def llm_api_key(self) -> str | None:
        """The LLM key from settings, else the conventional OPENAI_API_KEY."""
        if self.llm.api_key is not None:
            return self.llm.api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")

    def llm_endpoint_configured(self) -> bool:
        """A base URL or a key: somewhere the LLM engine can send requests."""
        return bool(self.llm.base_url or os.environ.get("OPENAI_BASE_URL") or self.llm_api_key())

    def resolved_engine(self) -> str:
        """`auto` means the LLM engine when an endpoint is configured, else offline."""
        if self.engine != "auto":
            return self.engine
        return "llm" if self.llm_endpoint_configured() else "offline"

    def masked(self) -> dict[str, Any]:
        """Resolved values for `settings show`, secrets masked."""
        data = self.model_dump(mode="json")
        for section in ("embedding", "llm"):
            if data[section].get("api_key"):
                data[section]["api_key"] = "****"
            data[section]["base_url"] = mask_credentials(data[section].get("base_url"))
        data["resolved"] = {
            "engine": self.resolved_engine(),
            "db_path": str(self.db_path),
            "chroma": (
                f"http://{self.chroma.host}:{self.chroma.port}"
                if self.chroma.host
                else str(self.chroma_path)
            ),
            "config_file": str(config_file_path(self.home)),
            "settings_hash": self.settings_hash(self.resolved_engine()),
        }
        return data


# The settings that shape a draft, hashed by `Settings.settings_hash`: the evidence (embedder,
# chunking, retrieval) for every engine, and the model's reply for the LLM engine. Not here:
# secrets, and what only changes how drafts are made (timeout, retries, concurrency, cache,
# prices); engine, model and question bank are part of the draft key itself. A new setting that
# shapes drafts must be added here (tests/test_settings.py checks each field's place).
EVIDENCE_SETTINGS = (
    "embedding.name",
    "embedding.base_url",
    "embedding.model",
    "chunking.size",
    "chunking.overlap",
    "retrieval.mode",
    "retrieval.candidates",
    "retrieval.rrf_k",
    "retrieval.top_k",
    "retrieval.rerank",
)
REPLY_SETTINGS = (
    "llm.base_url",
    "llm.model",
    "llm.temperature",
    "llm.json_schema",
    "llm.max_tokens",
)


def config_file_path(home: Path | None = None) -> Path:
    """Where the config file is read from."""
    env = os.environ.get("REVIEW_ASSISTANT_CONFIG")
    if env:
        return Path(env).expanduser()
    return (home or default_home()) / "config.toml"


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the TOML config file; a broken file is a ConfigError naming it."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = config_file_path()
        if not path.exists():
            if os.environ.get("REVIEW_ASSISTANT_CONFIG"):
                raise ConfigError(
                    f"config file {path} does not exist",
                    "fix REVIEW_ASSISTANT_CONFIG or create the file",
                )
            return {}
        if path.is_dir():
            raise ConfigError(
                f"config file {path} is a directory",
                "point REVIEW_ASSISTANT_CONFIG at a TOML file (e.g. <dir>/config.toml)",
            )
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"config file {path} is not valid TOML ({exc})",
                "fix the file or move it away to use the defaults",
            ) from exc
        except OSError as exc:
            raise ConfigError(
                f"config file {path} cannot be read ({exc.strerror or exc})",
                "check the file's permissions, or fix REVIEW_ASSISTANT_CONFIG",
            ) from exc


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; invalid values become a ConfigError that names the setting."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors())
        raise ConfigError(
            f"invalid settings: {problems}",
            f"check REVIEW_ASSISTANT_* variables and {config_file_path()}",
        ) from exc
    if settings.chunking.overlap >= settings.chunking.size:
        raise ConfigError(
            "chunking.overlap must be smaller than chunking.size",
            f"check {config_file_path(settings.home)}",
        )
    return settings


def _problem(err: dict) -> str:
    """One validation error as text; an unknown key names the nearest valid one."""
    loc = [str(p) for p in err["loc"]]
    name = ".".join(loc)
    if err["type"] != "extra_forbidden":
        return f"{name}: {err['msg']}"
    known = _known_keys(loc[:-1])
    close = difflib.get_close_matches(loc[-1].lower(), known, n=1, cutoff=0.6)
    if close:
        return f"{name} is not a setting (did you mean {'.'.join([*loc[:-1], close[0]])}?)"
    return f"{name} is not a setting (known: {', '.join(known)})"


def _known_keys(section: list[str]) -> list[str]:
    """The valid keys at `section` (a path of field names) of the settings."""
    model: Any = Settings
    for name in section:
        field = getattr(model, "model_fields", {}).get(name)
        model = field.annotation if field is not None else None
    fields = getattr(model, "model_fields", None) or {}
    return sorted(fields)


def unknown_choice(setting: str, value: str, known: list[str]) -> ConfigError:
    """The error for a setting naming something that does not exist (nearest name first)."""
    close = difflib.get_close_matches(value.lower(), known, n=1, cutoff=0.5)
    guess = f"did you mean '{close[0]}'? " if close else ""
    return ConfigError(
        f"unknown {setting} '{value}'",
        f"{guess}choose one of: {', '.join(known)} (check REVIEW_ASSISTANT_* variables and "
        f"{config_file_path()})",
    )
