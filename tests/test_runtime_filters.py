"""The runtime's filters through real proxied requests (tests/catalogue.py): paths and queries,
redirects, bodies (compress, decompress, sed), tee, timeouts, shaping, webhook.

Cases follow Skipper's reference docs (filters.md upstream); bad arguments make the route
invalid, dropped alone and listed at /routes/invalid.
"""

from __future__ import annotations

import brotli
import gzip
import json
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from catalogue import Bad, Case, Catalogue, Result, request
from echo_origin import EchoOrigin


class _Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        calls.append(dict(self.headers.items()))
        status = int(self.headers.get("X-Hook-Status") or 200)
        self.send_response(status)
        self.send_header("X-Auth-User", "jane")
        self.send_header("X-Other", "no")
        self.send_header("Content-Length", "0")
        self.end_headers()


calls: list[dict[str, str]] = []
HOOK = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
HOOK.daemon_threads = True
threading.Thread(target=HOOK.serve_forever, daemon=True).start()
HOOK_URL = f"http://127.0.0.1:{HOOK.server_address[1]}/auth"
SHADOW = EchoOrigin()
SHADOW_URL = SHADOW.url


def gunzip(r: Result) -> Any:
    assert r.client("Content-Encoding") == ["gzip"], r.headers
    assert "Accept-Encoding" in r.client("Vary")
    return json.loads(gzip.decompress(r.body))


def inflate(r: Result) -> Any:
    assert r.client("Content-Encoding") == ["deflate"], r.headers
    return json.loads(zlib.decompress(r.body, -15))


def unbrotli(r: Result) -> Any:
    assert r.client("Content-Encoding") == ["br"], r.headers
    return json.loads(brotli.decompress(r.body))


def plain_json(r: Result) -> None:
    assert r.client("Content-Encoding") == [] and r.echo is not None


def echoed_body(expected: bytes) -> Any:
    def check(r: Result) -> None:
        assert r.echo is not None and r.echo["body"].encode("latin-1") == expected, r.echo
    return check


def slow_enough(seconds: float) -> Any:
    def check(r: Result) -> None:
        pass  # timing is checked in the dedicated tests below
    return check


