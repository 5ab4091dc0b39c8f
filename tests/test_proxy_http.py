"""The data path with real processes on loopback: skipperd in front of small origin servers.

Each test starts skipperd through the harness (``tests/harness.py``) with a routes file that
points at origins written here with plain sockets and threads, and talks HTTP/1.1 to it over raw
sockets where http.client would hide what is being tested (pipelining, chunking, 100-continue,
malformed requests).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import pytest

from harness import Options, Skipperd, free_port

Start = Callable[..., Skipperd]


# --- a small origin server ----------------------------------------------------------------------

class _Fields:
    """Header lookups shared by what the origin received and what the client got back."""

    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def names(self) -> set[str]:
        return {n.lower() for n, _ in self.headers}


@dataclass
class Req(_Fields):
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    body_len: int = 0
    conn_no: int = 0        # which connection of the origin (1-based)
    on_conn: int = 0        # which request on that connection (1-based)


@dataclass
class Resp:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b"ok"
    framing: str = "length"   # length | chunked | close (no length, close after the body)
    reason: str = "OK"


DROP = "drop"    # close the connection without answering
RESET = "reset"  # reset the connection without answering
HANG = "hang"    # never answer

Handler = Callable[[Req], "Resp | str"]
KEEP_BODY = 1 << 20  # the origin keeps at most this much of a request body; it counts the rest


def _readline(f: "socket.SocketIO | object") -> bytes:
    return f.readline(65537)  # type: ignore[attr-defined,no-any-return]


class Origin:
    """A threaded HTTP/1.1 origin: keep-alive, chunked both ways, scripted misbehaviour."""

    def __init__(self, handler: Handler | None = None, idle_close: float = 0.0,
                 tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.handler = handler or (lambda r: Resp(body=f"{r.method} {r.target}".encode()))
        self.idle_close = idle_close
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        if tls is not None:
            # The handshake runs in the connection's thread: a failed one ends that connection only.
            self.sock = tls.wrap_socket(self.sock, server_side=True, do_handshake_on_connect=False)
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        self.requests: list[Req] = []
        self.connections = 0
        self.tls_resumed: list[bool] = []  # per TLS connection: was the client's session resumed
        self._lock = threading.Lock()
        self._stop = False
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop = True
        self.sock.close()
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass

    def __enter__(self) -> "Origin":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                n = self.connections
            self._conns.append(c)
            threading.Thread(target=self._serve, args=(c, n), daemon=True).start()

    def _serve(self, c: socket.socket, conn_no: int) -> None:
        f = c.makefile("rb")
        on_conn = 0
        try:
            while True:
                if self.idle_close:
                    c.settimeout(self.idle_close)
                try:
                    line = _readline(f)
                except (socket.timeout, OSError):
                    return
                c.settimeout(None)
                if not line:
                    return
                on_conn += 1
                if on_conn == 1 and isinstance(c, ssl.SSLSocket):
                    self.tls_resumed.append(c.session_reused)
                req = self._read_request(f, line, conn_no, on_conn)
                with self._lock:
                    self.requests.append(req)
                action = self.handler(req)
                if action == DROP:
                    return
                if action == RESET:
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                if action == HANG:
                    time.sleep(3600)
                    return
                assert isinstance(action, Resp)
                if not self._respond(c, req, action):
                    return
        except (OSError, ValueError):  # a request cut off by skipperd (413, 400 ...) ends the connection
            return
        finally:
            try:
                f.close()
                c.close()
            except OSError:
                pass

    @staticmethod
    def _read_request(f: object, line: bytes, conn_no: int, on_conn: int) -> Req:
        method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            h = _readline(f)
            if h in (b"\r\n", b"\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            headers.append((name, value.strip()))
        req = Req(method, target, version, headers, conn_no=conn_no, on_conn=on_conn)
        kept: list[bytes] = []
        total = 0

        def take(data: bytes) -> None:
            nonlocal total
            if total < KEEP_BODY:
                kept.append(data[:KEEP_BODY - total])
            total += len(data)

        te = (req.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            while True:
                size = int(_readline(f).split(b";")[0].strip(), 16)
                if size == 0:
                    while _readline(f) not in (b"\r\n", b""):
                        pass
                    break
                left = size
                while left:
                    data = f.read(min(left, 1 << 20))  # type: ignore[attr-defined]
                    take(data)
                    left -= len(data)
                _readline(f)
        else:
            left = int(req.header("Content-Length") or 0)
            while left:
                data = f.read(min(left, 1 << 20))  # type: ignore[attr-defined]
                if not data:
                    break
                take(data)
                left -= len(data)
        req.body = b"".join(kept)
        req.body_len = total
        return req

    @staticmethod
    def _respond(c: socket.socket, req: Req, r: Resp) -> bool:
        head = [f"HTTP/1.1 {r.status} {r.reason}\r\n"]
        head += [f"{n}: {v}\r\n" for n, v in r.headers]
        body = r.body
        no_body = req.method == "HEAD" or r.status in (204, 304)
        if r.framing == "length":
            if isinstance(body, bytes):
                if not any(n.lower() == "content-length" for n, _ in r.headers):
                    head.append(f"Content-Length: {len(body)}\r\n")
        elif r.framing == "chunked":
            head.append("Transfer-Encoding: chunked\r\n")
        else:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        c.sendall("".join(head).encode("latin-1"))
        if not no_body:
            pieces = [body] if isinstance(body, bytes) else body
            for piece in pieces:
                if not piece:
                    continue
                if r.framing == "chunked":
                    c.sendall(b"%x\r\n%b\r\n" % (len(piece), piece))
                else:
                    c.sendall(piece)
            if r.framing == "chunked":
                c.sendall(b"0\r\n\r\n")
        return r.framing != "close"


# --- a raw HTTP/1.1 client ------------------------------------------------------------------------

@dataclass
class Answer(_Fields):
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    head: bytes



class Client:
    """One connection; reads responses exactly as framed (length, chunked, until close).

    Every client is closed when its test ends (``_close_clients``)."""

    opened: list["Client"] = []

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        Client.opened.append(self)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def get(self, path: str, host: str = "example.org", headers: str = "") -> Answer:
        self.send(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode())
        return self.read()

    def read(self, method: str = "GET", count: Callable[[bytes], None] | None = None) -> Answer:
        line = _readline(self.f)
        if not line:
            raise ConnectionError("connection closed before a response")
        raw = [line]
        status = int(line.split()[1])
        headers: list[tuple[str, str]] = []
        while True:
            h = _readline(self.f)
            raw.append(h)
            if h in (b"\r\n", b""):
                break
            n, _, v = h.decode("latin-1").partition(":")
            headers.append((n, v.strip()))
        a = Answer(status, headers, b"", b"".join(raw))
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return a
        pieces: list[bytes] = []
        sink = count or pieces.append
        if "chunked" in (a.header("Transfer-Encoding") or ""):
            while True:
                size = int(_readline(self.f).strip(), 16)
                if size == 0:
                    _readline(self.f)
                    break
                left = size
                while left:
                    data = self.f.read(min(left, 1 << 20))
                    sink(data)
                    left -= len(data)
                _readline(self.f)
        elif a.header("Content-Length") is not None:
            left = int(a.header("Content-Length") or 0)
            while left:
                data = self.f.read(min(left, 1 << 20))
                if not data:
                    raise ConnectionError("short body")
                sink(data)
                left -= len(data)
        else:
            while True:
                data = self.f.read1(1 << 20)
                if not data:
                    break
                sink(data)
        a.body = b"".join(pieces)
        return a

    def closed(self, timeout: float = 2.0) -> bool:
        """True when the server closed the connection (EOF or reset) within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            return self.f.read1(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self) -> None:
        self.f.close()
        self.sock.close()


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    for c in Client.opened:
        c.close()
    Client.opened.clear()


