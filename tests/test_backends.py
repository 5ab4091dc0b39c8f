"""Backends beyond a plain http URL, through real skipperd processes and real origins on loopback:
load-balancing algorithms, the retry on another endpoint, ``<dynamic>``, ``<forward>``, https
backends and the upgrade tunnel."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import trustme

from harness import Skipperd, free_port
from test_proxy_http import READY, Client, Origin, Req, Resp, proxied

Start = Callable[..., Skipperd]


def named(name: str, delay: float = 0.0) -> Callable[[Req], Resp]:
    def handler(r: Req) -> Resp:
        if delay:
            time.sleep(delay)
        return Resp(body=name.encode())
    return handler


@pytest.fixture
def four() -> Iterator[list[Origin]]:
    origins = [Origin(named(f"o{i}")) for i in range(4)]
    yield origins
    for o in origins:
        o.close()


def lb(algorithm: str, origins: list[Origin], filters: str = "", predicates: str = "*", name: str = "lb") -> str:
    eps = ", ".join(f'"{o.url}"' for o in origins)
    return f'{name}: {predicates} -> {filters + " -> " if filters else ""}<{algorithm}, {eps}>;\n'


# --- consistentHash ----------------------------------------------------------------------------

def test_consistent_hash_one_key_one_endpoint_and_removal_moves_one_nth(skipperd: Start, four: list[Origin]) -> None:
    keyed = 'consistentHashKey("${request.header.X-Key}")'
    s = skipperd(routes=READY + lb("consistentHash", four, keyed), workers=2)
    keys = [f"user-{i}" for i in range(200)]

    def placement() -> dict[str, bytes]:
        c = Client(s.port)
        out = {}
        for k in keys:
            a = c.get("/", headers=f"X-Key: {k}\r\n")
            assert a.status == 200
            out[k] = a.body
        return out

    before = placement()
    assert placement() == before, "one key, one endpoint (whichever worker serves it)"
    spread = Counter(before.values())
    assert len(spread) == 4 and min(spread.values()) > 20, spread

    gen = s.generation()
    s.write_routes(READY + lb("consistentHash", four[:3], keyed))
    s.wait_for(lambda: s.generation() > gen)
    time.sleep(0.5)  # workers pick the generation up on their next request
    after = placement()
    moved = [k for k in keys if after[k] != before[k]]
    assert all(before[k] == b"o3" for k in moved), "only the removed endpoint's keys move"
    assert all(after[k] != b"o3" for k in keys)
    assert 0.12 < len(moved) / len(keys) < 0.40, len(moved)


def test_consistent_hash_default_key_is_the_client_address(skipperd: Start, four: list[Origin]) -> None:
    s = skipperd(routes=READY + lb("consistentHash", four))
    c = Client(s.port)
    assert len({c.get("/").body for _ in range(12)}) == 1, "one client address, one endpoint"
    # The first X-Forwarded-For address is the client address when present (Skipper's RemoteHost).
    by_xff = {c.get("/", headers=f"X-Forwarded-For: 10.0.{i}.1, 127.0.0.1\r\n").body for i in range(40)}
    assert len(by_xff) >= 3
    # A key template that does not resolve falls back to the default key.
    s2 = skipperd(routes=READY + lb("consistentHash", four, 'consistentHashKey("${request.header.X-Missing}")'))
    c2 = Client(s2.port)
    assert len({c2.get("/").body for _ in range(8)}) == 1


def test_consistent_hash_balance_factor_bounds_the_load(skipperd: Start) -> None:
    slow = [Origin(named(f"s{i}", delay=1.5)) for i in range(2)]
    try:
        routes = READY + lb("consistentHash", slow, 'consistentHashKey("hot")', 'Path("/plain")', "plain")
        routes += lb("consistentHash", slow, 'consistentHashKey("hot") -> consistentHashBalanceFactor(1)',
                     'Path("/bounded")', "bounded")
        s = skipperd(routes=routes)

        def burst(path: str) -> set[bytes]:
            got: list[bytes] = []

            def one() -> None:
                got.append(Client(s.port).get(path).body)
            threads = [threading.Thread(target=one) for _ in range(4)]
            for t in threads:
                t.start()
                time.sleep(0.05)
            for t in threads:
                t.join()
            return set(got)

        assert len(burst("/plain")) == 1, "one key, one endpoint, however loaded"
        assert len(burst("/bounded")) == 2, "past the bound the ring's next endpoint takes the key"
    finally:
        for o in slow:
            o.close()


# --- powerOfRandomNChoices ---------------------------------------------------------------------

def test_power_of_random_n_choices_prefers_the_less_busy_endpoint(skipperd: Start) -> None:
    release = threading.Event()

    def busy(r: Req) -> Resp:
        if r.target == "/hold":
            release.wait(30)
        return Resp(body=b"busy")

    with Origin(busy) as a, Origin(named("idle")) as b:
        s = skipperd(routes=READY + lb("powerOfRandomNChoices", [a, b]))
        try:
            # Requests that stay in flight on one endpoint (those landing on the other are answered).
            holders = []
            deadline = time.monotonic() + 10
            while sum(r.target == "/hold" for r in a.requests) < 2 and time.monotonic() < deadline:
                h = Client(s.port)
                h.send(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
                holders.append(h)
                time.sleep(0.1)
            assert sum(r.target == "/hold" for r in a.requests) >= 2
            c = Client(s.port)
            got = Counter(c.get("/").body for _ in range(80))
            # Each choice draws two endpoints at random: the busy one wins only when drawn twice (1/4);
            # round robin would give it half.
            assert got[b"busy"] > 0 and got[b"idle"] / 80 > 0.6, got
        finally:
            release.set()


# --- retry on another endpoint -----------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["roundRobin", "random", "consistentHash", "powerOfRandomNChoices"])
def test_connect_failure_is_retried_on_another_endpoint(skipperd: Start, algorithm: str) -> None:
    with Origin(named("live")) as live:
        dead = f"http://127.0.0.1:{free_port()}"
        s = skipperd(routes=READY + f'lb: * -> <{algorithm}, "{dead}", "{live.url}">;\n')
        c = Client(s.port)
        for i in range(6):
            a = c.get(f"/{i}", headers=f"X-Forwarded-For: 10.1.{i}.1\r\n")
            assert (a.status, a.body) == (200, b"live")
        # Nothing of a request with a body was sent either: it is retried as well.
        c.send(b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        assert c.read().status == 200
        assert live.requests[-1].body == b"hello"


def test_retry_goes_where_the_algorithm_sends_the_key_without_the_failed_endpoint(
        skipperd: Start, four: list[Origin]) -> None:
    """consistentHash with a dead endpoint: a key whose endpoint is dead is retried on the ring's
    next endpoint, the one that serves the key once the dead endpoint leaves the route (not the
    next one in the list)."""
    live = four[:3]
    dead = f"http://127.0.0.1:{free_port()}"
    keyed = 'consistentHashKey("${request.header.X-Key}")'
    eps = f'"{live[0].url}", "{dead}", "{live[1].url}", "{live[2].url}"'
    with_dead = skipperd(routes=READY + f"lb: * -> {keyed} -> <consistentHash, {eps}>;\n")
    without = skipperd(routes=READY + lb("consistentHash", live, keyed))
    keys = [f"user-{i}" for i in range(160)]

    def placement(port: int) -> list[bytes]:
        c = Client(port)
        out = []
        for k in keys:
            a = c.get("/", headers=f"X-Key: {k}\r\n")
            assert a.status == 200, (k, a.status)
            out.append(a.body)
        return out

    assert placement(with_dead.port) == placement(without.port)
    assert sum(len(o.requests) for o in live) == 2 * len(keys)  # each key once per skipperd


def test_the_retry_never_picks_the_failed_endpoint() -> None:
    from skipperd.http.context import FilterContext
    from skipperd.http.headers import Headers
    from skipperd.http.request import Request
    from skipperd.proxy.lb import make_selector
    from skipperd.routing.route import parse_endpoint

    endpoints = [parse_endpoint(f"http://10.0.0.{i}:80") for i in range(5)]
    for algorithm in ("roundRobin", "random", "consistentHash", "powerOfRandomNChoices"):
        sel = make_selector(algorithm, endpoints)
        for i in range(200):
            ctx = FilterContext(Request("GET", "/", headers=Headers(), remote_addr=f"10.9.{i % 50}.1"), {})
            first = sel.pick(endpoints, ctx)
            other = sel.pick_other(endpoints, ctx, first)
            assert other != first and 0 <= other < len(endpoints), algorithm
    # Round robin's second choice is its next position; consistentHash's the ring's next owner.
    rr = make_selector("roundRobin", endpoints)
    ctx = FilterContext(Request("GET", "/", headers=Headers(), remote_addr="10.9.0.1"), {})
    first = rr.pick(endpoints, ctx)
    assert rr.pick_other(endpoints, ctx, (first + 1) % 5) == (first + 2) % 5
    ch = make_selector("consistentHash", endpoints)
    fewer = make_selector("consistentHash", endpoints[:2] + endpoints[3:])
    for i in range(100):
        ctx = FilterContext(Request("GET", "/", headers=Headers(), remote_addr=f"10.8.{i}.1"), {})
        if ch.pick(endpoints, ctx) == 2:
            j = ch.pick_other(endpoints, ctx, 2)
            assert endpoints[j] is (endpoints[:2] + endpoints[3:])[fewer.pick(endpoints[:4], ctx)]


def test_retry_is_once(skipperd: Start) -> None:
    dead = [f"http://127.0.0.1:{free_port()}" for _ in range(3)]
    s = skipperd(routes=READY + f'lb: * -> <roundRobin, "{dead[0]}", "{dead[1]}", "{dead[2]}">;\n')
    assert Client(s.port).get("/").status == 502


# --- <dynamic> -----------------------------------------------------------------------------------

def test_dynamic_backend_filters(skipperd: Start) -> None:
    with Origin(named("a")) as a, Origin(named("b")) as b:
        routes = READY + (
            f'url: Path("/url") -> setDynamicBackendUrl("{a.url}") -> <dynamic>;\n'
            f'host: Path("/host") -> setDynamicBackendHost("127.0.0.1:{b.port}") -> <dynamic>;\n'
            f'both: Path("/both") -> setDynamicBackendHost("127.0.0.1:{b.port}")'
            f' -> setDynamicBackendUrl("{a.url}") -> <dynamic>;\n'
            f'scheme: Path("/scheme") -> setDynamicBackendScheme("http") -> <dynamic>;\n'
            'hdr: Path("/hdr") -> setDynamicBackendUrlFromHeader("X-Url") -> <dynamic>;\n'
            'hosthdr: Path("/hosthdr") -> setDynamicBackendHostFromHeader("X-Host")'
            ' -> setDynamicBackendSchemeFromHeader("X-Scheme") -> <dynamic>;\n'
            'bad: Path("/bad") -> setDynamicBackendScheme("ftp") -> <dynamic>;\n'
            'bare: Path("/bare") -> <dynamic>;\n')
        s = skipperd(routes=routes)
        c = Client(s.port)
        a1 = c.get("/url?q=1")
        assert (a1.status, a1.body) == (200, b"a")
        assert a.requests[-1].target == "/url?q=1"
        assert a.requests[-1].header("Host") == f"127.0.0.1:{a.port}", "the URL's host is the outgoing host"
        assert c.get("/host").body == b"b"
        assert b.requests[-1].header("Host") == f"127.0.0.1:{b.port}"
        assert c.get("/both").body == b"a", "the URL wins over host and scheme"
        # Nothing but the scheme: the request's own Host names the target (Skipper).
        assert c.get("/scheme", host=f"127.0.0.1:{b.port}").body == b"b"
        assert c.get("/bare", host=f"127.0.0.1:{a.port}").body == b"a"
        assert a.requests[-1].header("Host") == f"127.0.0.1:{a.port}"
        assert c.get("/hdr", headers=f"X-Url: {b.url}/ignored-path\r\n").body == b"b"
        assert b.requests[-1].target == "/hdr"
        a2 = c.get("/hosthdr", headers=f"X-Host: 127.0.0.1:{a.port}\r\nX-Scheme: http\r\n")
        assert a2.body == b"a"
        # A header form without its header leaves the target to the request's Host.
        assert c.get("/hdr", host=f"127.0.0.1:{b.port}").body == b"b"
        assert c.get("/bad", host=f"127.0.0.1:{b.port}").status == 500
        # No target that can be reached: Skipper's dial error answer.
        assert c.get("/bare", host=f"127.0.0.1:{free_port()}").status == 502


def test_dynamic_backend_filter_arguments(skipperd: Start) -> None:
    s = skipperd(routes=READY + (
        'ok: Path("/ok") -> setDynamicBackendUrl("http://example.org") -> <dynamic>;\n'
        'none: Path("/n") -> setDynamicBackendUrl() -> <dynamic>;\n'
        'num: Path("/m") -> setDynamicBackendHost(3) -> <dynamic>;\n'
        'two: Path("/t") -> setDynamicBackendSchemeFromHeader("a", "b") -> <dynamic>;\n'
        'key: Path("/k") -> consistentHashKey() -> <shunt>;\n'
        'factor: Path("/f") -> consistentHashBalanceFactor(0.5) -> <shunt>;\n'
        'factorstr: Path("/g") -> consistentHashBalanceFactor("2") -> <shunt>;\n'))
    _, _, body = s.support("/routes/invalid")
    text = body.decode()
    for rid in ("none", "num", "two", "key", "factor", "factorstr"):
        assert rid in text, (rid, text)
    assert "ok:" not in text and '"ok"' not in text


# --- <forward> -----------------------------------------------------------------------------------

def test_forward_backend(skipperd: Start) -> None:
    with Origin() as o:
        routes = READY + 'fw: * -> setRequestHeader("X-Filtered", "1") -> setResponseHeader("X-R", "1") -> <forward>;\n'
        s = skipperd(routes=routes, args=[f"-forward-backend-url={o.url}"])
        c = Client(s.port)
        a = c.get("/bar?q=a", host="incoming.example.org")
        assert (a.status, a.body) == (200, b"GET /bar?q=a")
        assert a.header("X-R") is None, "a <forward> route runs no filters"
        r = o.requests[-1]
        assert r.header("X-Filtered") is None
        assert r.header("Host") == f"127.0.0.1:{o.port}"
        # Without the flag: Skipper's transport has no host to go to.
        s2 = skipperd(routes=routes)
        assert Client(s2.port).get("/").status == 500


def test_forward_backend_url_is_checked_at_start(skipperd: Start) -> None:
    with pytest.raises(RuntimeError, match="forward-backend-url"):
        skipperd(routes=READY, args=["-forward-backend-url=ftp://x"])


# --- https backends ------------------------------------------------------------------------------

class TLSFixture:
    """A CA that the test trusts (written where SSL_CERT_FILE can name it) and a server
    context whose certificate it signed, recording the SNI names clients sent."""

    def __init__(self, tmp: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")) -> None:
        self.ca = trustme.CA()
        self.ca_file = tmp / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert(*names).configure_cert(self.server)
        self.sni: list[str | None] = []
        self.server.sni_callback = lambda sock, name, ctx: self.sni.append(name)  # type: ignore[assignment,misc]

    @property
    def trusted(self) -> dict[str, str]:
        return {"SSL_CERT_FILE": str(self.ca_file)}


@pytest.fixture
def tls(tmp_path: Path) -> TLSFixture:
    return TLSFixture(tmp_path)


def test_https_backend_verified_against_a_trusted_ca(skipperd: Start, tls: TLSFixture) -> None:
    with Origin(tls=tls.server, host="localhost") as o, Origin(tls=tls.server) as by_ip:
        s = skipperd(routes=READY + f'name: Path("/n") -> "{o.url}";\nip: Path("/ip") -> "{by_ip.url}";\n',
                     env=tls.trusted)
        c = Client(s.port)
        for i in range(3):
            a = c.get("/n")
            assert (a.status, a.body) == (200, b"GET /n")
        assert o.connections == 1, "kept-alive TLS connections are reused"
        assert o.requests[-1].header("Host") == f"localhost:{o.port}"
        assert tls.sni[0] == "localhost", "SNI names the backend's host"
        assert c.get("/ip").status == 200, "an IP address is verified against the IP SANs"


def test_https_backend_large_bodies_both_ways(skipperd: Start, tls: TLSFixture) -> None:
    big = bytes(range(256)) * 8192  # 2 MB

    def handler(r: Req) -> Resp:
        return Resp(body=r.body[::-1] if r.method == "POST" else big, framing="chunked")

    with Origin(handler, tls=tls.server, host="localhost") as o:
        s = skipperd(routes=proxied(o.url), env=tls.trusted)
        c = Client(s.port)
        assert c.get("/").body == big
        c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (1 << 20) + big[:1 << 20])
        assert c.read().body == big[:1 << 20][::-1]


def test_https_backend_verification_failures_are_502_and_insecure_skips_them(skipperd: Start, tls: TLSFixture,
                                                                             tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    other = TLSFixture(tmp_path / "other", names=("other.example",))
    with Origin(tls=tls.server, host="localhost") as o, Origin(tls=other.server, host="localhost") as wrong:
        routes = READY + f'r: Path("/r") -> "{o.url}";\nwrong: Path("/wrong") -> "{wrong.url}";\n'
        untrusted = skipperd(routes=routes)  # the system store does not know the test's CA
        c = Client(untrusted.port)
        assert c.get("/r").status == 502
        assert o.requests == []
        assert "CERTIFICATE_VERIFY_FAILED: unable to get local issuer certificate" in untrusted.log()
        trusted = skipperd(routes=routes, env=dict(SSL_CERT_FILE=str(other.ca_file)))
        assert Client(trusted.port).get("/wrong").status == 502, "a certificate for another host name"
        insecure = skipperd(routes=routes, args=["-insecure"])
        c = Client(insecure.port)
        assert c.get("/r").status == 200
        assert c.get("/wrong").status == 200


def plain_http_server() -> tuple[int, Callable[[], None]]:
    """A port whose server answers every connection in plain HTTP at once, as a plain HTTP
    server answers a TLS ClientHello (nginx: 400), and closes it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)

    def serve() -> None:
        while True:
            try:
                c, _ = sock.accept()
            except OSError:
                return
            with c:
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1], sock.close