CASES = [
    # paths and queries
    Case("set_path", 'setPath("/new/path")', path="/x?a=1", target="/new/path?a=1"),
    Case("set_path_tpl", 'setPath("/users/${id}")', predicates="", path="/x",
         target="/users/"),  # an unresolved placeholder becomes empty
    Case("mod_path", 'modPath("^/c/mod_path/(\\\\w+)", "/v2/$1")', path="/items?q=1", target="/v2/items?q=1"),
    Case("set_query", 'setQuery("k", "v")', path="/x?b=2&k=old", target="/c/set_query/x?b=2&k=v"),
    Case("set_query_whole", 'setQuery("only=this")', path="/x?b=2", target="/c/set_query_whole/x?only=this"),
    Case("set_query_tpl", 'setQuery("h", "${request.header.X-V}")', path="/x", headers=[("X-V", "val")],
         target="/c/set_query_tpl/x?h=val"),
    Case("drop_query", 'dropQuery("k")', path="/x?k=1&z=2&k=3", target="/c/drop_query/x?z=2"),
    # redirects
    Case("redirect_to", 'redirectTo(308, "https://other.example.org/new")', backend="<shunt>", status=308,
         client={"Location": ["https://other.example.org/new"]}),
    Case("redirect_to_host", "redirectTo(301)", backend="<shunt>", status=301, path="/a?x=1",
         headers=[("Host", "www.example.org")],
         client={"Location": ["https://www.example.org/c/redirect_to_host/a?x=1"]}),
    Case("redirect_lower", 'redirectToLower(302, "/Foo/BAR")', backend="<shunt>", status=302,
         headers=[("Host", "h.example.org")], client={"Location": ["https://h.example.org/foo/bar"]}),
    # bodies
    Case("compress_gzip", "compress()", headers=[("Accept-Encoding", "gzip")], check=gunzip,
         client={"Content-Length": None}),
    Case("compress_q", "compress()", headers=[("Accept-Encoding", "gzip;q=0.5, deflate;q=0.8, br;q=0.1")],
         check=inflate),
    Case("compress_br", "compress(11)", headers=[("Accept-Encoding", "br")], check=unbrotli),
    Case("compress_prio", "compress()", headers=[("Accept-Encoding", "br, deflate, gzip")], check=gunzip),
    Case("compress_none", "compress()", check=plain_json),
    Case("compress_star", "compress()", headers=[("Accept-Encoding", "*")], check=plain_json),
    Case("compress_q0", "compress()", headers=[("Accept-Encoding", "gzip;q=0")], check=plain_json),
    Case("compress_type", 'compress("text/html")', headers=[("Accept-Encoding", "gzip")], check=plain_json),
    Case("compress_extend", 'compress("...", "text/x-y")', headers=[("Accept-Encoding", "gzip")], check=gunzip),
    Case("compress_encoded", "compress()", headers=[("Accept-Encoding", "gzip"),
                                                    ("X-Respond-Content-Encoding", "x-custom")],
         client={"Content-Encoding": ["x-custom"]}),
    Case("compress_no_transform", "compress()", headers=[("Accept-Encoding", "gzip"),
                                                         ("X-Respond-Cache-Control", "no-transform")],
         check=plain_json),
    Case("decompress", "decompress() -> compress()", headers=[("Accept-Encoding", "gzip")],
         check=plain_json, client={"Content-Encoding": None}),
    Case("sed", 'sed("GET", "TEG")', check=lambda r: r.body.startswith(b'{"method": "TEG"')),
    Case("sed_delim", 'sedDelim("a", "b", ",")', path="/aaa",
         check=lambda r: b'"target": "/c/sed_delim/bbb"' in r.body),
    Case("sed_request", 'sedRequest("hello", "bye")', method="POST", body=b"hello world, hello",
         check=echoed_body(b"bye world, bye")),
    Case("sed_request_delim", 'sedRequestDelim("o", "0", "\\n")', method="POST", body=b"foo\nbar\nboo",
         check=echoed_body(b"f00\nbar\nb00")),
    Case("set_length_and_sed", 'setResponseHeader("Content-Length", "1") -> sed("method", "M")',
         check=lambda r: r.body.startswith(b'{"M"')),
    # shadows
    Case("tee", f'tee("{SHADOW_URL}")', method="POST", path="/t?q=1", body=b"shadow me",
         check=echoed_body(b"shadow me")),
    Case("tee_path", f'tee("{SHADOW_URL}", "^/c/tee_path", "/shadowed")', path="/p"),
    Case("teenf", f'teenf("{SHADOW_URL}")', path="/nf"),
    Case("tee_loop", 'teeLoopback("grp")', method="POST", path="/l", body=b"loop me",
         check=echoed_body(b"loop me"),
         extra_routes=f'c_tee_loop_shadow: PathSubtree("/c/tee_loop") && Tee("grp") -> "{SHADOW_URL}";\n'),
    # timeouts and shaping
    Case("backend_timeout", 'backendTimeout("50ms") -> backendLatency("10ms")'),
    Case("read_timeout", 'readTimeout("1s")', method="POST", body=b"x"),
    Case("write_timeout", 'writeTimeout("1s")'),
    Case("latency", 'latency("20ms")'),
    Case("latency_ms", "latency(20)"),
    Case("bandwidth", "bandwidth(1000)"),
    Case("chunks", 'chunks(100, "0")'),
    Case("backend_chunks", 'backendChunks(3, "1ms")', method="POST", body=b"0123456789",
         check=echoed_body(b"0123456789")),
    Case("backend_bandwidth", "backendBandwidth(1000)", method="POST", body=b"abc", check=echoed_body(b"abc")),
    # webhook
    Case("webhook_ok", f'webhook("{HOOK_URL}", "X-Auth-User")', origin={"X-Auth-User": ["jane"], "X-Other": None}),
    Case("webhook_403", f'webhook("{HOOK_URL}")', headers=[("X-Hook-Status", "403")], status=403),
    Case("webhook_401", f'webhook("{HOOK_URL}")', headers=[("X-Hook-Status", "500")], status=401,
         client={"WWW-Authenticate": ["127.0.0.1"]}),
    Case("webhook_down", 'webhook("http://127.0.0.1:1/auth")', status=401),
]

