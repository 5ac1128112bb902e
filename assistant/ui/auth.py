"""Reviewer logins for the web app: salted PBKDF2 password hashes, never plain passwords.

Reviewers come from `REVIEW_ASSISTANT_REVIEWERS` ("alice:<hash>,bob:<hash>") or from a TOML
file (`REVIEW_ASSISTANT_REVIEWERS_FILE`, else `<home>/reviewers.toml`) with a table
`[reviewers]` of `name = "<hash>"` lines. Make a hash with

    python -m assistant.ui.auth alice        # prompts for the password, prints alice:<hash>

The app refuses to listen on anything but loopback unless reviewers are configured.
No Gradio import here: the CLI and tests use these helpers without starting the UI.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import sys
import tomllib
from pathlib import Path

from assistant.errors import ConfigError

SCHEME = "pbkdf2_sha256"
ITERATIONS = 240_000
ENV_REVIEWERS = "REVIEW_ASSISTANT_REVIEWERS"
ENV_REVIEWERS_FILE = "REVIEW_ASSISTANT_REVIEWERS_FILE"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """'pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>' for a password (random 16-byte salt)."""
    if not password:
        raise ValueError("empty password")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"{SCHEME}${iterations}${b64(salt)}${b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches the stored hash (constant-time comparison)."""
    try:
        scheme, iterations, salt, digest = encoded.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt), int(iterations)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _check_entry(name: str, encoded: str, source: str) -> tuple[str, str]:
    name, encoded = name.strip(), encoded.strip()
    if not _NAME.match(name):
        raise ConfigError(
            f"{source}: reviewer name {name!r} is not allowed",
            "use letters, digits, '.', '_', '-', '@' (up to 64 characters)",
        )
    if not encoded.startswith(SCHEME + "$") or encoded.count("$") != 3:
        raise ConfigError(
            f"{source}: the password for {name!r} is not a {SCHEME} hash",
            "store hashes, never passwords: python -m assistant.ui.auth NAME",
        )
    return name, encoded


def load_reviewers(home: Path | None = None) -> dict[str, str]:
    """Reviewer name -> password hash from the environment or the reviewers file ({} if none)."""
    reviewers: dict[str, str] = {}
    env = os.environ.get(ENV_REVIEWERS, "").strip()
    if env:
        for item in filter(None, (part.strip() for part in env.split(","))):
            name, sep, encoded = item.partition(":")
            if not sep:
                raise ConfigError(f"{ENV_REVIEWERS}: {item!r} is not NAME:HASH")
            name, encoded = _check_entry(name, encoded, ENV_REVIEWERS)
            reviewers[name] = encoded
        return reviewers
    explicit = os.environ.get(ENV_REVIEWERS_FILE)
    path = Path(explicit).expanduser() if explicit else (home / "reviewers.toml" if home else None)
    if path is None or not path.exists():
        if explicit:
            raise ConfigError(f"{ENV_REVIEWERS_FILE}: {path} does not exist")
        return reviewers
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})") from exc
    table = data.get("reviewers", {})
    if not isinstance(table, dict):
        raise ConfigError(f'{path}: [reviewers] must be a table of name = "hash" lines')
    for name, encoded in table.items():
        name, encoded = _check_entry(str(name), str(encoded), str(path))
        reviewers[name] = encoded
    return reviewers


def make_auth(reviewers: dict[str, str]):
    """A Gradio `auth` callable checking a login against the reviewer hashes."""

    def check(username: str, password: str) -> bool:
        encoded = reviewers.get((username or "").strip())
        if encoded is None:
            # same work for unknown names, so timing does not reveal who is a reviewer
            verify_password(password or "", hash_password("x", iterations=1000))
            return False
        return verify_password(password or "", encoded)

    return check


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, share: bool, reviewers: dict[str, str]) -> None:
    """Refuse to serve reports beyond this machine without reviewer logins."""
    if (share or not is_loopback(host)) and not reviewers:
        where = "a public share link" if share else f"host {host}"
        raise ConfigError(
            f"refusing to serve on {where} without reviewer logins",
            f"set {ENV_REVIEWERS}=name:hash (make a hash with `python -m assistant.ui.auth "
            "NAME`) or create reviewers.toml in the data directory; or bind to 127.0.0.1",
        )


def main(argv: list[str] | None = None) -> int:
    """`python -m assistant.ui.auth NAME`: prompt for a password and print NAME:HASH."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not _NAME.match(args[0]):
        print("usage: python -m assistant.ui.auth NAME", file=sys.stderr)
        return 2
    try:
        password = getpass.getpass(f"password for {args[0]}: ")
        again = getpass.getpass("again: ")
    except EOFError:  # stdin closed (a pipe, </dev/null): nothing was typed
        print(
            "no password typed: run it in a terminal and type the password twice", file=sys.stderr
        )
        return 2
    if password != again:
        print("passwords differ", file=sys.stderr)
        return 1
    print(f"{args[0]}:{hash_password(password)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