def test_https_lb_and_a_plain_http_server_behind_an_https_url(skipperd: Start, tls: TLSFixture) -> None:
    port, stop = plain_http_server()
    with Origin(named("a"), tls=tls.server, host="localhost") as a, \
            Origin(named("b"), tls=tls.server, host="localhost") as b:
        s = skipperd(routes=READY + lb("roundRobin", [a, b]) +
                     f'mismatch: Path("/m") -> "https://127.0.0.1:{port}";\n', env=tls.trusted)
        c = Client(s.port)
        assert sorted(c.get("/").body for _ in range(4)) == [b"a", b"a", b"b", b"b"]
        assert c.get("/m").status == 502, "a plain HTTP answer to the TLS handshake"
        assert "TLS handshake with 127.0.0.1" in s.log()
    stop()


def test_https_handshake_timeout_is_504(skipperd: Start) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts (the kernel does) and never answers
    try:
        s = skipperd(routes=READY + f'r: * -> "https://127.0.0.1:{silent.getsockname()[1]}";\n',
                     args=["-tls-timeout-backend=1s"])
        t0 = time.monotonic()
        assert Client(s.port).get("/").status == 504
        assert 0.8 < time.monotonic() - t0 < 10, "the handshake deadline, not the 60 s default"
    finally:
        silent.close()


