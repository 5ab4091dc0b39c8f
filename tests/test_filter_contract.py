"""The filter runtime contract (skipperd.filters docstring): options, validate vs create,
instances kept across table swaps, close() for removed routes, body streams and transforms."""

from __future__ import annotations

import zlib
from typing import Any

from skipperd import filters
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Backend, BackendType, Filter, Route
from skipperd.filters.base import Spec
from skipperd.filters.options import SUPERVISOR, WORKER, FilterOptions
from skipperd.http import FilterContext, Headers, Request, Response
from skipperd.http.body import BytesStream
from skipperd.predicates import make_registry as predicates
from skipperd.registry import Registry
from skipperd.routing.cache import SpecCache
from skipperd.routing.compile import validate
from skipperd.routing.table import build_table


class Stateful:
    def __init__(self, arg: str) -> None:
        self.arg = arg
        self.closed = 0

    def request(self, ctx: FilterContext) -> None:
        pass

    def close(self) -> None:
        self.closed += 1


class CountingSpec(Spec[str]):
    def __init__(self, name: str, per_route: bool = False) -> None:
        self.name = name
        self.per_route = per_route
        self.parsed = 0
        self.created: list[Stateful] = []

    def parse(self, args: tuple[Any, ...]) -> str:
        self.parsed += 1
        if len(args) != 1 or not isinstance(args[0], str):
            raise InvalidArguments(self.name, "expects one string")
        return args[0]

    def build(self, parsed: str) -> Stateful:
        inst = Stateful(parsed)
        self.created.append(inst)
        return inst


def route(rid: str, *fs: Filter) -> Route:
    return Route(rid, (), tuple(fs), Backend(BackendType.SHUNT))


def test_make_registry_takes_options_and_defaults() -> None:
    o = FilterOptions(role=WORKER, clock=lambda: 42.0)
    assert o.clock() == 42.0 and not o.validating
    assert FilterOptions(role=SUPERVISOR).validating
    r = filters.make_registry(o)
    assert "status" in r and filters.make_registry() is not r


def test_supervisor_validates_without_creating() -> None:
    shared, own = CountingSpec("shared"), CountingSpec("own", per_route=True)
    reg: Registry[Any] = Registry([shared, own])
    good = route("good", Filter("shared", ("a",)), Filter("own", ("b",)))
    bad = route("bad", Filter("own", (1.0,)))
    valid, reports = validate([good, bad], predicates(), reg)
    assert [r.id for r in valid] == ["good"]
    assert reports[0].route_id == "bad" and "expects one string" in reports[0].reason
    assert shared.created == [] and own.created == []
    assert shared.parsed == 1 and own.parsed == 2


def test_instances_survive_swaps_and_removed_ones_are_closed() -> None:
    shared, own = CountingSpec("shared"), CountingSpec("own", per_route=True)
    reg: Registry[Any] = Registry([shared, own])
    preds = predicates()
    cache = SpecCache()
    routes = [route(f"r{i}", Filter("shared", ("x",)), Filter("own", ("y",))) for i in range(3)]
    t1, _ = build_table(routes, preds, reg, cache)
    assert len(shared.created) == 1 and len(own.created) == 3  # one shared, one per route
    own_of = {r.id: r.filters[1] for r in t1.routes}

    # r1 changes its own filter's argument, r2 is removed, r0 is unchanged
    t2, _ = build_table([routes[0], route("r1", Filter("shared", ("x",)), Filter("own", ("z",)))], preds, reg, cache)
    assert t2.get("r0").filters[1] is own_of["r0"]          # type: ignore[union-attr]
    assert t2.get("r0").filters[0] is t1.routes[0].filters[0]  # type: ignore[union-attr]
    assert own_of["r0"].closed == 0
    assert own_of["r1"].closed == 1 and own_of["r2"].closed == 1
    assert t2.get("r1").filters[1] is not own_of["r1"]      # type: ignore[union-attr]
    assert shared.created[0].closed == 0

    build_table([], preds, reg, cache)
    assert shared.created[0].closed == 1 and own_of["r0"].closed == 1