@pytest.fixture
def origin() -> Iterator[Origin]:
    with Origin() as o:
        yield o


READY = 'harness_ready: Path("/__harness_ready") -> status(204) -> <shunt>;\n'


def proxied(url: str, predicates: str = "*", filters: str = "") -> str:
    """A route to ``url``, and one that answers the harness's readiness probe without the origin."""
    return READY + f'all: {predicates} -> {filters + " -> " if filters else ""}"{url}";\n'


# --- keep-alive, pipelining, framing -------------------------------------------------------------

def test_keep_alive_and_pipelining(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url))
    c = Client(s.port)
    assert c.get("/one").body == b"GET /one"
    assert c.get("/two").body == b"GET /two"
    # Three requests in one write: answered in order on the same connection.
    c.send(b"".join(f"GET /p{i} HTTP/1.1\r\nHost: example.org\r\n\r\n".encode() for i in range(3)))
    assert [c.read().body for _ in range(3)] == [b"GET /p0", b"GET /p1", b"GET /p2"]
    # A pipelined POST with a body between two GETs.
    c.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
           b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
    assert [c.read().body for _ in range(3)] == [b"GET /a", b"POST /b", b"GET /c"]
    assert [r.body for r in origin.requests if r.target == "/b"] == [b"hello"]
    c.close()
    # The backend connection was kept alive too.
    assert origin.connections == 1


