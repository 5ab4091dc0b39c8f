"""The msgpack encoding of a route table: plain lists, strings and floats .

A payload is ``[FORMAT, meta, routes]``; a route is::

    [id, [[name, [args...]], ...predicates], [[name, [args...]], ...filters], backend]

and a backend is ``[type code, address, algorithm, [endpoints], [zones]]`` with trailing default
fields left off (a shunt is ``[1]``). ``meta`` is a dict with string keys for what the workers
need beside the routes (room for the matcher's index).

Decoding is on the worker side, once per generation, and is kept cheap for large tables:
msgpack builds tuples directly (``use_list=False``), equal predicates, filters and backends are
built once per table and shared by the routes that use them (tables repeat them a lot), and the
frozen dataclasses are filled through their slot descriptors rather than their ``__init__``
(which goes through ``object.__setattr__`` for every field of a frozen dataclass).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence, cast

import msgpack

from skipperd.errors import SkipperdError
from skipperd.eskip.route import Backend, BackendType, Filter, Predicate, Route

FORMAT = 1

# Codes are part of the format: append, never renumber.
_BACKEND_TYPES: tuple[BackendType, ...] = (
    BackendType.NETWORK, BackendType.SHUNT, BackendType.LOOPBACK,
    BackendType.DYNAMIC, BackendType.LB, BackendType.FORWARD,
)
_BACKEND_CODE = {t: i for i, t in enumerate(_BACKEND_TYPES)}


class CodecError(SkipperdError):
    """A payload is not a route table of a format this version reads."""


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC while a table's acyclic objects are made: it ran many times per table for
    nothing (10,000 routes: decode 167 -> 105 ms, encode 125 -> 73 ms on the reference machine)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _encode_backend(b: Backend) -> list[Any]:
    out: list[Any] = [_BACKEND_CODE[b.type], b.address, b.algorithm, list(b.endpoints), list(b.zones)]
    defaults: tuple[Any, ...] = (None, "", None, [], [])
    while len(out) > 1 and out[-1] == defaults[len(out) - 1]:
        out.pop()
    return out


def _row(r: Route) -> list[Any]:
    return [r.id,
            [[p.name, list(p.args)] for p in r.predicates],
            [[f.name, list(f.args)] for f in r.filters],
            _encode_backend(r.backend)]


def encode_table(routes: Sequence[Route], meta: dict[str, Any]) -> bytes:
    """The payload of a table: deterministic, so equal tables give equal bytes."""
    with _gc_paused():
        data: bytes = msgpack.packb([FORMAT, meta, [_row(r) for r in routes]], use_bin_type=True)
    return data


class TableEncoder:
    """``encode_table`` for a supervisor that encodes a table after every change: each route's
    row is packed once and kept while the route is in the table, keyed by the ``Route`` object
    (sources hand out the same object for an unchanged definition). msgpack is concatenative, so
    the payload is the header and the kept rows joined: the same bytes as ``encode_table``. The
    kept rows are found in passes that run in C (``map``), so an unchanged route costs well under
    a microsecond."""

    __slots__ = ("_rows", "_held", "packed")

    def __init__(self) -> None:
        self._rows: dict[int, bytes] = {}  # id(route) -> its packed row
        self._held: Sequence[Route] = ()  # the routes _rows describes: alive, so their ids are theirs
        self.packed = 0  # rows packed by the last call

    def encode(self, routes: Sequence[Route], meta: dict[str, Any]) -> bytes:
        keys = list(map(id, routes))
        rows: list[bytes | None] = list(map(self._rows.get, keys))
        packed = rows.count(None)
        if packed:
            with _gc_paused():
                i = -1
                for _ in range(packed):
                    i = rows.index(None, i + 1)
                    rows[i] = msgpack.packb(_row(routes[i]), use_bin_type=True)
        done = cast("list[bytes]", rows)  # no None left
        self._rows = dict(zip(keys, done))
        self._held = routes
        self.packed = packed
        done.insert(0, _HEAD + msgpack.packb(FORMAT) + msgpack.packb(meta, use_bin_type=True)
                    + _array_header(len(routes)))
        return b"".join(done)


_HEAD = b"\x93"  # a fixarray of three: [FORMAT, meta, routes]


def _array_header(n: int) -> bytes:
    if n < 16:
        return bytes((0x90 | n,))
    if n < 0x10000:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def _builder(cls: type[Any], fields: Sequence[str]) -> Callable[..., Any]:
    """A fast constructor of a frozen, slotted dataclass (same result as ``cls(*values)``)."""
    new = object.__new__
    setters = [getattr(cls, f).__set__ for f in fields]  # slot member descriptors

    if len(setters) == 2:
        s0, s1 = setters

        def build2(a: Any, b: Any) -> Any:
            o = new(cls)
            s0(o, a)
            s1(o, b)
            return o
        return build2
    if len(setters) == 4:
        t0, t1, t2, t3 = setters

        def build4(a: Any, b: Any, c: Any, d: Any) -> Any:
            o = new(cls)
            t0(o, a)
            t1(o, b)
            t2(o, c)
            t3(o, d)
            return o
        return build4
    raise TypeError(f"no fast constructor for {len(setters)} fields")


_new_predicate = _builder(Predicate, ("name", "args"))
_new_filter = _builder(Filter, ("name", "args"))
_new_route = _builder(Route, ("id", "predicates", "filters", "backend"))


def decode_table(payload: bytes) -> tuple[list[Route], dict[str, Any]]:
    """Routes and meta of a payload made by ``encode_table``; raises ``CodecError``.

    Arrays inside ``meta`` come back as tuples.
    """
    with _gc_paused():
        return _decode(payload)


def _decode(payload: bytes) -> tuple[list[Route], dict[str, Any]]:
    try:
        fmt, meta, rows = msgpack.unpackb(payload, use_list=False, raw=False, strict_map_key=True)
    except (ValueError, TypeError, msgpack.UnpackException) as e:
        raise CodecError(f"route table payload cannot be decoded: {e}") from e
    if fmt != FORMAT:
        raise CodecError(f"route table format {fmt!r}, this version reads {FORMAT}")
    if not isinstance(meta, dict):
        raise CodecError("route table meta is not a map")
    shared = _Shared()
    routes: list[Route] = []
    append = routes.append
    try:
        for row in rows:
            append(shared.route(row))
    except (ValueError, TypeError, IndexError) as e:
        raise CodecError(f"route table payload is malformed: {e}") from e
    return routes, dict(meta)


class _Shared:
    """One object per distinct (name, args) and backend for the whole table."""

    __slots__ = ("preds", "filters", "backends")

    def __init__(self) -> None:
        self.preds: dict[Any, Predicate] = {}
        self.filters: dict[Any, Filter] = {}
        self.backends: dict[Any, Backend] = {}

    def route(self, row: Any) -> Route:
        rid, ps, fs, b = row
        preds, filters = self.preds, self.filters
        pt = []
        for p in ps:
            obj = preds.get(p)
            if obj is None:
                obj = preds[p] = _new_predicate(p[0], p[1])
            pt.append(obj)
        ft = []
        for f in fs:
            fobj = filters.get(f)
            if fobj is None:
                fobj = filters[f] = _new_filter(f[0], f[1])
            ft.append(fobj)
        backend = self.backends.get(b)
        if backend is None:
            backend = self.backends[b] = _decode_backend(b)
        return _new_route(rid, tuple(pt), tuple(ft), backend)  # type: ignore[no-any-return]


_FEED = 256 * 1024  # bytes of a payload handed to the Unpacker at a time


class RowReader:
    """A payload read one route at a time, for a worker that builds its table in slices.

    ``meta`` and ``count`` are read at once. ``next_raw()`` returns the next route's row as its
    msgpack bytes, without decoding it (the Unpacker skips over it): the encoding is
    deterministic, so equal bytes are equal definitions, and a worker that knows a row from
    the last generation needs nothing more. ``decode(raw)`` decodes and checks one such row (a
    hashable tuple ``(id, predicates, filters, backend)``), ``next_row()`` is both at once, and
    ``route(row)`` its definition, with the sharing ``decode_table`` does. Every method raises
    ``CodecError`` as ``decode_table`` does (a row skipped over is only checked when decoded);
    ``raws(k)`` gives the next k rows' bytes at once.
    """

    __slots__ = ("_unpacker", "_payload", "_fed", "_pos", "_read", "meta", "count", "_shared")

    def __init__(self, payload: bytes) -> None:
        self._payload = payload
        self._shared = _Shared()
        try:
            self._start(_FEED)
        except msgpack.OutOfData:
            self._start(len(payload))  # a head longer than one piece: all of it at once
        except (ValueError, TypeError, msgpack.UnpackException) as e:
            raise CodecError(f"route table payload cannot be decoded: {e}") from e
        self._read = 0

    def _start(self, fed: int) -> None:
        """Read the head with the payload's first ``fed`` bytes fed (the rest is fed a piece at
        a time as rows are read: no copy of a large payload at once)."""
        u = msgpack.Unpacker(use_list=False, raw=False, strict_map_key=True,
                             max_buffer_size=max(len(self._payload), 100 * 1024 * 1024))
        u.feed(self._payload[:fed])
        self._unpacker = u
        self._fed = fed
        try:
            if u.read_array_header() != 3:
                raise CodecError("route table payload is not [format, meta, routes]")
            fmt = u.unpack()
            if fmt != FORMAT:
                raise CodecError(f"route table format {fmt!r}, this version reads {FORMAT}")
            meta = u.unpack()
            if not isinstance(meta, dict):
                raise CodecError("route table meta is not a map")
            self.meta: dict[str, Any] = dict(meta)
            self.count: int = u.read_array_header()
            if self.count == 0 and u.tell() != len(self._payload):
                raise CodecError("route table payload is malformed: data after its routes")
        except msgpack.OutOfData:
            if fed >= len(self._payload):
                raise CodecError("route table payload cannot be decoded: it ends too early") from None
            raise
        self._pos: int = u.tell()

    def next_raw(self) -> bytes:
        """The next row's msgpack bytes (not checked beyond being one complete msgpack value)."""
        raws = self.raws(1)
        if not raws:
            raise CodecError("route table payload is malformed: no more routes than its count")
        return raws[0]

    def raws(self, limit: int) -> list[bytes]:
        """The bytes of the next rows, ``limit`` of them or as many as are left of ``count``."""
        k = min(limit, self.count - self._read)
        u = self._unpacker
        skip, tell = u.skip, u.tell
        payload = self._payload
        start = self._pos
        out: list[bytes] = []
        append = out.append
        try:
            while len(out) < k:
                try:
                    skip()
                except msgpack.OutOfData:
                    fed = self._fed
                    if fed >= len(payload):
                        raise
                    u.feed(payload[fed:fed + _FEED])  # the Unpacker goes on where it stopped
                    self._fed = fed + _FEED
                    continue
                end = tell()
                append(payload[start:end])
                start = end
        except (ValueError, TypeError, msgpack.UnpackException, msgpack.OutOfData) as e:
            raise CodecError(f"route table payload cannot be decoded: {e}") from e
        self._pos = start
        self._read += k
        if self._read == self.count and start != len(payload):
            raise CodecError("route table payload is malformed: data after its routes")
        return out

    def decode(self, raw: bytes) -> Any:
        """The row of ``raw``, checked to be ``(id, predicates, filters, backend)`` with a string id."""
        try:
            row = msgpack.unpackb(raw, use_list=False, raw=False, strict_map_key=True)
        except (ValueError, TypeError, msgpack.UnpackException) as e:
            raise CodecError(f"route table payload cannot be decoded: {e}") from e
        if not isinstance(row, tuple) or len(row) != 4:
            raise CodecError("route table payload is malformed: a route is not [id, predicates, filters, backend]")
        if not isinstance(row[0], str):
            raise CodecError(f"route table payload is malformed: a route id is not a string: {row[0]!r}")
        return row

    def next_row(self) -> Any:
        return self.decode(self.next_raw())

    def route(self, row: Any) -> Route:
        try:
            return self._shared.route(row)
        except (ValueError, TypeError, IndexError) as e:
            raise CodecError(f"route table payload is malformed: {e}") from e


def _decode_backend(b: tuple[Any, ...]) -> Backend:
    t = _BACKEND_TYPES[b[0]]
    n = len(b)
    return Backend(
        t,
        b[1] if n > 1 else "",
        b[2] if n > 2 else None,
        b[3] if n > 3 else (),
        b[4] if n > 4 else (),
    )
