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


# --- request heads: trailers, Host, targets, CONNECT, Connection options ---------------------------

def test_trailers_are_not_request_headers(skipperd: Start, origin: Origin) -> None:
    routes = READY + f'''
        admin: Header("X-Admin", "1") -> status(299) -> <shunt>;
        other: Host("^other$") -> status(298) -> <shunt>;
        all: * -> "{origin.url}";'''
    s = skipperd(routes=routes)
    c = Client(s.port)
    c.send(b"POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"3\r\nabc\r\n0\r\nX-Admin: 1\r\nHost: other\r\nX-Trailer: t\r\n\r\n")
    a = c.read()
    assert a.status == 200, "routed on the head, not the trailer"
    r = origin.requests[-1]
    assert r.body == b"abc"
    assert "x-admin" not in r.names() and "x-trailer" not in r.names()
    assert r.header("Host") == f"127.0.0.1:{origin.port}"
    # The trailer of one request never leaks into the next on the connection.
    assert c.get("/after").status == 200
    assert "x-admin" not in origin.requests[-1].names()


def test_trailer_limits_still_apply(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-max-header-bytes=4096"])
    c = Client(s.port)
    c.send(b"POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
           + b"".join(b"X-T%d: %s\r\n" % (i, b"v" * 100) for i in range(100)) + b"\r\n")
    a = c.read()
    assert a.status in (200, 431)
    assert c.closed(), "a trailer past the head limit ends the connection"


@pytest.mark.parametrize("hosts", [
    "Host: a\r\nHost: b\r\n", "Host: a\r\nHost: a\r\n", "Host: a\r\nX: 1\r\nhost: b\r\n",
])
def test_two_host_fields_are_400(skipperd: Start, origin: Origin, hosts: str) -> None:
    s = skipperd(routes=proxied(origin.url))
    c = Client(s.port)
    c.send(f"GET / HTTP/1.1\r\n{hosts}\r\n".encode())
    a = c.read()
    assert a.status == 400 and a.header("Connection") == "close"
    assert c.closed()
    assert not origin.requests


@pytest.mark.parametrize("target,host,path", [
    ("http://target.example/p", "target.example", "/p"),
    ("http://target.example", "target.example", "/"),
    ("http://target.example?q=1", "target.example", "/?q=1"),
    ("http://target.example:8080/p?q=1", "target.example:8080", "/p?q=1"),
    ("HTTP://target.example/p#frag", "target.example", "/p"),
    ("https://user:pw@target.example/a%20b", "target.example", "/a%20b"),
    ("http://[::1]:8080/x", "[::1]:8080", "/x"),
])
def test_absolute_form_takes_the_host_from_the_target(skipperd: Start, origin: Origin, target: str,
                                                      host: str, path: str) -> None:
    routes = READY + f'''
        byhost: Host("^{host.replace("[", "[[]").replace(".", "[.]")}$") -> setRequestHeader("X-Routed", "host") -> "{origin.url}";
        other: * -> status(404) -> <shunt>;'''
    s = skipperd(routes=routes, args=["-proxy-preserve-host"])
    c = Client(s.port)
    c.send(f"GET {target} HTTP/1.1\r\nHost: ignored.example\r\n\r\n".encode())
    a = c.read()
    assert a.status == 200, a
    r = origin.requests[-1]
    assert r.target == path and r.header("Host") == host and r.header("X-Routed") == "host"
    assert c.get("/next", host=host).status == 200  # kept alive
    assert "Traceback" not in s.log()


@pytest.mark.parametrize("target", ["ftp://x/p", "example.org:80", "http:///p", "http://", "x",
                                    "http://h:port/p", "http://h:80:80/p", "http://[zz]/p", "http://h\"/p",
                                    "http://h:1234567/p"])
def test_other_targets_are_400(skipperd: Start, origin: Origin, target: str) -> None:
    s = skipperd(routes=proxied(origin.url))
    worker = s.wait_workers(1)[0]
    c = Client(s.port)
    c.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    try:
        a = c.read()
        assert a.status == 400
    except ConnectionError:
        pass  # llhttp refuses some of these before a callback: closed with the 400 or without
    assert c.closed()
    assert not origin.requests
    assert s.wait_workers(1) == [worker]
    assert "Traceback" not in s.log()


def test_connect_is_answered_405_and_closed(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url))
    worker = s.wait_workers(1)[0]
    c = Client(s.port)
    c.send(b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n\x16\x03\x01tls bytes")
    a = c.read()
    assert a.status == 405 and a.header("Connection") == "close" and "CONNECT" not in (a.header("Allow") or "CONNECT")
    assert c.closed()
    assert not origin.requests
    assert s.wait_workers(1) == [worker]
    assert "Traceback" not in s.log()


def test_connection_options_are_removed_before_the_filters(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url, filters='setRequestHeader("X-Set", "by-filter")'))
    c = Client(s.port)
    a = c.get("/", headers="Connection: X-Set, X-Hop\r\nX-Set: by-client\r\nX-Hop: 1\r\n")
    assert a.status == 200
    r = origin.requests[-1]
    assert r.header("X-Set") == "by-filter"
    assert "x-hop" not in r.names()


def test_connection_cannot_remove_framing_fields(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url))
    c = Client(s.port)
    body = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    c.send(b"POST /p HTTP/1.1\r\nHost: x\r\nConnection: Content-Length, Host\r\n"
           b"Content-Length: %d\r\n\r\n%b" % (len(body), body))
    a = c.read()
    assert a.status == 200
    time.sleep(0.2)
    assert [r.target for r in origin.requests] == ["/p"]
    assert origin.requests[0].body == body


