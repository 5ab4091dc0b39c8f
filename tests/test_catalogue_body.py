"""Body and diagnostic filters, static, cache: through real proxied requests (tests/catalogue.py).

Cases follow the examples of Skipper's reference docs (filters.md upstream: Diagnostics, HTTP
Body, Caching); bad arguments make the route invalid, dropped alone and listed.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from catalogue import Bad, Case, Catalogue, Result, request

ROOT = Path(tempfile.mkdtemp(prefix="skipperd-static-"))
OUTSIDE = Path(tempfile.mkdtemp(prefix="skipperd-outside-"))


def _make_tree() -> None:
    (ROOT / "sub").mkdir(exist_ok=True)
    (ROOT / "withindex").mkdir(exist_ok=True)
    (ROOT / "a.txt").write_text("hello static\n")
    (ROOT / "style.css").write_text("body {}\n")
    (ROOT / "data.bin").write_bytes(bytes(range(256)) * 1024)
    (ROOT / "sub" / "b.html").write_text("<p>b</p>")
    (ROOT / "withindex" / "index.html").write_text("<h1>index</h1>")
    (OUTSIDE / "secret").write_text("secret\n")
    link = ROOT / "escape"
    if not link.exists():
        os.symlink(OUTSIDE / "secret", link)
    dlink = ROOT / "escapedir"
    if not dlink.exists():
        os.symlink(OUTSIDE, dlink)


_make_tree()

HEX = "68657861646563696d616c"
CHALK = "I will not waste chalk. "


def body(expected: bytes):  # type: ignore[no-untyped-def]
    def check(r: Result) -> None:
        assert r.body == expected, r.body[:200]
    return check


def alnum(n: int):  # type: ignore[no-untyped-def]
    def check(r: Result) -> None:
        assert len(r.body) == n and r.body.isalnum() and r.body.isascii(), r.body[:100]
    return check


def wrapped(prefix: bytes, suffix: bytes):  # type: ignore[no-untyped-def]
    def check(r: Result) -> None:
        assert r.body.startswith(prefix + b'{"method"') and r.body.endswith(b"}" + suffix), r.body[:100]
        assert int(r.client("Content-Length")[0]) == len(r.body)
    return check


SHUNT = "<shunt>"
NOT_FOUND = b"404 page not found\n"

CASES = [
    # --- diagnostics ----------------------------------------------------------------------------
    Case("random", "randomContent(42)", backend=SHUNT, check=alnum(42)),
    Case("random_big", "randomContent(200000)", backend=SHUNT, check=alnum(200000)),
    Case("repeat", f'repeatContent("{CHALK}", 1000)', backend=SHUNT, client={"Content-Length": ["1000"]},
         body_is=(CHALK * 50).encode()[:1000]),
    Case("repeat_big", 'repeatContent("0123456789", 300001)', backend=SHUNT,
         body_is=(b"0123456789" * 30001)[:300001]),
    Case("repeat_hex", 'repeatContentHex("00", 100)', backend=SHUNT, body_is=bytes(100)),
    Case("repeat_hex_once", f'repeatContentHex("{HEX}", 11)', backend=SHUNT, body_is=b"hexadecimal"),
    Case("repeat_zero", 'repeatContent("x", 0)', backend=SHUNT, body_is=b"", client={"Content-Length": ["0"]}),
    Case("wrap_inline", 'wrapContent("foo", "baz") -> inlineContent("bar")', backend=SHUNT, body_is=b"foobarbaz"),
    Case("wrap_json", 'wrapContent("[", "0]") -> repeatContent("0, ", 297)', backend=SHUNT,
         body_is=b"[" + b"0, " * 99 + b"0]"),
    Case("wrap_hex", 'wrapContentHex("68657861", "6d616c") -> inlineContent("deci")', backend=SHUNT,
         body_is=b"hexadecimal"),
    Case("wrap_proxied", 'wrapContent("<<", ">>")', check=wrapped(b"<<", b">>")),
    Case("tarpit_route", 'tarpit("100ms")', backend=SHUNT),  # exercised in test_tarpit
    Case("absorb", "absorb()", method="POST", body=b"x" * 300000, backend=SHUNT, body_is=b""),
    Case("absorb_silent", "absorbSilent()", method="POST", body=b"x" * 1000, backend=SHUNT, body_is=b""),
    Case("absorb_no_body", "absorb()", backend=SHUNT),
    Case("log_header", 'logHeader("request", "response")', headers=[("Authorization", "Bearer topsecret"),
                                                                     ("X-Logged", "yes")]),
    Case("log_body", 'logBody("request", 5) -> logBody("response", 9)', method="POST", body=b"hello world",
         headers=[("X-Flow-Id", "logbodyflowid123")]),
    # --- bodies and responses -------------------------------------------------------------------
    Case("if_status_404", 'inlineContentIfStatus(404, "<p class=\\"problem\\">We don\'t have what you\'re looking for.</p>")',
         headers=[("X-Respond-Status", "404"), ("X-Respond-Content-Encoding", "gzip")], status=404,
         client={"Content-Type": ["text/html; charset=utf-8"], "Content-Encoding": None},
         body_is=b"<p class=\"problem\">We don't have what you're looking for.</p>"),
    Case("if_status_401", 'inlineContentIfStatus(401, "{\\"error\\": \\"unauthorized\\"}", "application/json")',
         headers=[("X-Respond-Status", "401")], status=401, client={"Content-Type": ["application/json"]},
         body_is=b'{"error": "unauthorized"}'),
    Case("if_status_other", 'inlineContentIfStatus(404, "gone")', check=lambda r: r.echo is not None),
    Case("healthcheck", "healthcheck()", headers=[("X-Respond-Status", "503")], status=200),
    Case("block", 'blockContent("Malicious Content")', method="POST", body=b"some Malicious Content here", status=400),
    Case("block_clean", 'blockContent("Malicious Content")', method="POST", body=b"harmless",
         check=lambda r: r.echo is not None and r.echo["body"] == "harmless"),
    Case("block_hex", 'blockContentHex("deadbeef", "000a")', method="POST", body=b"abc\x00\x0adef", status=400),
    Case("block_hex_clean", 'blockContentHex("deadbeef", "000a")', method="POST", body=b"abc\x00\x0bdef"),
    Case("block_no_body", 'blockContent("x")'),
    # --- static ---------------------------------------------------------------------------------
    Case("static", f'static("/c/static/", "{ROOT}")', backend=SHUNT, path="/a.txt", body_is=b"hello static\n",
         client={"Content-Type": ["text/plain; charset=utf-8"], "Content-Length": ["13"], "Accept-Ranges": ["bytes"]}),
    Case("static_css", f'static("/c/static_css/", "{ROOT}")', backend=SHUNT, path="/style.css",
         client={"Content-Type": ["text/css; charset=utf-8"]}),
    Case("static_big", f'static("/c/static_big/", "{ROOT}")', backend=SHUNT, path="/data.bin",
         body_is=bytes(range(256)) * 1024),
    Case("static_range", f'static("/c/static_range/", "{ROOT}")', backend=SHUNT, path="/a.txt",
         headers=[("Range", "bytes=0-4")], status=206, body_is=b"hello", client={"Content-Range": ["bytes 0-4/13"]}),
    Case("static_index", f'static("/c/static_index/", "{ROOT}")', backend=SHUNT, path="/withindex/",
         body_is=b"<h1>index</h1>"),
    Case("static_index_redirect", f'static("/c/static_index_redirect/", "{ROOT}")', backend=SHUNT,
         path="/withindex/index.html", status=301, client={"Location": ["./"]}),
    Case("static_dir_redirect", f'static("/c/static_dir_redirect/", "{ROOT}")', backend=SHUNT, path="/sub",
         status=301, client={"Location": ["sub/"]}),
    Case("static_file_slash", f'static("/c/static_file_slash/", "{ROOT}")', backend=SHUNT, path="/a.txt/",
         status=301, client={"Location": ["../a.txt"]}),
    Case("static_listing", f'static("/c/static_listing/", "{ROOT}")', backend=SHUNT, path="/sub/",
         client={"Content-Type": ["text/html; charset=utf-8"]},
         check=lambda r: r.body.endswith(b'<pre>\n<a href="b.html">b.html</a>\n</pre>\n')),
    Case("static_missing", f'static("/c/static_missing/", "{ROOT}")', backend=SHUNT, path="/nope", status=404,
         body_is=NOT_FOUND),
    Case("static_dotdot", f'static("/c/static_dotdot/", "{ROOT}")', backend=SHUNT,
         path="/../../" + os.path.relpath(OUTSIDE / "secret", "/"), status=404),
    Case("static_dotdot_encoded", f'static("/c/static_dotdot_encoded/", "{ROOT}")', backend=SHUNT,
         path="/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", status=404),
    Case("static_symlink_out", f'static("/c/static_symlink_out/", "{ROOT}")', backend=SHUNT, path="/escape",
         status=404),
    Case("static_symlink_dir_out", f'static("/c/static_symlink_dir_out/", "{ROOT}")', backend=SHUNT,
         path="/escapedir/secret", status=404),
    Case("static_prefix_mismatch", f'static("/elsewhere/", "{ROOT}")', backend=SHUNT, path="/a.txt", status=404),
    Case("static_acme", f'static("/c/static_acme/.well-known/acme-challenge/", "{ROOT}")', backend=SHUNT,
         path="/.well-known/acme-challenge/a.txt", body_is=b"hello static\n"),
    # --- cache (more in the tests below) --------------------------------------------------------
    Case("cache_force", 'cache("5m", "15s", "30s")', client={"X-Cache-Status": ["MISS"]}),
    Case("cache_rfc", "cache()", headers=[("X-Respond-Cache-Control", "max-age=60")]),
    Case("cache_rfc_no_store", "cache()", headers=[("X-Respond-Cache-Control", "no-store")]),
    Case("cache_key_headers", 'cache("5m", "15s", "30s", "0s", "X-Tenant-ID")', headers=[("X-Tenant-ID", "a")]),
    Case("cache_stale_if_error", 'cache("200ms", "0s", "0s", "60s")'),
    Case("cache_unsafe", 'cache("5m", "15s", "30s")'),
]

BAD = [
    Bad("randomContent()"), Bad('randomContent("1")'), Bad("randomContent(-1)"),
    Bad('repeatContent("", 10)'), Bad('repeatContent("x")'), Bad('repeatContent("x", -1)'),
    Bad('repeatContentHex("zz", 10)'), Bad('repeatContentHex("abc", 10)'), Bad('wrapContent("a")'),
    Bad('wrapContentHex("zz", "00")'), Bad('inlineContentIfStatus(99, "x")'), Bad('inlineContentIfStatus(600, "x")'),
    Bad('inlineContentIfStatus("404", "x")'), Bad("inlineContentIfStatus(404)"), Bad("blockContent()"),
    Bad('blockContent("")'), Bad("blockContent(1)"), Bad('blockContentHex("xyz")'), Bad("tarpit()"),
    Bad('tarpit("1")'), Bad("tarpit(1)"), Bad("logHeader(1)"), Bad('logBody("request")'),
    Bad('logBody("both", 10)'), Bad('logBody("request", 1.5)'), Bad('static("/")'),
    Bad('static("/", "/no/such/dir/for/skipperd")'), Bad('static(1, "/tmp")'), Bad('cache("5m")'),
    Bad('cache("5m", "15s")'), Bad('cache("x", "15s", "30s")'), Bad('cache("5m", "15s", "30s", 1)'),
]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    with Catalogue(Path(tmp_path_factory.mktemp("body")), CASES, BAD, args=["-application-log-level=INFO"]) as c:
        yield c
    shutil.rmtree(ROOT, ignore_errors=True)
    shutil.rmtree(OUTSIDE, ignore_errors=True)


@pytest.mark.parametrize("case_id", [c.id for c in CASES if not c.id.startswith(("tarpit", "cache"))])
def test_case(catalogue: Catalogue, case_id: str) -> None:
    catalogue.run(case_id)


def test_bad_arguments_make_only_their_route_invalid(catalogue: Catalogue) -> None:
    invalid = catalogue.invalid()
    for i, b in enumerate(BAD):
        assert f"bad_{i}" in invalid, f"{b.expr} was accepted"
        assert b.expr.split("(")[0] in invalid[f"bad_{i}"]
    assert not any(k.startswith("c_") for k in invalid), invalid


def test_blocked_request_does_not_reach_the_origin_whole(catalogue: Catalogue) -> None:
    before = len(catalogue.origin.requests)
    catalogue.run("block")
    catalogue.run("block_hex")
    # The head may have gone out before the body was scanned (as in Skipper); the body never does.
    for r in catalogue.origin.requests[before:]:
        if r["target"] in ("/c/block", "/c/block_hex"):
            assert b"Malicious" not in r["body"] and b"\x00\x0a" not in r["body"]


def test_tarpit_sends_a_space_now_and_then_and_never_ends(catalogue: Catalogue) -> None:
    with socket.create_connection(("127.0.0.1", catalogue.skipperd.port), timeout=5) as s:
        s.sendall(b"GET /c/tarpit_route HTTP/1.1\r\nHost: x\r\n\r\n")
        t0 = time.monotonic()
        data = b""
        while data.count(b" \r\n") < 3 and time.monotonic() - t0 < 4:
            data += s.recv(4096)
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"chunked" in data.lower()
    assert time.monotonic() - t0 >= 0.2


def test_diagnostics_log(catalogue: Catalogue) -> None:
    catalogue.run("absorb")
    catalogue.run("log_header")
    catalogue.run("log_body")
    log = catalogue.skipperd.wait_for(lambda: "logBody(\"response\")" in catalogue.skipperd.log()
                                      and catalogue.skipperd.log())
    assert "received request to be absorbed" in log and "consumed bytes: 300000" in log
    assert "Authorization: TRUNCATED" in log and "topsecret" not in log and "X-Logged: yes" in log
    assert "Response for GET /c/log_header" in log
    assert 'logBody("request") logbodyflowid123: "hello"' in log
    assert 'logBody("response") logbodyflowid123: "{\\"method' in log


def _get(c: Catalogue, path: str, headers: list[tuple[str, str]] | None = None, method: str = "GET") -> Result:
    return request(c.skipperd, method, path, headers or [])


def _origin_hits(c: Catalogue, target: str) -> int:
    return sum(1 for r in c.origin.requests if r["target"] == target)


def test_cache_force_mode_hits_and_counts_age(catalogue: Catalogue) -> None:
    p = "/c/cache_force/item"
    first = _get(catalogue, p)
    assert first.client("X-Cache-Status") == ["MISS"]
    second = _get(catalogue, p)
    assert second.client("X-Cache-Status") == ["HIT"] and second.client("Age") == ["0"]
    assert second.body == first.body
    assert _origin_hits(catalogue, p) == 1
    head = _get(catalogue, p, method="HEAD")
    assert head.status == 200 and head.body == b"" and head.client("X-Cache-Status") == ["HIT"]
    assert _get(catalogue, p, [("Cache-Control", "no-cache")]).client("X-Cache-Status") == ["MISS"]
    assert _get(catalogue, p, [("Cache-Control", "no-store")]).client("X-Cache-Status") == ["MISS"]
    assert _origin_hits(catalogue, p) == 3
    assert _get(catalogue, "/c/cache_force/other", [("Cache-Control", "only-if-cached")]).status == 504


def test_cache_rfc_mode_follows_the_backend(catalogue: Catalogue) -> None:
    h = [("X-Respond-Cache-Control", "max-age=60")]
    assert _get(catalogue, "/c/cache_rfc/x", h).client("X-Cache-Status") == ["MISS"]
    assert _get(catalogue, "/c/cache_rfc/x", h).client("X-Cache-Status") == ["HIT"]
    h = [("X-Respond-Cache-Control", "no-store")]
    assert _get(catalogue, "/c/cache_rfc_no_store/x", h).client("X-Cache-Status") == ["MISS"]
    assert _get(catalogue, "/c/cache_rfc_no_store/x", h).client("X-Cache-Status") == ["MISS"]
    etag = [("X-Respond-Cache-Control", "max-age=60"), ("X-Respond-ETag", '"v1"')]
    _get(catalogue, "/c/cache_rfc/etag", etag)
    r = _get(catalogue, "/c/cache_rfc/etag", etag + [("If-None-Match", '"v1"')])
    assert r.status == 304 and r.client("X-Cache-Status") == ["HIT"]


def test_cache_key_headers_isolate_callers(catalogue: Catalogue) -> None:
    p = "/c/cache_key_headers/x"
    a = _get(catalogue, p, [("X-Tenant-ID", "a")])
    b = _get(catalogue, p, [("X-Tenant-ID", "b")])
    assert a.client("X-Cache-Status") == b.client("X-Cache-Status") == ["MISS"]
    assert _get(catalogue, p, [("X-Tenant-ID", "a")]).client("X-Cache-Status") == ["HIT"]


def test_cache_stale_if_error(catalogue: Catalogue) -> None:
    p = "/c/cache_stale_if_error/x"
    ok = _get(catalogue, p)
    time.sleep(0.3)
    r = _get(catalogue, p, [("X-Respond-Status", "503")])
    assert r.status == 200 and r.client("X-Cache-Status") == ["STALE"] and r.body == ok.body


def test_cache_unsafe_methods_invalidate(catalogue: Catalogue) -> None:
    p = "/c/cache_unsafe/x"
    _get(catalogue, p)
    assert _get(catalogue, p).client("X-Cache-Status") == ["HIT"]
    assert _get(catalogue, p, method="POST").status == 200
    assert _get(catalogue, p).client("X-Cache-Status") == ["MISS"]
