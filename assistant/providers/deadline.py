"""A total deadline per HTTP request for the openai client (llm.timeout).

httpx's timeouts apply to each network operation: a server that sends one byte a second never
trips a 3-second read timeout and can hold a request for minutes. Here every connect, write and
read of a request is given at most the time left until that request's deadline, so the whole
request (headers and body, fresh or pooled connection) ends by then with a timeout error.

The deadline is per thread (a context variable), set around one call with `deadline(seconds)`;
code that sets none is untouched. `install(http_client)` wraps the network backend of each of
the client's connection pools (the default transport and any proxy mounts).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import time
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "llm_request_deadline", default=None
)


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Every network operation inside ends by `seconds` from now (None: no deadline)."""
    token = _DEADLINE.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` shortened to the time left before the deadline; raises `error` once past it."""
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the request's total deadline (llm.timeout) has passed")
    return left if timeout is None else min(timeout, left)


@functools.cache
def _stream_class():
    import httpcore2

    class DeadlineStream(httpcore2.NetworkStream):
        """A network stream whose every operation respects the current deadline."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._inner.read(max_bytes, _clamp(timeout, httpcore2.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, _clamp(timeout, httpcore2.WriteTimeout))

        def close(self) -> None:
            self._inner.close()

        def start_tls(self, ssl_context, server_hostname=None, timeout=None):
            timeout = _clamp(timeout, httpcore2.ConnectTimeout)
            return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    return DeadlineStream


@functools.cache
def _backend_class():
    import httpcore2

    stream = _stream_class()

    class DeadlineBackend(httpcore2.NetworkBackend):
        """Connects through `inner`, returning streams that respect the current deadline."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            timeout = _clamp(timeout, httpcore2.ConnectTimeout)
            return stream(
                self._inner.connect_tcp(
                    host,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            )

        def connect_unix_socket(self, path, timeout=None, socket_options=None):
            timeout = _clamp(timeout, httpcore2.ConnectTimeout)
            return stream(
                self._inner.connect_unix_socket(
                    path, timeout=timeout, socket_options=socket_options
                )
            )

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    return DeadlineBackend


def install(http_client: Any) -> bool:
    """Make requests through `http_client` (an httpx2.Client) honour `deadline()`.

    Returns False (and logs why) when the client's transports are not the ones this knows,
    in which case llm.timeout stays a per-operation timeout."""
    backend = _backend_class()
    transports = [getattr(http_client, "_transport", None)]
    transports += list((getattr(http_client, "_mounts", None) or {}).values())
    wrapped = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        inner = getattr(pool, "_network_backend", None)
        if inner is None:
            continue  # e.g. a mount that disables proxying (None), or a test transport
        if not isinstance(inner, backend):
            pool._network_backend = backend(inner)
        wrapped += 1
    if not wrapped:
        logger.warning(
            "cannot enforce llm.timeout as a total deadline with this HTTP client; "
            "it limits each network read instead"
        )
    return wrapped > 0