def test_http10_client(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url))
    c = Client(s.port)
    c.send(b"GET /x HTTP/1.0\r\n\r\n")
    a = c.read()
    assert a.status == 200 and a.body == b"GET /x" and a.head.startswith(b"HTTP/1.1 200")
    assert a.header("Connection") == "close" and c.closed()
    c = Client(s.port)
    c.send(b"GET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    a = c.read()
    assert a.header("Connection") == "keep-alive" and a.body == b"GET /y"
    c.send(b"GET /z HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert c.read().body == b"GET /z"


def test_chunked_both_ways(skipperd: Start) -> None:
    def handler(r: Req) -> Resp:
        return Resp(body=[b"echo:", r.body, b":", str(r.body_len).encode()], framing="chunked")

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url))
        c = Client(s.port)
        c.send(b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n")
        a = c.read()
        assert a.status == 200
        assert a.header("Transfer-Encoding") == "chunked"
        assert a.body == b"echo:hello world:11"
        req = o.requests[-1]
        assert req.header("Transfer-Encoding") == "chunked" and req.body == b"hello world"
        # The connection is still usable.
        a = c.get("/after")
        assert a.status == 200 and a.body.startswith(b"echo:")


def test_content_length_and_until_close_bodies(skipperd: Start) -> None:
    def handler(r: Req) -> Resp:
        if r.target == "/close":
            return Resp(body=[b"part1-", b"part2"], framing="close")
        if r.target == "/head":
            return Resp(body=b"0123456789")
        if r.target == "/204":
            return Resp(status=204, body=b"")
        if r.target == "/304":
            return Resp(status=304, body=b"", headers=[("ETag", '"e"')])
        return Resp(body=b"x" * 1000)

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url))
        c = Client(s.port)
        a = c.get("/cl")
        assert a.header("Content-Length") == "1000" and a.body == b"x" * 1000
        # An HTTP/1.0-style body (no length, ends when the backend closes): re-chunked for HTTP/1.1.
        a = c.get("/close")
        assert a.header("Transfer-Encoding") == "chunked" and a.body == b"part1-part2"
        # HEAD: the length of what GET would send, no body; the connection goes on.
        c.send(b"HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n")
        a = c.read("HEAD")
        assert a.status == 200 and a.header("Content-Length") == "10"
        assert c.get("/204").status == 204
        a = c.get("/304")
        assert a.status == 304 and a.header("ETag") == '"e"'
        assert c.get("/cl").body == b"x" * 1000
        # The backend connection survived HEAD, 204 and 304 (a fresh parser after HEAD).
        assert c.get("/head").body == b"0123456789"
        # HTTP/1.0 client and an until-close body: delimited by closing the client connection.
        c2 = Client(s.port)
        c2.send(b"GET /close HTTP/1.0\r\n\r\n")
        a = c2.read()
        assert a.body == b"part1-part2" and a.header("Content-Length") is None
        assert a.header("Transfer-Encoding") is None