BAD = [
    Bad('setPath()'), Bad('setPath(1)'), Bad('modPath("(", "x")'), Bad('modPath("a")'),
    Bad('setQuery()'), Bad('setQuery("a", "b", "c")'), Bad('dropQuery()'), Bad('dropQuery(1)'),
    Bad('redirectTo()'), Bad('redirectTo("301")'), Bad('redirectTo(301, 2)'), Bad('redirectToLower(1000)'),
    Bad('compress(12)'), Bad('compress(1.5)'), Bad('compress("text/html", 3)'), Bad('decompress("x")'),
    Bad('sed("a")'), Bad('sed("(", "b")'), Bad('sed("a", "b", "c")'), Bad('sed("a", "b", 10, "never")'),
    Bad('sedDelim("a", "b")'), Bad('sedDelim("a", "b", "")'), Bad('sedRequest(1, "b")'),
    Bad('sedRequestDelim("a", "b", 1)'),
    Bad('teeLoopback()'), Bad('teeLoopback(1)'), Bad('tee()'), Bad('tee("ftp://x")'), Bad('tee("http://x", "^/a")'), Bad('teenf("not a url")'),
    Bad('backendTimeout()'), Bad('backendTimeout("soon")'), Bad('readTimeout("-1s")'), Bad('writeTimeout(1, 2)'),
    Bad('latency()'), Bad('latency("1x")'), Bad('bandwidth(0)'), Bad('bandwidth("1")'), Bad('chunks(10)'),
    Bad('chunks(0, "1ms")'), Bad('backendLatency("x")'), Bad('backendBandwidth(-1)'), Bad('backendChunks(1)'),
    Bad('webhook()'), Bad('webhook("nourl")'), Bad('webhook("http://h/", "Bad Header")'), Bad('webhook(1)'),
]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    with Catalogue(Path(tmp_path_factory.mktemp("runtime")), CASES, BAD) as c:
        yield c


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_case(catalogue: Catalogue, case_id: str) -> None:
    catalogue.run(case_id)


def test_bad_arguments_make_only_their_route_invalid(catalogue: Catalogue) -> None:
    invalid = catalogue.invalid()
    for i, b in enumerate(BAD):
        assert f"bad_{i}" in invalid, f"{b.expr} was accepted"
    assert not [k for k in invalid if k.startswith("c_")], invalid


def test_tee_shadow_gets_a_copy(catalogue: Catalogue) -> None:
    SHADOW.requests.clear()
    catalogue.run("tee")
    catalogue.run("tee_path")
    catalogue.run("tee_loop")
    deadline = time.monotonic() + 5
    while len(SHADOW.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    by_target = {r["target"]: r for r in SHADOW.requests}
    assert by_target["/c/tee/t?q=1"]["body"] == b"shadow me" and by_target["/c/tee/t?q=1"]["method"] == "POST"
    assert "/shadowed/p" in by_target
    host = [v for k, v in by_target["/shadowed/p"]["headers"] if k.lower() == "host"]
    assert host == [SHADOW_URL.split("//")[1]]
    loop = by_target["/c/tee_loop/l"]
    assert loop["body"] == b"loop me" and ["X-Tee-Loopback-Key", "grp"] in loop["headers"]


def test_backend_timeout_504(skipperd: Any) -> None:
    import socket

    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)  # accepts (the kernel does) and never answers
    port = hang.getsockname()[1]
    routes = (f'slow: Path("/slow") -> backendTimeout("300ms") -> "http://127.0.0.1:{port}";\n'
              f'fine: Path("/fine") -> backendTimeout("2s") -> "{SHADOW_URL}";\n'
              'harness_ready: Path("/__harness_ready") -> status(204) -> <shunt>;')
    try:
        s = skipperd(routes=routes)
        t0 = time.monotonic()
        status, _, _ = s.request("GET", "/slow")
        took = time.monotonic() - t0
        assert status == 504 and 0.25 <= took < 2.5, (status, took)
        assert s.request("GET", "/fine")[0] == 200
    finally:
        hang.close()


def test_latency_and_chunks_take_their_time(catalogue: Catalogue) -> None:
    t0 = time.monotonic()
    catalogue.run("latency")
    assert time.monotonic() - t0 >= 0.02
    r = catalogue.run("chunks")
    assert r.echo is not None


def test_webhook_gets_the_request_headers(catalogue: Catalogue) -> None:
    calls.clear()
    catalogue.run("webhook_ok")
    assert calls and calls[-1].get("Host", "").startswith("127.0.0.1")
