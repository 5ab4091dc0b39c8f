"""Built-in filters, table-driven: argument checks, request and response phases, templates, sniffing."""

from __future__ import annotations

from typing import Any

import pytest

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.filters import make_registry
from skipperd.filters.sniff import detect_content_type
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.request import Request
from skipperd.http.response import Response


def ctx_for(path: str = "/", headers: list[tuple[str, str]] | None = None, query: str = "",
            params: dict[str, str] | None = None, host: str = "example.org") -> FilterContext:
    h = Headers.from_pairs(headers or [])
    req = Request("GET", path, h, query=query, host=host, remote_addr="10.0.0.1")
    return FilterContext(req, params or {}, "r")


def create(name: str, *args: Any) -> Any:
    spec = make_registry().get(name)
    assert spec is not None
    return spec.create(tuple(args))


def test_registry_has_the_built_ins_and_each_call_builds_a_new_one() -> None:
    r = make_registry()
    assert set(r.names()) >= {names.STATUS, names.INLINE_CONTENT, names.SET_REQUEST_HEADER,
                              names.SET_RESPONSE_HEADER}
    assert make_registry() is not r


@pytest.mark.parametrize("name,args", [
    (names.STATUS, ()),
    (names.STATUS, ("200",)),
    (names.STATUS, (200.0, 201.0)),
    (names.STATUS, (99.0,)),
    (names.STATUS, (1000.0,)),
    (names.STATUS, (200.5,)),
    (names.INLINE_CONTENT, ()),
    (names.INLINE_CONTENT, (42.0,)),
    (names.INLINE_CONTENT, ("a", "text/plain", "x")),
    (names.INLINE_CONTENT, ("a", 1.0)),
    (names.SET_REQUEST_HEADER, ("X-A",)),
    (names.SET_REQUEST_HEADER, ("X-A", 1.0)),
    (names.SET_REQUEST_HEADER, ("X-A", "1", "2")),
    (names.SET_REQUEST_HEADER, ("", "1")),
    (names.SET_REQUEST_HEADER, ("X A", "1")),
    (names.SET_RESPONSE_HEADER, ("X-A", "a\r\nX-Injected: 1")),
    (names.SET_RESPONSE_HEADER, (1.0, "1")),
])
def test_invalid_arguments(name: str, args: tuple[Any, ...]) -> None:
    with pytest.raises(InvalidArguments) as e:
        create(name, *args)
    assert e.value.name == name


@pytest.mark.parametrize("code", [200.0, 420.0, 503.0, 100.0, 999.0])
def test_status_sets_the_response_status(code: float) -> None:
    f = create(names.STATUS, code)
    assert not hasattr(f, "request"), "status has nothing to do before the backend"
    ctx = ctx_for()
    ctx.response = Response(404)
    f.response(ctx)
    assert ctx.response.status == int(code)


@pytest.mark.parametrize("args,mime", [
    (("hello",), "text/plain; charset=utf-8"),
    (("<body style='color: white'><h1>Hello!</h1>",), "text/html; charset=utf-8"),
    (("  <!DOCTYPE html><html></html>",), "text/html; charset=utf-8"),
    (('{"foo": 42}',), "text/plain; charset=utf-8"),
    (('{"foo": 42}', "application/json"), "application/json"),
    (("<?xml version='1.0'?><a/>",), "text/xml; charset=utf-8"),
    (("",), "text/plain; charset=utf-8"),
])
def test_inline_content_serves_with_status_200(args: tuple[str, ...], mime: str) -> None:
    f = create(names.INLINE_CONTENT, *args)
    assert not hasattr(f, "response")
    ctx = ctx_for()
    f.request(ctx)
    assert ctx.served and ctx.response is not None
    assert ctx.response.status == 200
    assert ctx.response.body == args[0].encode()
    assert ctx.response.headers.get("Content-Type") == mime
    assert ctx.response.headers.get("Content-Length") == str(len(args[0].encode()))
    # Each request gets its own headers: a response filter must not change the next response.
    ctx.response.headers.set("X-Changed", "1")
    ctx2 = ctx_for()
    f.request(ctx2)
    assert ctx2.response is not None and "X-Changed" not in ctx2.response.headers