def test_expect_100_continue(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url, 'Path("/upload")') +
                 'shunted: Path("/refused") -> status(403) -> <shunt>;\n')
    c = Client(s.port)
    c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    interim = c.read()
    assert interim.status == 100
    c.send(b"hello")
    a = c.read()
    assert a.status == 200 and a.body == b"POST /upload"
    assert origin.requests[-1].body == b"hello"
    assert origin.requests[-1].header("Expect") is None, "skipperd answers 100-continue itself"
    # A route that does not forward: no 100 Continue, the final answer, and the connection closes
    # (the client never sent the body).
    c.send(b"POST /refused HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    a = c.read()
    assert a.status == 403 and a.header("Connection") == "close"
    assert c.closed()


@pytest.mark.slow
def test_large_bodies_are_streamed_in_both_directions(skipperd: Start) -> None:
    size = 200 * 1024 * 1024
    piece = os.urandom(1 << 20)

    def handler(r: Req) -> Resp:
        if r.method == "POST":
            return Resp(body=str(r.body_len).encode())
        return Resp(body=(piece for _ in range(size // len(piece))),
                    headers=[("Content-Length", str(size))])

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url))
        worker = s.wait_workers(1)[0]
        c = Client(s.port, timeout=60)
        assert c.get("/warm").status == 200
        base = rss_kb(worker)
        peak = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_kb(worker))
                time.sleep(0.01)

        t = threading.Thread(target=sample)
        t.start()
        try:
            # Upload with a Content-Length, then the same chunked.
            c.send(f"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode())
            for _ in range(size // len(piece)):
                c.send(piece)
            assert c.read().body == str(size).encode()
            c.send(b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(size // len(piece)):
                c.send(b"%x\r\n%b\r\n" % (len(piece), piece))
            c.send(b"0\r\n\r\n")
            assert c.read().body == str(size).encode()
            # Download.
            got = [0]

            def count(data: bytes) -> None:
                got[0] += len(data)

            c.send(b"GET /down HTTP/1.1\r\nHost: x\r\n\r\n")
            a = c.read(count=count)
            assert a.status == 200 and got[0] == size
        finally:
            done.set()
            t.join()
        growth_mb = (peak[0] - base) / 1024
        assert growth_mb < 40, f"worker RSS grew by {growth_mb:.0f} MB while streaming 200 MB bodies"


# --- limits and malformed requests ----------------------------------------------------------------

def test_header_limits_431(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-max-header-bytes=4096", "-max-header-count=20"])
    c = Client(s.port)
    a = c.get("/big", headers=f"X-Big: {'a' * 8000}\r\n")
    assert a.status == 431 and a.header("Connection") == "close" and c.closed()
    c = Client(s.port)
    a = c.get("/many", headers="".join(f"X-H{i}: {i}\r\n" for i in range(30)))
    assert a.status == 431 and c.closed()
    c = Client(s.port)
    assert c.get("/fine", headers="".join(f"X-H{i}: {i}\r\n" for i in range(10))).status == 200
    # A head that never ends is cut off at the limit, not buffered.
    c = Client(s.port)
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Endless: " + b"a" * 200_000)
    assert c.read().status == 431
    assert not origin.requests or all(r.target == "/fine" for r in origin.requests)


def test_body_limit_413(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-max-content-length=1000"])
    c = Client(s.port)
    c.send(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n")
    a = c.read()
    assert a.status == 413 and c.closed()
    c = Client(s.port)
    c.send(b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + b"200\r\n" + b"a" * 512 +
           b"\r\n200\r\n" + b"a" * 512 + b"\r\n" + b"200\r\n" + b"a" * 512 + b"\r\n0\r\n\r\n")
    a = c.read()
    assert a.status == 413
    c = Client(s.port)
    c.send(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"a" * 1000)
    assert c.read().status == 200


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
])
def test_malformed_requests_400_and_the_worker_lives(skipperd: Start, origin: Origin, raw: bytes) -> None:
    s = skipperd(routes=proxied(origin.url))
    worker = s.wait_workers(1)[0]
    c = Client(s.port)
    c.send(raw)
    a = c.read()
    assert a.status == 400 and a.header("Connection") == "close"
    assert c.closed()
    assert s.wait_workers(1) == [worker]
    assert Client(s.port).get("/next").status == 200
    assert "Traceback" not in s.log()


def test_malformed_after_a_good_pipelined_request(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url))
    c = Client(s.port)
    c.send(b"GET /good HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
    assert c.read().body == b"GET /good"
    assert c.read().status == 400
    assert c.closed()


# --- headers ------------------------------------------------------------------------------------

def test_hop_by_hop_headers_removed_both_ways(skipperd: Start) -> None:
    def handler(r: Req) -> Resp:
        return Resp(headers=[("Connection", "X-Resp-Hop"), ("X-Resp-Hop", "1"), ("Keep-Alive", "timeout=5"),
                             ("Proxy-Connection", "keep-alive"), ("Upgrade", "h2c"), ("X-Resp-End", "1")])

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url))
        c = Client(s.port)
        a = c.get("/", headers="Connection: keep-alive, X-Req-Hop\r\nX-Req-Hop: 1\r\nKeep-Alive: 300\r\n"
                               "TE: trailers\r\nTrailer: X-T\r\nProxy-Connection: keep-alive\r\nX-End: 1\r\n")
        assert a.status == 200
        seen = o.requests[-1].names()
        for hop in ("connection", "keep-alive", "x-req-hop", "te", "trailer", "proxy-connection", "upgrade"):
            assert hop not in seen, hop
        assert "x-end" in seen
        names = a.names()
        for hop in ("x-resp-hop", "keep-alive", "proxy-connection", "upgrade"):
            assert hop not in names, hop
        assert "x-resp-end" in names
        assert a.header("Connection") is None


@pytest.mark.parametrize("preserve", [False, True])
def test_host_header(skipperd: Start, origin: Origin, preserve: bool) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-proxy-preserve-host"] if preserve else [])
    Client(s.port).get("/", host="incoming.example.org")
    want = "incoming.example.org" if preserve else f"127.0.0.1:{origin.port}"
    assert origin.requests[-1].header("Host") == want


def test_host_set_by_filter_wins(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url, filters='setRequestHeader("Host", "filtered.internal")'))
    Client(s.port).get("/", host="incoming.example.org")
    assert origin.requests[-1].header("Host") == "filtered.internal"


def test_forwarded_headers(skipperd: Start, origin: Origin) -> None:
    flags = ["-forwarded-headers=X-Forwarded-For,X-Forwarded-Host,X-Forwarded-Method,X-Forwarded-Uri,"
             "X-Forwarded-Port=auto,X-Forwarded-Proto=auto"]
    s = skipperd(routes=proxied(origin.url), args=flags)
    Client(s.port).get("/p?q=1", host="front.example.org", headers="X-Forwarded-For: 203.0.113.9\r\n")
    r = origin.requests[-1]
    assert r.header("X-Forwarded-For") == "203.0.113.9, 127.0.0.1"
    assert r.header("X-Forwarded-Host") == "front.example.org"
    assert r.header("X-Forwarded-Method") == "GET"
    assert r.header("X-Forwarded-Uri") == "/p?q=1"
    assert r.header("X-Forwarded-Port") == str(s.port)
    assert r.header("X-Forwarded-Proto") == "http"
    # Routing sees them (they are set before routing).
    s2 = skipperd(routes=proxied(origin.url, 'Header("X-Forwarded-Proto", "http")'),
                  args=flags + ["-forwarded-headers-exclude-cidrs=127.0.0.0/8"])
    assert Client(s2.port).get("/").status == 404, "excluded clients get no forwarded headers"


def test_forwarded_port_fixed_and_no_flags_no_headers(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-forwarded-headers=X-Forwarded-Port=8443,X-Forwarded-Proto=https"])
    Client(s.port).get("/")
    r = origin.requests[-1]
    assert r.header("X-Forwarded-Port") == "8443" and r.header("X-Forwarded-Proto") == "https"
    assert r.header("X-Forwarded-For") is None
    s2 = skipperd(routes=proxied(origin.url))
    Client(s2.port).get("/")
    assert not any(n.startswith("x-forwarded") for n in origin.requests[-1].names())


# --- status mapping -------------------------------------------------------------------------------

def test_no_route_is_404_or_the_default_status(skipperd: Start) -> None:
    s = skipperd(routes='r: Path("/x") -> <shunt>;\n')
    a = Client(s.port).get("/nothing")
    assert a.status == 404 and a.body == b"Not Found\n"
    assert a.header("Content-Type") == "text/plain; charset=utf-8"
    s2 = skipperd(routes='r: Path("/x") -> <shunt>;\n', args=["-default-http-status=503"])
    assert Client(s2.port).get("/nothing").status == 503


def test_connection_refused_is_502(skipperd: Start) -> None:
    s = skipperd(routes=proxied(f"http://127.0.0.1:{free_port()}"))
    a = Client(s.port).get("/")
    assert a.status == 502 and a.body == b"Bad Gateway\n"


def test_reset_and_early_close_are_503(skipperd: Start) -> None:
    def handler(r: Req) -> "Resp | str":
        return RESET if r.target == "/reset" else DROP

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url))
        c = Client(s.port)
        assert c.get("/reset").status == 503
        assert c.get("/drop").status == 503
        assert c.get("/reset").status == 503, "the client connection survives backend failures"


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 abc Nonsense\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Length: 2\r\n\r\nok",  # obsolete folding
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
    b"SSH-2.0-OpenSSH\r\n",
])
def test_malformed_backend_response_is_503(skipperd: Start, reply: bytes) -> None:
    ls, url = raw_origin([reply])
    try:
        s = skipperd(routes=proxied(url))
        assert Client(s.port).get("/").status == 503
    finally:
        ls.close()


