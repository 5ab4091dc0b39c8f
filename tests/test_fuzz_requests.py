"""Generated request heads and bodies, valid and broken, against a running skipperd (hypothesis).

One skipperd and one recording origin serve every example. An example is a pipeline of requests
sent on a new keep-alive connection, then the client's half of the connection is shut, and
everything skipperd answers is read until it closes. After each example:

* what skipperd sent is a sequence of well-formed HTTP/1.1 responses (one framing each, no
  stray CR/LF/NUL), one per request answered, in order;
* a pipeline of valid requests is answered whole (keep-alive held: a final probe request is
  answered too), with the status its route gives;
* the origin received only requests that skipperd routed to it (``/routed`` with the header the
  route's filter sets, and a sequence number of a request that was sent to ``/routed``), each
  at most once: no request smuggled inside a body, a header or a trailer;
* the worker is the same process.

``SKIPPERD_FUZZ_EXAMPLES`` sets the number of examples (150 by default, about 20 s).
"""

from __future__ import annotations

import os
import re
import socket
import time
from dataclasses import dataclass
from typing import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import Skipperd
from test_proxy_http import READY, Origin

Start = Callable[..., Skipperd]
EXAMPLES = int(os.environ.get("SKIPPERD_FUZZ_EXAMPLES", "150"))
SMUGGLE = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
#: What the route and the proxy add to a forwarded request.
ROUTE_ADDS = frozenset({"x-routed", "host", "content-length", "transfer-encoding"})


@dataclass
class Gen:
    raw: bytes
    method: str
    kind: str          # "valid": answered with its route's status; "defective": must be refused
                       # (4xx, then closed) and never reach the origin; "garbage": anything goes
    routed: bool       # to /routed
    seq: int
    names: frozenset[str] = frozenset()   # header names sent in the head (lower case)


_seq = [0]


def _next_seq() -> int:
    _seq[0] += 1
    return _seq[0]


_VALID_TARGETS = ["/routed/a", "/routed/b?x=1&y=%20", "/other", "/routed/a%2Fb", "/", "/routed/%c3%a4",
                  "http://h.example/routed/abs", "/routed/" + "x" * 300, "/routed/a%0d%0ab"]
_BROKEN_TARGETS = ["/routed/a b", "routed", "http://", "ftp://x/routed", "/routed/\x00", "/routed/\x7f",
                   "example.org:80", "*", "", "/routed/%0d%0aX-Injected: 1", "/routed/\xff"]
_NAMES = ["X-A", "Host", "Content-Length", "Transfer-Encoding", "Connection", "Expect", "Cookie", "Upgrade",
          "TE", "Trailer", "X Bad", "X-\x7f", "", "X-Routed", "Keep-Alive", "Proxy-Connection", ":x"]
_VALUES = ["1", "0", "chunked", "gzip, chunked", "chunked, chunked", "close", "keep-alive", "X-A, X-Routed",
           "100-continue", "-1", "abc", "1, 2", " 5", "x\x00y", "a\rb", "h2c", "example.org", "\t", "a\x7fb",
           "Content-Length", "99999999999999999999"]
_safe_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
_any_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=20)

#: Defects RFC 9112 makes a request unacceptable for (each must be refused whatever else it has).
_DEFECTS = ["two hosts", "same host twice", "no host", "CL+TE", "two lengths", "bad length", "TE not chunked",
            "obs-fold", "space before colon", "NUL in value", "CR in value", "CONNECT", "bad target",
            "ftp target", "bad version", "lower-case method"]


def _path(target: str) -> str:
    if "://" in target:
        rest = target.split("://", 1)[1]
        return rest[rest.find("/"):] if "/" in rest else "/"
    return target


