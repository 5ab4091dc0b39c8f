"""``cache([ttl, errorTTL, swrWindow[, staleIfError[, keyHeaders]]])``: Skipper's HTTP cache filter.

Responses to GET are kept in an LRU store in the worker's memory, bounded in bytes
(``-response-cache-max-memory-bytes``, per worker; an entry over a sixteenth of the budget is not
kept) and shared by every ``cache()`` of the worker's routes; the key is the route id, host,
path, query and the values of ``keyHeaders`` (comma-separated names), hashed with SHA-256, plus
the values of the fields the stored response's ``Vary`` names. Answers carry ``X-Cache-Status:
HIT``, ``MISS`` or ``STALE`` and, from the store, ``Age``.

RFC mode (no arguments): the backend's ``Cache-Control`` decides (RFC 9111): ``no-store`` and
``private`` are not kept, nor ``Vary: *``; freshness is ``s-maxage``, else ``max-age``, else
``Expires`` less ``Date``, else, for the statuses RFC 9111 allows, a tenth of the time since
``Last-Modified`` (at most a day); a request with ``Authorization`` is only kept when the answer
says ``public``, ``s-maxage`` or ``must-revalidate``. ``stale-while-revalidate=N`` opens the
stale window. Force mode (3 to 5 arguments): ``ttl`` for 2xx, ``errorTTL`` for 404 and 5xx,
``swrWindow`` after that; the backend's directives are ignored.

Requests: ``no-store`` bypasses the store, ``no-cache`` (or ``max-age=0``) goes to the backend,
``only-if-cached`` answers 504 without a fresh entry, ``max-stale`` and ``min-fresh`` as RFC 9111
says. ``If-None-Match`` and ``If-Modified-Since`` matching a served entry answer 304. HEAD is
answered from the GET entry. POST, PUT, PATCH and DELETE that succeed drop the entry.

Stale-while-revalidate: within the window, the first request after expiry goes to the backend
and refreshes the entry while concurrent requests are answered with the stale entry (Skipper
refreshes in the background and answers that first request stale too). ``staleIfError``: a 5xx
from the backend is replaced by the stale entry while it is that young. Concurrent cold misses
are not coalesced.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from email.utils import parsedate_to_datetime
from typing import Any, Callable

from skipperd import names
from skipperd.durations import filter_duration, parse_go_duration
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.params import DURATION, STRING, Param

DEFAULT_MAX_BYTES = 64 << 20
_UNSAFE = frozenset(("POST", "PUT", "PATCH", "DELETE"))
_HEURISTIC = frozenset((200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501))
_BAG = "cache:"
_REFRESH_WINDOW = 30.0  # a refresh that has not come back after this is taken over


def directives(value: str | None) -> dict[str, int]:
    """Cache-Control directives; ``-1`` for one without (or with an unusable) number."""
    out: dict[str, int] = {}
    if not value:
        return out
    for part in value.split(","):
        name, eq, arg = part.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        n = -1
        if eq:
            arg = arg.strip().strip('"')
            if arg.isdigit():
                n = int(arg)
        out[name] = n
    return out


def _http_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class Entry:
    __slots__ = ("status", "items", "body", "created", "ttl", "swr", "stale_if_error", "initial_age", "size",
                 "must_revalidate", "etag", "last_modified", "refreshing")

    def __init__(self, status: int, items: list[tuple[str, str, str]], body: bytes, created: float, ttl: float,
                 swr: float, stale_if_error: float, initial_age: float, must_revalidate: bool) -> None:
        self.status = status
        self.items = items
        self.body = body
        self.created = created
        self.ttl = ttl
        self.swr = swr
        self.stale_if_error = stale_if_error
        self.initial_age = initial_age
        self.must_revalidate = must_revalidate
        self.size = len(body) + sum(len(a) + len(b) + len(c) for a, b, c in items) + 200
        self.etag = next((v for k, _, v in items if k == "etag"), "")
        self.last_modified = next((v for k, _, v in items if k == "last-modified"), "")
        self.refreshing = 0.0

    def age(self, now: float) -> float:
        return self.initial_age + max(now - self.created, 0.0)


class LRUStore:
    """Entries by key, least recently used first out, bounded by the bytes they hold."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max(max_bytes // 16, 1)
        self.bytes = 0
        self.evictions = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._vary: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Entry | None:
        e = self._entries.get(key)
        if e is not None:
            self._entries.move_to_end(key)
        return e

    def put(self, key: str, entry: Entry) -> bool:
        if entry.size > self.max_entry:
            return False
        self.delete(key)
        self._entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes and self._entries:
            _, old = self._entries.popitem(last=False)
            self.bytes -= old.size
            self.evictions += 1
        return True

    def delete(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size

    def vary(self, base: str) -> tuple[str, ...]:
        return self._vary.get(base, ())

    def set_vary(self, base: str, fields: tuple[str, ...]) -> None:
        if fields:
            if len(self._vary) > 10000:
                self._vary.clear()
            self._vary[base] = fields
        else:
            self._vary.pop(base, None)

    def drop_base(self, base: str) -> None:
        """Every entry of a base key (all its Vary variants)."""
        for k in [k for k in self._entries if k.startswith(base)]:
            self.delete(k)


def _key(base: str, fields: tuple[str, ...], headers: Any) -> str:
    if not fields:
        return base
    return base + "|" + hashlib.sha256("\0".join(",".join(headers.get_all(f)) for f in fields).encode(
        "utf-8", "surrogateescape")).hexdigest()


class _Capture:
    """A ``Transform`` that passes the body on and keeps a copy up to ``limit`` bytes."""

    __slots__ = ("limit", "parts", "size", "done")

    def __init__(self, limit: int, done: Callable[[bytes], None]) -> None:
        self.limit = limit
        self.parts: list[bytes] | None = []
        self.size = 0
        self.done = done

    def feed(self, data: bytes) -> bytes:
        if self.parts is not None:
            self.size += len(data)
            if self.size > self.limit:
                self.parts = None
            else:
                self.parts.append(data)
        return data

    def flush(self) -> bytes:
        if self.parts is not None:
            self.done(b"".join(self.parts))
            self.parts = None
        return b""


class Cache:
    __slots__ = ("store", "ttl", "error_ttl", "swr", "stale_if_error", "key_headers", "rfc", "clock")

    def __init__(self, store: LRUStore, ttl: float, error_ttl: float, swr: float, stale_if_error: float,
                 key_headers: tuple[str, ...], rfc: bool, clock: Callable[[], float]) -> None:
        self.store = store
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.swr = swr
        self.stale_if_error = stale_if_error
        self.key_headers = key_headers
        self.rfc = rfc
        self.clock = clock

    # --- request -------------------------------------------------------------------------------

    def _base(self, ctx: FilterContext) -> str:
        r = ctx.request
        parts = [ctx.route_id, r.host.lower(), r.path, r.query]
        parts += [",".join(r.headers.get_all(h)) for h in self.key_headers]
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        base = self._base(ctx)
        key = _key(base, self.store.vary(base), req.headers)
        bag = ctx.state_bag
        bag[_BAG + "base"] = base
        bag[_BAG + "key"] = key
        if req.method in _UNSAFE or req.method not in ("GET", "HEAD"):
            return
        d = directives(req.headers.get("cache-control"))
        if "no-store" in d:
            bag[_BAG + "no-store"] = True
            return
        now = self.clock()
        entry = self.store.get(key)
        if "only-if-cached" in d:
            if entry is None or entry.age(now) >= entry.ttl:
                self._serve(ctx, Response(504, Headers([("x-cache-status", "X-Cache-Status", "MISS")]), b""))
            else:
                self._serve_entry(ctx, entry, now, "HIT")
            return
        if "no-cache" in d or d.get("max-age") == 0 or entry is None:
            return
        age = entry.age(now)
        if age < entry.ttl:
            min_fresh = d.get("min-fresh", -1)
            if min_fresh >= 0 and entry.ttl - age < min_fresh:
                return
            self._serve_entry(ctx, entry, now, "HIT")
            return
        stale_for = age - entry.ttl
        max_stale = d.get("max-stale")
        if entry.must_revalidate or (max_stale is not None and 0 <= max_stale < stale_for):
            return
        if stale_for < entry.swr and entry.refreshing > now - _REFRESH_WINDOW:
            self._serve_entry(ctx, entry, now, "STALE")
            return
        if stale_for < entry.swr:
            entry.refreshing = now  # this request refreshes the entry; others get it stale meanwhile

    def _serve(self, ctx: FilterContext, resp: Response) -> None:
        ctx.state_bag[_BAG + "served"] = True
        ctx.serve(resp)

    def _serve_entry(self, ctx: FilterContext, entry: Entry, now: float, status: str) -> None:
        h = Headers(list(entry.items))
        h.set_field("x-cache-status", "X-Cache-Status", status)
        h.set_field("age", "Age", str(int(entry.age(now))))
        req = ctx.request
        inm = req.headers.get("if-none-match")
        ims = _http_time(req.headers.get("if-modified-since"))
        lm = _http_time(entry.last_modified)
        if (inm and entry.etag and (inm.strip() == "*" or entry.etag in [t.strip() for t in inm.split(",")])) or \
                (not inm and ims is not None and lm is not None and lm <= ims):
            self._serve(ctx, Response(304, h, b""))
            return
        self._serve(ctx, Response(entry.status, h, b"" if req.method == "HEAD" else entry.body))

    # --- response ------------------------------------------------------------------------------

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        bag = ctx.state_bag
        if resp is None or bag.get(_BAG + "served") or _BAG + "key" not in bag:
            return
        req = ctx.request
        base, key = bag[_BAG + "base"], bag[_BAG + "key"]
        if req.method in _UNSAFE:
            if resp.status < 400:
                self.store.drop_base(base)
            return
        now = self.clock()
        if resp.status >= 500 and self.stale_if_error > 0:
            entry = self.store.get(key)
            if entry is not None and entry.age(now) - entry.ttl <= self.stale_if_error:
                h = Headers(list(entry.items))
                h.set_field("x-cache-status", "X-Cache-Status", "STALE")
                h.set_field("age", "Age", str(int(entry.age(now))))
                ctx.set_response_body(entry.body)
                ctx.response = Response(entry.status, h, entry.body)
                return
        resp.headers.set_field("x-cache-status", "X-Cache-Status", "MISS")
        if req.method != "GET" or bag.get(_BAG + "no-store"):
            return
        decided = self._freshness(resp, req.headers)
        if decided is None:
            entry = self.store.get(key)
            if entry is not None:
                entry.refreshing = 0.0
            return
        ttl, swr, must_revalidate, vary = decided
        if vary != self.store.vary(base):
            self.store.set_vary(base, vary)
            key = _key(base, vary, req.headers)
        items = [t for t in resp.headers.raw() if t[0] not in ("x-cache-status", "age", "transfer-encoding",
                                                                "connection", "keep-alive")]
        try:
            initial_age = float(int(resp.headers.get("age") or 0))
        except ValueError:
            initial_age = 0.0
        status = resp.status
        store, stale_if_error = self.store, self.stale_if_error

        def keep(body: bytes) -> None:
            store.put(key, Entry(status, items, body, now, ttl, swr, stale_if_error, initial_age, must_revalidate))

        if resp.stream is None:
            keep(resp.body or b"")
        else:
            ctx.wrap_response_body(_Capture(store.max_entry, keep), same_length=True)

    def _freshness(self, resp: Response, req_headers: Any) -> tuple[float, float, bool, tuple[str, ...]] | None:
        """``(ttl, swr, must_revalidate, vary)`` for a response to keep; None when not kept."""
        h = resp.headers
        vary = tuple(sorted({v.strip().lower() for line in h.get_all("vary") for v in line.split(",") if v.strip()}))
        if "*" in vary:
            return None
        if not self.rfc:
            s = resp.status
            if 200 <= s < 300:
                ttl = self.ttl
            elif s == 404 or s >= 500:
                ttl = self.error_ttl
            else:
                return None
            return (ttl, self.swr, False, vary) if ttl > 0 else None
        d = directives(h.get("cache-control"))
        if "no-store" in d or "private" in d:
            return None
        if "authorization" in req_headers and not ("public" in d or "s-maxage" in d or "must-revalidate" in d):
            return None
        swr = float(max(d.get("stale-while-revalidate", 0), 0))
        must = "must-revalidate" in d or "proxy-revalidate" in d or "no-cache" in d or "s-maxage" in d
        if d.get("s-maxage", -1) >= 0:
            ttl = float(d["s-maxage"])
        elif d.get("max-age", -1) >= 0:
            ttl = float(d["max-age"])
        elif h.get("expires") is not None:
            expires = _http_time(h.get("expires"))
            date = _http_time(h.get("date")) or time.time()
            ttl = max(expires - date, 0.0) if expires is not None else 0.0
        elif resp.status in _HEURISTIC and h.get("last-modified"):
            lm = _http_time(h.get("last-modified"))
            date = _http_time(h.get("date")) or time.time()
            ttl = min(max(date - lm, 0.0) / 10, 86400.0) if lm is not None else 0.0
        else:
            return None
        if "no-cache" in d:
            ttl = 0.0
        if ttl <= 0 and not (must and (h.get("etag") or h.get("last-modified"))):
            return None
        return ttl, swr, must, vary


class CacheSpec(Spec):
    name = names.CACHE
    summary = "caches GET responses in the worker's memory (RFC 9111 without arguments, operator TTLs with)"
    params = (Param("ttl", DURATION, "force mode: freshness of 2xx responses", optional=True),
              Param("errorTTL", DURATION, "freshness of 404 and 5xx responses", optional=True),
              Param("swrWindow", DURATION, "stale-while-revalidate window after that", optional=True),
              Param("staleIfError", STRING, "how long a stale entry may replace a 5xx", optional=True),
              Param("keyHeaders", STRING, "comma-separated request headers folded into the key", optional=True))

    def __init__(self, store: LRUStore | None = None, clock: Callable[[], float] = time.time) -> None:
        self.store = store if store is not None else LRUStore()
        self.clock = clock

    def make(self, args: tuple[Arg, ...]) -> Any:
        if len(args) not in (0, 3, 4, 5):
            raise InvalidArguments(self.name, f"expects no arguments or 3 to 5 (ttl, errorTTL, swrWindow"
                                   f"[, staleIfError[, keyHeaders]]), got {len(args)}")
        if not args:
            return Cache(self.store, 0.0, 0.0, 0.0, 0.0, (), True, self.clock)
        ttl = filter_duration(self.name, args[0], "ttl")
        error_ttl = filter_duration(self.name, args[1], "errorTTL")
        swr = filter_duration(self.name, args[2], "swrWindow")
        stale_if_error = 0.0
        if len(args) >= 4:
            try:
                stale_if_error = parse_go_duration(str(args[3]))
            except ValueError as e:
                raise InvalidArguments(self.name, f"staleIfError: {e}") from None
        key_headers: tuple[str, ...] = ()
        if len(args) == 5:
            key_headers = tuple(h.strip() for h in str(args[4]).split(",") if h.strip())
        return Cache(self.store, ttl, error_ttl, swr, stale_if_error, key_headers, False, self.clock)