def raw_origin(replies: list[bytes]) -> tuple[socket.socket, str]:
    """An origin that answers each request on a connection with the next raw reply."""
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
                for reply in replies:
                    if not c.recv(65536):
                        break
                    c.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return ls, f"http://127.0.0.1:{ls.getsockname()[1]}"


def test_backend_interim_responses_are_skipped(skipperd: Start) -> None:
    ls, url = raw_origin([
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nX-Field:  spaced value \r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nnew",
    ])
    try:
        s = skipperd(routes=proxied(url))
        c = Client(s.port)
        a = c.get("/")
        assert a.status == 200 and a.body == b"ok"
        assert a.header("Link") is None
        assert a.header("X-Field") == "spaced value"
        b = c.get("/again")
        assert b.status == 201 and b.body == b"new", "the connection was reused after the interim responses"
    finally:
        ls.close()


def test_response_header_timeout_is_504(skipperd: Start) -> None:
    with Origin(lambda r: HANG) as o:
        s = skipperd(routes=proxied(o.url), args=["-response-header-timeout-backend=1s"])
        t0 = time.monotonic()
        a = Client(s.port).get("/")
        assert a.status == 504 and a.body == b"Gateway Timeout\n"
        assert 0.8 < time.monotonic() - t0 < 5


def test_connect_timeout_is_504(skipperd: Start) -> None:
    # A listener whose accept queue is full drops further SYNs: connecting to it hangs.
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    fillers = []
    for _ in range(3):
        f = socket.socket()
        f.setblocking(False)
        f.connect_ex(ls.getsockname())
        fillers.append(f)
    try:
        s = skipperd(routes=proxied(f"http://127.0.0.1:{ls.getsockname()[1]}"), args=["-timeout-backend=1s"])
        t0 = time.monotonic()
        assert Client(s.port).get("/").status == 504
        assert time.monotonic() - t0 < 5
    finally:
        for f in fillers:
            f.close()
        ls.close()