@st.composite
def valid_request(draw: st.DrawFn, defect: str | None = None) -> Gen:
    seq = _next_seq()
    method = draw(st.sampled_from(["GET", "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"]))
    target = draw(st.sampled_from(_VALID_TARGETS))
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0"]))
    if defect in ("no host", "CL+TE", "TE not chunked", "two hosts", "same host twice"):
        version = "HTTP/1.1"
    if defect == "CONNECT":
        method, target = "CONNECT", "h.example:443"
    elif defect == "bad target":
        target = draw(st.sampled_from(["routed/a", "h.example:80", "http://", "http:///routed"]))
    elif defect == "ftp target":
        target = "ftp://h.example/routed/a"
    elif defect == "bad version":
        version = draw(st.sampled_from(["HTTP/2.0", "HTTP/1.1x", "http/1.1", "HTTP/1.2", "HTTP/3"]))
    elif defect == "lower-case method":
        method = method.lower()
    lines = [f"{method} {target} {version}"]
    if defect != "no host":
        lines.append("Host: h.example")
    if defect == "two hosts":
        lines.append("Host: other.example")
    elif defect == "same host twice":
        lines.append("host: h.example")
    lines.append(f"X-Seq: {seq}")
    if version == "HTTP/1.0":
        lines.append("Connection: keep-alive")
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["X-A", "X-B", "Accept", "Cookie", "User-Agent"]))
        lines.append(f"{name}: {draw(_safe_text).strip()}")
    if defect == "obs-fold":
        lines.append("X-Folded: a")
        lines.append(" continued")
    elif defect == "space before colon":
        lines.append("X-Spaced : 1")
    elif defect == "NUL in value":
        lines.append("X-Nul: a\x00b")
    elif defect == "CR in value":
        lines.append("X-Cr: a\rb")
    body = draw(st.one_of(st.just(b""), st.binary(max_size=64), st.just(SMUGGLE)))
    if defect in ("CL+TE", "two lengths", "bad length", "TE not chunked") and not body:
        body = SMUGGLE
    chunked_ok = version == "HTTP/1.1" and bool(body)
    framing = draw(st.sampled_from(["length", "chunked"])) if chunked_ok else "length"
    if defect in ("two lengths", "bad length", "TE not chunked"):
        framing = "length"
    if defect == "CL+TE":
        framing = "chunked"
        lines.append(f"Content-Length: {len(body)}")
    if draw(st.booleans()) and body and version == "HTTP/1.1" and defect is None:
        lines.append("Expect: 100-continue")
    if framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        cut = draw(st.integers(0, len(body)))
        pieces = [p for p in (body[:cut], body[cut:]) if p]
        data = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n"
        if draw(st.booleans()):
            data += b"X-Trailer-Field: t\r\nX-Routed: trailer\r\nHost: other\r\n"  # never request headers
        data += b"\r\n"
    else:
        if defect == "TE not chunked":
            lines.append("Transfer-Encoding: gzip")
        if defect == "two lengths":
            lines.append(f"Content-Length: {len(body) + 1}")
        if defect == "bad length":
            lines.append(f"Content-Length: {draw(st.sampled_from(['abc', '-1', '1 2', '+5', '0x10']))}")
        elif body or method in ("POST", "PUT", "PATCH") or defect == "two lengths":
            lines.append(f"Content-Length: {len(body)}")
        data = body
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data
    names = frozenset(ln.split(":", 1)[0].lower() for ln in lines[1:] if ":" in ln)
    return Gen(raw, method, "valid" if defect is None else "defective", _path(target).startswith("/routed"),
               seq, names)


@st.composite
def defective_request(draw: st.DrawFn) -> Gen:
    return draw(valid_request(defect=draw(st.sampled_from(_DEFECTS))))


@st.composite
def garbage_request(draw: st.DrawFn) -> Gen:
    seq = _next_seq()
    method = draw(st.sampled_from(["GET", "POST", "HEAD", "CONNECT", "BREW", "G ET", "", "get", "PRI"]))
    target = draw(st.one_of(st.sampled_from(_BROKEN_TARGETS + _VALID_TARGETS), _any_text))
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "http/1.1", "HTTP/0.9", ""]))
    fields: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        fields.append("Host: h.example")
    fields.append(f"X-Seq: {seq}")
    for _ in range(draw(st.integers(0, 5))):
        name = draw(st.one_of(st.sampled_from(_NAMES), _safe_text))
        value = draw(st.one_of(st.sampled_from(_VALUES), _any_text))
        sep = draw(st.sampled_from([": ", ":", " : ", ":\t", "\r\n ", ""]))
        fields.append(f"{name}{sep}{value}")
    body = draw(st.one_of(st.just(b""), st.binary(max_size=40), st.just(SMUGGLE),
                          st.just(b"5\r\nab\r\n0\r\n\r\n"), st.just(b"zz\r\n" + SMUGGLE)))
    eol = draw(st.sampled_from(["\r\n", "\r\n", "\n", "\r"]))
    raw = (eol.join([f"{method} {target} {version}"] + fields) + eol + eol).encode("latin-1") + body
    names = frozenset(f.split(":", 1)[0].strip().lower() for f in fields)
    return Gen(raw, method, "garbage", target.startswith("/routed"), seq, names)


pipeline = st.lists(st.one_of(valid_request(), valid_request(), defective_request(), garbage_request()),
                    min_size=1, max_size=3)


# --- reading what skipperd sent -------------------------------------------------------------------

_STATUS = re.compile(r"HTTP/1\.1 ([1-5][0-9][0-9]) [^\r\n\x00]*")
_FIELD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+: [^\r\n\x00]*")