def test_https_backend_new_connections_resume_the_tls_session(skipperd: Start, tls: TLSFixture) -> None:
    with Origin(lambda r: Resp(body=b"x"), tls=tls.server, host="localhost") as o:
        s = skipperd(routes=proxied(o.url), env=tls.trusted, args=["-disable-http-keepalives"])
        c = Client(s.port)
        for _ in range(4):
            assert c.get("/").status == 200
        assert o.connections == 4
        assert o.tls_resumed[0] is False and any(o.tls_resumed[1:]), o.tls_resumed


# --- Upgrade: WebSocket and others ---------------------------------------------------------------

class EchoServer:
    """A WebSocket echo origin (the websockets package), in a thread, recording request headers."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        from websockets.sync.server import serve

        self.requests: list[dict[str, str]] = []
        self.ended = 0  # connections whose handler returned (the peer closed or went away)

        def handler(ws: Any) -> None:
            self.requests.append({k.lower(): v for k, v in ws.request.headers.raw_items()})
            try:
                for message in ws:
                    ws.send(message)
            finally:
                self.ended += 1

        self.server = serve(handler, "127.0.0.1", 0, ssl=tls)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    e = EchoServer()
    yield e
    e.close()


def websocket_echo(port: int, path: str = "/ws", **kw: Any) -> None:
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}{path}", open_timeout=5, close_timeout=5, **kw) as ws:
        ws.send("hello, text")
        assert ws.recv(timeout=5) == "hello, text"
        payload = bytes(range(256)) * 300  # binary, over several TCP segments
        ws.send(payload)
        assert ws.recv(timeout=5) == payload
        for i in range(20):
            ws.send(f"m{i}")
        assert [ws.recv(timeout=5) for _ in range(20)] == [f"m{i}" for i in range(20)]
        ws.close()
        assert ws.close_code == 1000, "a clean close both ways"


def test_websocket_echo_through_skipperd(skipperd: Start, echo: EchoServer) -> None:
    s = skipperd(routes=READY + f'ws: Path("/ws") -> setRequestHeader("X-Via", "skipperd") -> "{echo.url()}";\n',
                 args=["-experimental-upgrade"])
    websocket_echo(s.port)
    h = echo.requests[-1]
    assert h["upgrade"] == "websocket" and h["connection"].lower() == "upgrade"
    assert h["x-via"] == "skipperd", "request filters run before the upgrade"
    assert h["host"] == f"127.0.0.1:{echo.port}"
    # The worker serves other connections while tunnels are open, and tunnels again.
    websocket_echo(s.port)
    assert Client(s.port).get("/__harness_ready").status == 204


def test_upgrade_with_firefox_connection_tokens_and_early_data(skipperd: Start, echo: EchoServer) -> None:
    s = skipperd(routes=READY + f'ws: * -> "{echo.url()}";\n', args=["-experimental-upgrade"])
    c = Client(s.port)
    key = base64.b64encode(os.urandom(16)).decode()
    # A masked text frame "hi" sent right behind the head, before the 101 arrived.
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | 2]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(b"hi"))
    c.send(f"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
           f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n".encode() + frame)
    a = c.read("HEAD")  # a 101 has no body
    assert a.status == 101
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    assert a.header("Sec-WebSocket-Accept") == want
    assert (a.header("Upgrade") or "").lower() == "websocket"
    assert "upgrade" in (a.header("Connection") or "").lower()
    assert c.f.read(4) == b"\x81\x02hi", "the echo of the frame sent early"


def test_upgrade_refused_without_the_flag(skipperd: Start, echo: EchoServer) -> None:
    from websockets.exceptions import InvalidStatus

    s = skipperd(routes=READY + f'ws: * -> "{echo.url()}";\n')
    with pytest.raises(InvalidStatus) as e:
        websocket_echo(s.port)
    # As Skipper: the request reaches the backend without its hop-by-hop Upgrade and Connection
    # fields, a plain GET, and the WebSocket server refuses it (426 Upgrade Required).
    assert e.value.response.status_code == 426
    assert echo.requests == []


def test_upgrade_answered_without_101_and_over_http10(skipperd: Start) -> None:
    def handler(r: Req) -> Resp:
        return Resp(403, body=b"no " + (r.header("Upgrade") or "").encode(), reason="Forbidden")

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url), args=["-experimental-upgrade"])
        c = Client(s.port)
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        a = c.read()
        assert (a.status, a.body) == (403, b"no h2c")
        assert o.requests[-1].header("Connection") == "Upgrade"
        assert c.closed(), "what follows an upgrade request is not HTTP: the connection closes"
        c = Client(s.port)
        c.send(b"GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        assert c.read().status == 400


def test_websocket_over_an_https_backend_and_to_a_dead_backend(skipperd: Start, tls: TLSFixture) -> None:
    e = EchoServer(tls=tls.server)
    try:
        dead = free_port()
        s = skipperd(routes=READY + f'ws: Path("/ws") -> "{e.url("https", "localhost")}";\n'
                     f'dead: Path("/dead") -> "http://127.0.0.1:{dead}";\n',
                     args=["-experimental-upgrade"], env=tls.trusted)
        websocket_echo(s.port)
        c = Client(s.port)
        c.send(b"GET /dead HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        assert c.read().status == 502
    finally:
        e.close()


def test_upgrade_audit_logs_the_request_and_what_the_backend_sent(skipperd: Start, echo: EchoServer) -> None:
    routes = READY + f'ws: PathSubtree("/ws") -> setQuery("via", "skipperd") -> "{echo.url()}";\n'
    plain = skipperd(routes=routes, args=["-experimental-upgrade"])
    audited = skipperd(routes=routes, args=["-experimental-upgrade", "-experimental-upgrade-audit"])
    for s in (plain, audited):
        websocket_echo(s.port, "/ws/room?x=1", compression=None)  # frames as they are, not deflated
    # Skipper's audit: the request line's parts as JSON on standard error, the backend's bytes
    # (its frames: a server's are not masked, so the text shows) on standard output.
    lines = [json.loads(m) for m in re.findall(r'\{"method":[^}]*\}', audited.log())]
    assert lines == [{"method": "GET", "path": "/ws/room", "query": "via=skipperd&x=1", "fragment": ""}]
    log = audited.log()
    assert "hello, text" in log and "m19" in log
    assert "hello, text" not in plain.log() and '{"method"' not in plain.log()


NETNS_ENV = "SKIPPERD_TEST_NETNS"


def in_own_network_namespace(test: str) -> bool:
    """True inside a network namespace of this test's own (``unshare -n``), where it may take the
    loopback interface down; outside, run ``test`` there, check it passed and return False."""
    if os.environ.get(NETNS_ENV):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return True
    missing = [t for t in ("unshare", "ip", "ss") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (util-linux, iproute2) for a network namespace of its own")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs the right to create a network namespace (unshare -n)")
    r = subprocess.run(["unshare", "-n", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        f"{__file__}::{test}"], env={**os.environ, NETNS_ENV: "1"},
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-8000:] + r.stderr[-2000:]
    return False


def established_to(port: int) -> int:
    """Established TCP connections to ``port`` in this network namespace."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return len(out.splitlines())