# --- pooled connections ---------------------------------------------------------------------------

def test_idle_closed_pooled_connection_is_not_used(skipperd: Start) -> None:
    with Origin(idle_close=0.3) as o:
        s = skipperd(routes=proxied(o.url))
        c = Client(s.port)
        assert c.get("/1").status == 200
        time.sleep(0.8)  # the origin closed the idle connection meanwhile
        assert c.get("/2").status == 200
        assert o.connections == 2


def test_stale_pooled_connection_retried_once_on_a_new_one(skipperd: Start) -> None:
    # The origin answers the first request of each connection and drops the connection when the
    # second one arrives: the race of a backend closing a keep-alive connection on its side.
    def handler(r: Req) -> "Resp | str":
        return Resp(body=f"{r.method} {r.target}".encode()) if r.on_conn == 1 else DROP

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url))
        c = Client(s.port)
        assert c.get("/1").status == 200
        assert c.get("/2").body == b"GET /2", "a request without a body is sent again"
        assert o.connections == 2
        # With a body, it is not: the body may be consumed.
        c.send(b"POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        assert c.read().status == 503


def test_backend_idle_timeout_drops_old_pooled_connections(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-idle-timeout-backend=500ms"])
    c = Client(s.port)
    c.get("/1")
    c.get("/2")
    assert origin.connections == 1
    time.sleep(1.2)
    c.get("/3")
    assert origin.connections == 2


def test_disable_http_keepalives(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-disable-http-keepalives"])
    c = Client(s.port)
    for i in range(3):
        assert c.get(f"/{i}").status == 200
    assert origin.connections == 3
    assert all(r.header("Connection") == "close" for r in origin.requests)


# --- shunt, inlineContent, status, loopback, LB ----------------------------------------------------

def test_shunt_inline_content_and_status(skipperd: Start) -> None:
    s = skipperd(routes=(
        'empty: Path("/empty") -> <shunt>;\n'
        'teapot: Path("/teapot") -> status(418) -> <shunt>;\n'
        'html: Path("/html") -> inlineContent("<h1>Hi</h1>") -> <shunt>;\n'
        'json: Path("/json") -> status(201) -> inlineContent("{}", "application/json") -> <shunt>;\n'
        'late: Path("/late") -> inlineContent("x") -> status(500) -> <shunt>;\n'
        'hdr: Path("/hdr") -> setResponseHeader("X-R", "1") -> inlineContent("h") -> <shunt>;\n'))
    c = Client(s.port)
    a = c.get("/empty")
    assert a.status == 404 and a.body == b"" and a.header("Content-Length") == "0"
    a = c.get("/teapot")
    assert a.status == 418 and a.body == b""
    a = c.get("/html")
    assert a.status == 200 and a.body == b"<h1>Hi</h1>"
    assert a.header("Content-Type") == "text/html; charset=utf-8"
    assert a.header("Server") == "Skipper" and a.header("Date")
    a = c.get("/json")
    assert a.status == 201 and a.header("Content-Type") == "application/json"
    # Filters after the one that served do not run (Skipper).
    assert c.get("/late").status == 200
    assert c.get("/hdr").header("X-R") == "1"
    c.send(b"HEAD /html HTTP/1.1\r\nHost: x\r\n\r\n")
    a = c.read("HEAD")
    assert a.status == 200 and a.header("Content-Length") == "11"
    assert c.get("/html").body == b"<h1>Hi</h1>"


def test_loopback(skipperd: Start) -> None:
    s = skipperd(routes=(
        'entry: Path("/a") -> setRequestHeader("X-Loop", "1") -> setResponseHeader("X-Outer", "o") -> <loopback>;\n'
        'inner: Path("/a") && Header("X-Loop", "1") -> setResponseHeader("X-Inner", "i")'
        ' -> inlineContent("after the loop") -> <shunt>;\n'
        'forever: Path("/forever") -> <loopback>;\n'))
    c = Client(s.port)
    a = c.get("/a")
    assert a.status == 200 and a.body == b"after the loop"
    assert a.header("X-Outer") == "o" and a.header("X-Inner") == "i"
    assert c.get("/forever").status == 500


def test_max_loopbacks(skipperd: Start) -> None:
    chain = "".join(
        f'l{i}: Path("/l") && Header("X-Step", "{i}") -> setRequestHeader("X-Step", "{i + 1}") -> <loopback>;\n'
        for i in range(1, 4))
    routes = ('start: Path("/l") -> setRequestHeader("X-Step", "1") -> <loopback>;\n' + chain +
              'end: Path("/l") && Header("X-Step", "4") -> inlineContent("done") -> <shunt>;\n')
    assert Client(skipperd(routes=routes).port).get("/l").body == b"done"
    assert Client(skipperd(routes=routes, args=["-max-loopbacks=3"]).port).get("/l").status == 500


def test_load_balanced_backend(skipperd: Start) -> None:
    with Origin(lambda r: Resp(body=b"a")) as a, Origin(lambda r: Resp(body=b"b")) as b:
        dead = f"http://127.0.0.1:{free_port()}"
        s = skipperd(routes=f'lb: * -> <roundRobin, "{a.url}", "{b.url}">;\n'
                            f'rnd: Path("/random") -> <random, "{a.url}", "{b.url}">;\n'
                            f'half: Path("/half") -> <"{a.url}", "{dead}">;\n')
        c = Client(s.port)
        got = [c.get("/").body for _ in range(6)]
        assert sorted(got) == [b"a"] * 3 + [b"b"] * 3 and got[0] != got[1]
        assert {c.get("/random").body for _ in range(40)} == {b"a", b"b"}
        # A dial error on one endpoint is retried on another (no body).
        assert all(c.get("/half").status == 200 for _ in range(4))


# --- connection handling ---------------------------------------------------------------------------

def test_keepalive_requests_server(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-keepalive-requests-server=2"])
    c = Client(s.port)
    assert c.get("/1").header("Connection") is None
    a = c.get("/2")
    assert a.status == 200 and a.header("Connection") == "close"
    assert c.closed()


def test_idle_client_connection_closed(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-idle-timeout-server=1s"])
    c = Client(s.port)
    assert c.get("/").status == 200
    t0 = time.monotonic()
    assert c.closed(timeout=5)
    assert 0.7 < time.monotonic() - t0 < 3


def test_slow_request_head_closed(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-read-header-timeout-server=1s"])
    c = Client(s.port)
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    assert c.closed(timeout=5)
    assert time.monotonic() - t0 < 3


def test_slow_request_body_408(skipperd: Start, origin: Origin) -> None:
    s = skipperd(routes=proxied(origin.url), args=["-read-timeout-server=1s"])
    c = Client(s.port)
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    a = c.read()
    assert a.status == 408 and c.closed()


def test_access_log(skipperd: Start, origin: Origin) -> None:
    s = skipperd(Options(routes=proxied(origin.url), access_log=True))
    Client(s.port).get("/logged?x=1", headers="User-Agent: test-agent\r\n")
    s.wait_for(lambda: "/logged" in s.log(), timeout=5)
    line = next(line for line in s.log().splitlines() if "/logged" in line)
    # An empty field is "-", quoted or not, as in Skipper.
    assert re.search(r'^127\.0\.0\.1 - - \[[^]]+\] "GET /logged\?x=1 HTTP/1\.1" 200 \d+ "-" "test-agent" \d+ '
                     r'example\.org - -$', line), line


def test_graceful_stop_finishes_requests_in_flight(skipperd: Start) -> None:
    def handler(r: Req) -> Resp:
        if r.target == "/slow":
            time.sleep(1.5)
        return Resp(body=r.target.encode())

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url))
        idle = Client(s.port)
        assert idle.get("/fast").status == 200
        busy = Client(s.port)
        busy.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        t0 = time.monotonic()
        s.signal(signal.SIGTERM)
        assert idle.closed(timeout=3), "idle keep-alive connections are closed at once"
        assert time.monotonic() - t0 < 1.2
        a = busy.read()
        assert a.status == 200 and a.body == b"/slow"
        assert a.header("Connection") == "close"
        assert s.proc is not None and s.proc.wait(15) == 0


def test_client_that_stops_reading_hits_the_write_timeout(skipperd: Start) -> None:
    big = b"z" * (64 << 20)
    with Origin(lambda r: Resp(body=big if r.target == "/big" else b"small")) as o:
        s = skipperd(routes=proxied(o.url), args=["-write-timeout-server=1s"])
        worker = s.wait_workers(1)[0]
        c = Client(s.port)
        c.send(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(3)  # never read: skipperd's writes block, then time out
        t0 = time.monotonic()
        got = 0
        c.sock.settimeout(5)
        try:
            while True:
                data = c.sock.recv(1 << 20)
                if not data:
                    break
                got += len(data)
        except (ConnectionResetError, socket.timeout):
            pass
        assert got < len(big), "the connection was cut off, not served whole"
        assert time.monotonic() - t0 < 5, "what was buffered arrives, then the connection ends"
        assert s.wait_workers(1) == [worker]
        assert Client(s.port).get("/small").status == 200