class Upper:
    def __init__(self) -> None:
        self.fed: list[bytes] = []

    def feed(self, data: bytes) -> bytes:
        self.fed.append(data)
        return data.upper()

    def flush(self) -> bytes:
        return b"!"


class Deflate:
    def __init__(self) -> None:
        self.c = zlib.compressobj()

    def feed(self, data: bytes) -> bytes:
        return self.c.compress(data)

    def flush(self) -> bytes:
        return self.c.flush()


class Pieces:
    """A BodyStream over given pieces, like a backend body arriving in reads."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)
        self.length = sum(len(p) for p in pieces)
        self.closed = False

    def buffered(self) -> bytes:
        return b""

    def read(self) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""

    def exhausted(self) -> bool:
        return not self.pieces

    def close(self) -> None:
        self.closed = True


def drain(stream: Any) -> bytes:
    out = [stream.buffered()]
    while True:
        piece = stream.read()
        if not piece:
            return b"".join(out)
        out.append(piece)


def ctx_with(resp: Response) -> FilterContext:
    ctx = FilterContext(Request("GET", "/", Headers()), {})
    ctx.response = resp
    return ctx


def test_wrapping_a_streamed_response_transforms_piece_by_piece() -> None:
    src = Pieces([b"ab", b"cd", b"ef"])
    resp = Response(200)
    resp.stream = src
    ctx = ctx_with(resp)
    up = Upper()
    ctx.wrap_response_body(up)
    assert resp.stream is not src and resp.stream is not None
    assert resp.stream.length == -1  # the length may change: the writer chunks it
    assert drain(resp.stream) == b"ABCDEF!"
    assert up.fed == [b"ab", b"cd", b"ef"]
    resp.stream.close()
    assert src.closed


def test_wrapping_twice_and_a_local_body() -> None:
    resp = Response(200, body=b"hello")
    ctx = ctx_with(resp)
    ctx.wrap_response_body(Upper())
    assert resp.body == b"HELLO!" and resp.stream is None
    resp2 = Response(200)
    resp2.stream = BytesStream(b"x" * 100000)
    ctx2 = ctx_with(resp2)
    ctx2.wrap_response_body(Upper(), same_length=True)
    ctx2.wrap_response_body(Deflate())
    assert zlib.decompress(drain(resp2.stream)) == b"X" * 100000 + b"!"


def test_set_response_body_drops_the_stream() -> None:
    src = Pieces([b"ab"])
    resp = Response(200)
    resp.stream = src
    ctx = ctx_with(resp)
    ctx.set_response_body(b"new")
    assert src.closed and resp.stream is None and resp.body == b"new"


class ReqBody:
    def __init__(self, first: bytes, rest: list[bytes]) -> None:
        self.first, self.rest = first, list(rest)
        self.length = len(first) + sum(len(p) for p in rest)
        self.chunked = False

    def buffered(self) -> bytes:
        b, self.first = self.first, b""
        return b

    def read(self) -> bytes:
        return self.rest.pop(0) if self.rest else b""


def test_request_body_wrap_and_replace() -> None:
    ctx = FilterContext(Request("POST", "/", Headers()), {}, "r", ReqBody(b"ab", [b"cd"]))
    ctx.wrap_request_body(Upper())
    body = ctx.request_body
    assert body is not None and body.chunked and body.length == -1
    assert body.buffered() == b""
    got = []
    while True:
        p = body.read()
        if not p:
            break
        got.append(p)
    assert b"".join(got) == b"ABCD!"
    ctx.set_request_body(b"xyz")
    assert ctx.request_body is not None and ctx.request_body.length == 3
    assert not ctx.request_body.chunked and ctx.request_body.read() == b"xyz"