def test_tunnel_to_a_client_gone_silent_closes(skipperd: Start) -> None:
    """A client that vanishes without a FIN or RST (here: the loopback goes down) is found by TCP
    keep-alive, and the tunnel closes its backend connection: it does not hold it for ever."""
    if not in_own_network_namespace("test_tunnel_to_a_client_gone_silent_closes"):
        return
    from websockets.sync.client import connect

    e = EchoServer()
    try:
        # The backend side would take 60 s + 9 probes: the client side (1 s + 9 probes) acts first.
        s = skipperd(routes=READY + f'ws: * -> "{e.url()}";\n',
                     args=["-experimental-upgrade", "-upgrade-client-keepalive=1s", "-keepalive-backend=60s"])
        with connect(f"ws://127.0.0.1:{s.port}/ws", open_timeout=5, close_timeout=1) as ws:
            ws.send("before")
            assert ws.recv(timeout=5) == "before"
            assert established_to(e.port) == 1
            t0 = time.monotonic()
            subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
            try:
                while established_to(e.port) and time.monotonic() - t0 < 40:
                    time.sleep(0.5)
                gone = time.monotonic() - t0
            finally:
                subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        assert established_to(e.port) == 0, "the tunnel still holds its backend connection after 40 s"
        assert 5 < gone < 30, gone
    finally:
        e.close()