# --- what a backend sends -------------------------------------------------------------------------

def test_bytes_past_the_backend_framing_are_never_relayed(skipperd: Start) -> None:
    # One write: a whole response, then bytes that belong to no response.
    ls, url = raw_origin([
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED",
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond",
    ])
    try:
        s = skipperd(routes=proxied(url))
        c = Client(s.port)
        a = c.get("/one")
        assert a.status == 200 and a.body == b"ok"
        a = c.get("/two")
        assert b"SMUGGLED" not in a.body
        # The over-sending connection was not reused: the second request got a new one, and
        # raw_origin answers the first request of each connection with the first reply.
        assert a.status == 200 and a.body == b"ok"
    finally:
        ls.close()


@pytest.mark.parametrize("excess", [b"garbage", b"\x00\x01", b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 200 OK\r\n"])
def test_excess_after_chunked_or_length_body_closes_the_backend_connection(skipperd: Start, excess: bytes) -> None:
    replies = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + excess]
    ls, url = raw_origin(replies * 3)
    try:
        s = skipperd(routes=proxied(url))
        c = Client(s.port)
        for _ in range(3):
            a = c.get("/")
            assert a.status == 200 and a.body == b"ok"
    finally:
        ls.close()


def _big_head_origin(head: bytes) -> tuple[socket.socket, str]:
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)

    def serve() -> None:
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            with c:
                if c.recv(65536):
                    try:
                        c.sendall(head)
                    except OSError:
                        pass

    threading.Thread(target=serve, daemon=True).start()
    return ls, f"http://127.0.0.1:{ls.getsockname()[1]}"


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\nX-Big: " + b"v" * (8 << 20) + b"\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-F%d: v\r\n" % i for i in range(200)) + b"Content-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"X-Many: v\r\n" * 20000 + b"Content-Length: 0\r\n\r\n",
])
def test_backend_response_head_is_bounded(skipperd: Start, head: bytes) -> None:
    ls, url = _big_head_origin(head)
    try:
        s = skipperd(routes=proxied(url), args=["-max-header-bytes=65536", "-max-header-count=100"])
        worker = s.wait_workers(1)[0]
        t0 = time.monotonic()
        a = Client(s.port).get("/")
        assert a.status == 502 and len(a.head) < 1000
        assert time.monotonic() - t0 < 3
        assert s.wait_workers(1) == [worker]
    finally:
        ls.close()


def test_write_timeout_bounds_the_whole_response(skipperd: Start) -> None:
    big = b"z" * (64 << 20)
    with Origin(lambda r: Resp(body=big)) as o:
        s = skipperd(routes=proxied(o.url), args=["-write-timeout-server=2s"])
        c = Client(s.port)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        t0 = time.monotonic()
        got = 0
        c.sock.settimeout(5)
        try:
            while time.monotonic() - t0 < 12:
                data = c.sock.recv(16384)  # a slow reader: a little every 0.2 s, never idle for long
                if not data:
                    break
                got += len(data)
                time.sleep(0.2)
        except (ConnectionResetError, socket.timeout):
            pass
        assert got < len(big)
        assert time.monotonic() - t0 < 6, "cut off at the write timeout, not served on and on"