def parse_responses(data: bytes, methods: list[str]) -> list[int]:
    """The statuses of the final responses in ``data``; asserts that each is well formed."""
    statuses: list[int] = []
    i = 0
    while i < len(data):
        end = data.find(b"\r\n\r\n", i)
        assert end >= 0, f"a cut-off response head: {data[i:i + 200]!r}"
        lines = data[i:end].decode("latin-1").split("\r\n")
        assert _STATUS.fullmatch(lines[0]), f"bad status line {lines[0]!r}"
        status = int(lines[0][9:12])
        fields: dict[str, list[str]] = {}
        for line in lines[1:]:
            assert _FIELD.fullmatch(line), f"bad response field {line!r}"
            name, _, value = line.partition(": ")
            fields.setdefault(name.lower(), []).append(value)
        i = end + 4
        if 100 <= status < 200:
            continue
        assert len(fields.get("content-length", [])) <= 1
        te = fields.get("transfer-encoding")
        cl = fields.get("content-length")
        assert not (te and cl), "both Content-Length and Transfer-Encoding"
        closing = "close" in fields.get("connection", [])
        method = methods[len(statuses)] if len(statuses) < len(methods) else "GET"
        if (method == "HEAD" and not closing) or status in (204, 304):
            pass
        elif te:
            assert te == ["chunked"]
            while True:
                nl = data.find(b"\r\n", i)
                assert nl > i, "a cut-off chunk size"
                size = int(data[i:nl], 16)
                i = nl + 2 + size
                assert data[i:i + 2] == b"\r\n", "a chunk without its CRLF"
                i += 2
                if size == 0:
                    break
        elif cl:
            n = int(cl[0])
            assert len(data) - i >= n or closing, "a body shorter than its Content-Length"
            i += n
        else:
            assert closing, "a response delimited by close without Connection: close"
            i = len(data)
        statuses.append(status)
        if closing:
            assert i >= len(data), f"bytes after a response that closes: {data[i:i + 100]!r}"
    return statuses


def exchange(port: int, raw: bytes, timeout: float = 8.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # skipperd may close on a broken head before all of it was sent
        out = []
        t0 = time.monotonic()
        while True:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            out.append(data)
            assert time.monotonic() - t0 < timeout, "skipperd neither answered nor closed"
        return b"".join(out)


def test_fuzz_requests_on_keep_alive_connections(skipperd: Start) -> None:
    with Origin() as origin:
        routes = READY + f'''
            routed: PathSubtree("/routed") -> setRequestHeader("X-Routed", "yes") -> "{origin.url}";
            other: * -> status(404) -> <shunt>;'''
        s = skipperd(routes=routes, args=["-read-timeout-server=2s", "-read-header-timeout-server=2s",
                                          "-max-header-bytes=8192", "-max-header-count=20"])
        worker = s.wait_workers(1)[0]
        may_reach: dict[int, Gen] = {}

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(pipeline)
        def check(gens: list[Gen]) -> None:
            probe: list[Gen] = []
            if all(g.kind == "valid" for g in gens):
                seq = _next_seq()
                probe = [Gen(f"GET /routed/probe HTTP/1.1\r\nHost: h\r\nX-Seq: {seq}\r\n\r\n".encode(),
                             "GET", "valid", True, seq, frozenset({"host", "x-seq"}))]
            sent = gens + probe
            for g in sent:
                if g.routed and g.kind != "defective":
                    may_reach[g.seq] = g
            before = len(origin.requests)
            data = exchange(s.port, b"".join(g.raw for g in sent))
            statuses = parse_responses(data, [g.method for g in sent])
            assert len(statuses) <= len(sent)
            for g, got in zip(sent, statuses):
                if g.kind == "garbage":
                    break  # what follows garbage depends on how it was read
                if g.kind == "defective":
                    assert got in (400, 405, 505), (got, g.raw[:300])
                    assert len(statuses) == sent.index(g) + 1, "the connection closes after a refused request"
                    break
                assert got == (200 if g.routed else 404), (got, g.raw[:300], data[:600])
            if probe:
                assert len(statuses) == len(sent), ("a pipeline of valid requests is answered whole", data[:600])
            time.sleep(0.01)
            for r in origin.requests[before:]:
                assert r.target.startswith("/routed"), f"the origin got {r.target!r}"
                assert [v for n, v in r.headers if n.lower() == "x-routed"] == ["yes"]
                g = may_reach.get(int(r.header("X-Seq") or 0))
                assert g is not None, f"the origin got a request that was not routed to it: {r}"
                extra = r.names() - g.names - ROUTE_ADDS
                assert not extra, f"fields the client did not send in the head: {extra}"
            assert s.worker_pids() == [worker], "the worker died"

        check()
        seqs = [r.header("X-Seq") for r in origin.requests]
        assert len(seqs) == len(set(seqs)), "a request reached the origin twice"
        assert "Traceback" not in s.log()
