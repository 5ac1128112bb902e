"""DNS rebinding: the served app answers only to the host names it is meant to have.

A page on evil.example whose name is re-pointed at 127.0.0.1 makes the browser send
`Host: evil.example` (and a matching Origin) to the app: with no logins on loopback, such
requests must be refused before Gradio sees them.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.ui_server import running_app


def _get(url: str, path: str, host: str | None, method: str = "GET", body: bytes | None = None):
    port = urlsplit(url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {}
    if host is not None:
        headers = {"Host": host, "Origin": f"http://{host}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("hosts-home")
    extra = {"REVIEW_ASSISTANT_UI__ALLOWED_HOSTS": '["review.example.org"]'}
    with running_app(home, extra_env=extra) as url:
        yield url


@pytest.mark.parametrize(
    "path,method,body",
    [
        ("/", "GET", None),
        ("/config", "GET", None),
        ("/gradio_api/info", "GET", None),
        ("/gradio_api/queue/join", "POST", json.dumps({"fn_index": 0}).encode()),
    ],
)
def test_a_foreign_host_is_refused_before_gradio(served, path, method, body):
    port = urlsplit(served).port
    status, text = _get(served, path, f"evil.example:{port}", method, body)
    assert status == 421, (status, text[:300])
    assert len(text) < 300 and "host" in text.lower()
    assert "Library" not in text and "gradio" not in text.lower()


def test_loopback_names_and_the_configured_host_are_served(served):
    port = urlsplit(served).port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST.:{port}", "[::1]"):
        status, _ = _get(served, "/config", host)
        assert status == 200, host
    status, text = _get(served, "/config", f"review.example.org:{port}")
    assert status == 200 and "Library" in text
    for host in (f"evil.example:{port}", "review.example.org.evil.example", "127.0.0.1.nip.io"):
        status, _ = _get(served, "/", host)
        assert status == 421, host


def test_allowed_hosts_rules():
    from assistant.ui.hosts import AllowedHosts

    loopback = AllowedHosts("127.0.0.1", [])
    assert loopback.permits("127.0.0.1:7860") and loopback.permits("localhost")
    assert loopback.permits("[::1]:7860") and loopback.permits("127.0.0.2")
    assert not loopback.permits("evil.example") and not loopback.permits("")
    assert not loopback.permits(None) and not loopback.permits("10.0.0.5:7860")
    wildcard = AllowedHosts("0.0.0.0", ["reviews.example.org", ".intra.example"])
    assert wildcard.permits("10.0.0.5:7860")  # an address literal cannot be rebound
    assert wildcard.permits("reviews.example.org") and wildcard.permits("a.intra.example")
    assert not wildcard.permits("evil.example") and not wildcard.permits("intra.example.evil")
    assert AllowedHosts("127.0.0.1", ["*"]).permits("anything.example")