# --- resources: pools, memory ----------------------------------------------------------------------

class _ClosingOrigin:
    """Answers every request with 200 and records when each of its connections was closed."""

    def __init__(self) -> None:
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.url = f"http://127.0.0.1:{self.ls.getsockname()[1]}"
        self.opened = 0
        self.closed_at: list[float] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            self.opened += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c: socket.socket) -> None:
        with c:
            while True:
                try:
                    data = c.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.closed_at.append(time.monotonic())
                    return
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def close(self) -> None:
        self.ls.close()


def test_pool_closed_when_its_endpoint_leaves_the_table(skipperd: Start) -> None:
    a, b = _ClosingOrigin(), _ClosingOrigin()
    try:
        s = skipperd(routes=proxied(a.url), args=["-idle-timeout-backend=300s", "-close-idle-conns-period=300s"])
        assert Client(s.port).get("/").status == 200
        assert a.opened == 1 and not a.closed_at, "the backend connection idles in the pool"
        gen = s.generation()
        s.write_routes(proxied(b.url))
        s.wait_for(lambda: s.generation() > gen)
        t0 = time.monotonic()
        assert Client(s.port).get("/").status == 200  # the worker swaps tables on a request
        s.wait_for(lambda: a.closed_at, timeout=5)
        assert a.closed_at[0] - t0 < 2
        assert not b.closed_at, "the endpoint still in the table keeps its pool"
    finally:
        a.close()
        b.close()


def test_memory_does_not_grow_per_404(skipperd: Start) -> None:
    s = skipperd(routes=READY + 'r: Path("/found") -> status(200) -> <shunt>;')
    worker = s.wait_workers(1)[0]
    c = Client(s.port, timeout=30)
    batch = b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n" * 250

    def run(n: int) -> None:
        for _ in range(n // 250):
            c.send(batch)
            got = 0
            buf = b""
            while got < 250:
                data = c.sock.recv(1 << 20)
                assert data
                buf += data
                got = buf.count(b"HTTP/1.1 404 ")
            assert got == 250

    run(10_000)  # warm up: caches, allocator arenas
    before = rss_kb(worker)
    run(50_000)
    grown = rss_kb(worker) - before
    assert grown < 8 * 1024, f"RSS grew by {grown} KB over 50,000 404s"


# --- route regexps: RE2 end to end ------------------------------------------------------------------

def test_backtracking_regexp_does_not_stall_a_worker(skipperd: Start) -> None:
    routes = READY + '''
        evil: PathRegexp("^/(a+)+$") -> status(201) -> <shunt>;
        hdr: HeaderRegexp("X-Evil", "^(a|aa)+$") -> status(202) -> <shunt>;
        rest: * -> status(204) -> <shunt>;'''
    s = skipperd(routes=routes)
    c = Client(s.port, timeout=10)
    t0 = time.monotonic()
    assert c.get("/" + "a" * 40 + "b").status == 204
    assert c.get("/x", headers="X-Evil: " + "a" * 40 + "!\r\n").status == 204
    assert c.get("/" + "a" * 40).status == 201
    assert time.monotonic() - t0 < 2


def test_regexp_re2_rejects_is_dropped_alone_and_reported(skipperd: Start) -> None:
    routes = READY + r'''
        backref: PathRegexp("^/(a)\\1$") -> status(201) -> <shunt>;
        lookahead: HeaderRegexp("X", "a(?=b)") -> status(202) -> <shunt>;
        good: PathRegexp("^/\\p{L}+$") -> status(203) -> <shunt>;'''
    s = skipperd(routes=routes)
    assert Client(s.port).get("/abc").status == 203
    assert Client(s.port).get("/11").status == 404
    status, _, body = s.support("/routes/invalid")
    assert status == 200
    assert b"backref" in body and b"invalid escape sequence" in body
    assert b"lookahead" in body and b"invalid perl operator" in body
    assert b"good" not in body
