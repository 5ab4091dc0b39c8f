"""The request path probed as an attacker would (issue 9): splitting, smuggling, limits, leaks.

Each test is the regression test of one defect; they run real skipperd processes on loopback
in front of origins from ``test_proxy_http`` (threaded, scripted) or raw sockets.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Callable, Iterator

import pytest

from harness import Skipperd
from test_proxy_http import READY, Client, Origin, Req, Resp, _close_clients, proxied, raw_origin, rss_kb

Start = Callable[..., Skipperd]
__all__ = ["_close_clients"]  # the autouse fixture that closes every Client


@pytest.fixture
def origin() -> Iterator[Origin]:
    with Origin() as o:
        yield o


# --- CR, LF, NUL never reach a head, whatever produced them ---------------------------------------

@pytest.mark.parametrize("target", [
    "/a%0d%0aX-Injected:%201",
    "/a%0aX-Injected:%201",
    "/a%0dX-Injected:%201",
    "/a%00b",
    "/a%0d%0a%0d%0aGET%20/smuggled%20HTTP/1.1%0d%0aHost:%20x%0d%0a%0d%0a",
])
def test_template_from_the_path_cannot_split_the_request(skipperd: Start, origin: Origin, target: str) -> None:
    s = skipperd(routes=proxied(origin.url, filters='setRequestHeader("X-Path", "${request.path}")'))
    c = Client(s.port)
    a = c.get(target)
    assert a.status == 400
    time.sleep(0.2)
    for r in origin.requests:
        assert r.target != "/smuggled" and "x-injected" not in r.names()
    assert not origin.requests, "nothing reaches the origin"
    assert Client(s.port).get("/fine").status == 200
    assert origin.requests[-1].header("X-Path") == "/fine"


def test_template_into_host_cannot_split_the_request(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url, filters='setRequestHeader("Host", "${request.query.h}")'))
    a = Client(s.port).get("/?h=a%0d%0aX-Injected:%201")
    assert a.status == 400
    assert not origin.requests


@pytest.mark.parametrize("backend", ["shunt", "origin"])
def test_template_cannot_split_the_response(skipperd: Start, origin: Origin, backend: str) -> None:
    filters = 'setResponseHeader("X-Q", "${request.query.q}") -> setResponseHeader("X-Other", "kept")'
    if backend == "shunt":
        routes = READY + f'r: * -> {filters} -> inlineContent("hi") -> <shunt>;'
    else:
        routes = proxied(origin.url, filters=filters)
    s = skipperd(routes=routes)
    c = Client(s.port)
    a = c.get("/?q=v%0d%0aSet-Cookie:%20evil=1%0d%0a%0d%0aHTTP/1.1%20200%20OK")
    assert a.status == 200
    assert "set-cookie" not in a.names() and "x-q" not in a.names()
    assert a.header("X-Other") == "kept"
    assert a.head.count(b"\r\n\r\n") == 1
    a = c.get("/?q=nul%00byte")  # the same connection carries on
    assert "x-q" not in a.names() and a.header("X-Other") == "kept"
    a = c.get("/?q=plain")
    assert a.header("X-Q") == "plain"
    assert "dropped response header fields carrying CR, LF or NUL: X-Q" in s.log()


@pytest.mark.parametrize("value", ["a\x00b", "a\\rb", "a\\nb"])
def test_filter_arguments_with_cr_lf_nul_make_the_route_invalid(skipperd: Start, value: str) -> None:
    s = skipperd(routes=READY + f'bad: Path("/bad") -> setResponseHeader("X", "{value}") -> status(200) -> <shunt>;\n'
                 'good: Path("/good") -> status(201) -> <shunt>;')
    assert Client(s.port).get("/good").status == 201
    assert Client(s.port).get("/bad").status == 404
    status, _, body = s.support("/routes/invalid")
    assert status == 200 and b"bad" in body and b"CR, LF or NUL" in body
