"""Host-header check for the web app, against DNS rebinding.

A page on `evil.example` whose DNS name is re-pointed at 127.0.0.1 makes the visitor's
browser send requests to the app with `Host: evil.example`, from an origin the browser
thinks is evil.example's own, so the same-origin policy does not stop it reading the
answers. The app therefore serves only the host names it is meant to have: loopback names
and addresses, the address it is bound to, and `ui.allowed_hosts`; when bound to all
interfaces, also this machine's own names and any address literal (an address cannot be
re-pointed). Anything else gets a short 421 before Gradio sees the request.

No Gradio import here (plain ASGI), so the rules are tested without starting the UI.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

REFUSAL = (
    b"421 Misdirected Request: this review assistant does not answer to that host name. "
    b"If the name is yours, add it to ui.allowed_hosts.\n"
)
_WILDCARD_BINDS = {"", "0.0.0.0", "::", "[::]"}


def _hostname(host_header: str) -> str:
    """'Example.ORG.:7860' -> 'example.org'; '[::1]:7860' -> '::1'."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return None


class AllowedHosts:
    """Which Host header values a server bound to `bind_host` answers to.

    `extra` (the `ui.allowed_hosts` setting) adds names; ".example.org" allows every name
    under example.org; "*" turns the check off (e.g. behind a proxy that checks hosts).
    """

    def __init__(self, bind_host: str, extra: Iterable[str] = ()) -> None:
        bind = _hostname(bind_host or "")
        self.any_host = False
        self.wildcard = bind in _WILDCARD_BINDS
        self.names = {"localhost"}
        self.suffixes: list[str] = [".localhost"]  # RFC 6761: always loopback
        for entry in extra:
            entry = _hostname(entry)
            if entry == "*":
                self.any_host = True
            elif entry.startswith("."):
                self.suffixes.append(entry)
            elif entry:
                self.names.add(entry)
        if not self.wildcard:
            self.names.add(bind)
        bind_address = _address(bind)
        if self.wildcard or not (bind_address and bind_address.is_loopback or bind == "localhost"):
            # reachable from other machines: by this machine's own names too
            self.names |= {socket.gethostname().lower(), socket.getfqdn().lower()}

    def permits(self, host_header: str | None) -> bool:
        """True when a request with this Host header is served."""
        if self.any_host:
            return True
        if not host_header:
            return False
        name = _hostname(host_header)
        address = _address(name)
        if address is not None:
            return address.is_loopback or self.wildcard or name in self.names
        return name in self.names or any(name.endswith(s) for s in self.suffixes)


class HostCheckMiddleware:
    """ASGI middleware: requests whose Host header `allowed` does not permit get a 421."""

    def __init__(self, app: Any, allowed: AllowedHosts) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if self.allowed.permits(host):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 421,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(REFUSAL)).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": REFUSAL})