@pytest.mark.parametrize("data,mime", [
    (b"", "text/plain; charset=utf-8"),
    (b"plain text", "text/plain; charset=utf-8"),
    (b"\t\n <HTML>", "text/html; charset=utf-8"),
    (b"<p>para", "text/html; charset=utf-8"),
    (b"<pre>", "text/plain; charset=utf-8"),  # not a signature: <P must be followed by space or >
    (b"<!-- c -->", "text/html; charset=utf-8"),
    (b"%PDF-1.4", "application/pdf"),
    (b"\x89PNG\x0D\x0A\x1A\x0A....", "image/png"),
    (b"GIF89a...", "image/gif"),
    (b"\xFF\xD8\xFF\xE0", "image/jpeg"),
    (b"\x1F\x8B\x08\x00", "application/x-gzip"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xEF\xBB\xBFtext", "text/plain; charset=utf-8"),
    (b"\xFE\xFF\x00a", "text/plain; charset=utf-16be"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wave"),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4"),
    (b"\x00\x01\x02", "application/octet-stream"),
    (b"text" + b"\x00" * 600, "application/octet-stream"),
    (b"a" * 600 + b"\x00", "text/plain; charset=utf-8"),  # only the first 512 bytes count
])
def test_content_type_sniffing_like_go(data: bytes, mime: str) -> None:
    assert detect_content_type(data) == mime


def test_set_request_header_replaces_and_sets_the_outgoing_host() -> None:
    ctx = ctx_for(headers=[("X-A", "old"), ("x-a", "older"), ("Other", "1")])
    create(names.SET_REQUEST_HEADER, "X-A", "new").request(ctx)
    assert ctx.request.headers.get_all("X-A") == ["new"]
    assert ctx.request.headers.get("Other") == "1"
    assert ctx.outgoing_host is None
    create(names.SET_REQUEST_HEADER, "Host", "backend.internal").request(ctx)
    assert ctx.outgoing_host == "backend.internal"
    assert ctx.request.headers.get("host") == "backend.internal"
    assert ctx.request.host == "example.org", "routing still sees the incoming host"


def test_set_response_header() -> None:
    f = create(names.SET_RESPONSE_HEADER, "X-B", "2")
    assert not hasattr(f, "request")
    ctx = ctx_for()
    ctx.response = Response(200, Headers.from_pairs([("x-b", "1"), ("Content-Type", "text/plain")]))
    f.response(ctx)
    assert ctx.response.headers.get_all("x-b") == ["2"]
    assert ctx.response.headers.get("content-type") == "text/plain"


@pytest.mark.parametrize("template,expected", [
    ("user-${id}", "user-42"),
    ("${request.method} ${request.host} ${request.path}", "GET example.org /users/42"),
    ("${request.header.X-Tenant}", "acme"),
    ("${request.query.page}", "3"),
    ("${request.rawQuery}", "page=3&x=y"),
    ("${request.cookie.session}", "abc"),
    ("${request.source}", "192.0.2.7"),
    ("${request.sourceFromLast}", "198.51.100.1"),
    ("${request.clientIP}", "10.0.0.1"),
    ("${id}-${id}", "42-42"),
    ("no placeholder $ {id} here", "no placeholder $ {id} here"),
    # A placeholder that resolves to nothing leaves the header alone (Skipper).
    ("${missing}", None),
    ("a-${id}-${request.header.Absent}", None),
])
def test_request_header_templates(template: str, expected: str | None) -> None:
    ctx = ctx_for("/users/42", [("X-Tenant", "acme"), ("Cookie", "session=abc; other=1"),
                                ("X-Forwarded-For", "192.0.2.7, 198.51.100.1")],
                  query="page=3&x=y", params={"id": "42"})
    create(names.SET_REQUEST_HEADER, "X-Out", template).request(ctx)
    assert ctx.request.headers.get("X-Out") == expected


def test_response_header_template_sees_the_response() -> None:
    ctx = ctx_for(params={"id": "7"})
    ctx.response = Response(200, Headers.from_pairs([("X-Upstream", "u1")]))
    create(names.SET_RESPONSE_HEADER, "X-Copy", "${response.header.X-Upstream}/${id}").response(ctx)
    assert ctx.response.headers.get("X-Copy") == "u1/7"


def test_values_without_placeholders_are_not_templates() -> None:
    from skipperd.filters.headers import SetRequestHeader, SetRequestHeaderTemplate

    plain = create(names.SET_REQUEST_HEADER, "X", "a ${ b")
    assert type(plain) is SetRequestHeader
    assert type(create(names.SET_REQUEST_HEADER, "X", "${a}")) is SetRequestHeaderTemplate
