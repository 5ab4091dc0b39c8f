"""The one response writer: framing comes from the body sent, never from fields filters set.

Real skipperd, real origin on loopback, one keep-alive client connection per test: after a
response whose fields a filter falsified, the next request on the same connection must be
answered correctly.
"""

from __future__ import annotations

from typing import Callable

import pytest

from harness import Skipperd
from test_proxy_http import Client, Origin, Req, Resp, proxied

Start = Callable[..., Skipperd]


@pytest.mark.parametrize("filters", [
    'setResponseHeader("Content-Length", "0")',
    'setResponseHeader("Content-Length", "100000")',
    'setResponseHeader("Transfer-Encoding", "chunked")',
    'setResponseHeader("Transfer-Encoding", "chunked") -> setResponseHeader("Content-Length", "3")',
])
@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_falsified_framing_fields_do_not_desync_keep_alive(skipperd: Start, filters: str, framing: str) -> None:
    body = b"0123456789" * 100

    def handler(r: Req) -> Resp:
        return Resp(body=[body[:300], body[300:]] if framing != "length" else body, framing=framing)

    with Origin(handler) as origin:
        s = skipperd(routes=proxied(origin.url, filters=filters))
        c = Client(s.port)
        for _ in range(3):
            a = c.get("/x")
            assert a.status == 200
            assert a.body == body
            te = a.header("Transfer-Encoding")
            cl = a.header("Content-Length")
            assert not (te and cl), a.head
            if cl is not None:
                assert int(cl) == len(body)
        # The same connection still answers a plain request after the falsified ones.
        c.send(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n")
        h = c.read("HEAD")
        assert h.status == 200
        a = c.get("/y")
        assert a.status == 200 and a.body == body


def test_local_responses_with_falsified_length(skipperd: Start) -> None:
    routes = ('r: * -> setResponseHeader("Content-Length", "0") -> inlineContent("hello") -> <shunt>;\n'
              'harness_ready: Path("/__harness_ready") -> status(204) -> <shunt>;')
    s = skipperd(routes=routes)
    c = Client(s.port)
    for _ in range(2):
        a = c.get("/")
        assert a.body == b"hello" and a.header("Content-Length") == "5"


def test_head_and_no_body_statuses(skipperd: Start) -> None:
    def handler(r: Req) -> Resp:
        if r.target == "/204":
            return Resp(status=204, body=b"", reason="No Content")
        if r.target == "/304":
            return Resp(status=304, body=b"", headers=[("Content-Length", "42")], reason="Not Modified")
        return Resp(body=b"abcdef")

    with Origin(handler) as origin:
        s = skipperd(routes=proxied(origin.url, filters='setResponseHeader("X-F", "1")'))
        c = Client(s.port)
        c.send(b"HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n")
        h = c.read("HEAD")
        assert h.status == 200 and h.header("Content-Length") == "6"
        a = c.get("/204")
        assert a.status == 204 and a.header("Content-Length") is None and a.header("Transfer-Encoding") is None
        a = c.get("/304")
        assert a.status == 304 and a.header("Content-Length") == "42"
        a = c.get("/x")
        assert a.status == 200 and a.body == b"abcdef"
        assert origin.connections == 1
