"""cache(): the store's bounds and the freshness rules (RFC 9111 and force mode), without sockets."""

from __future__ import annotations

import pytest

from skipperd.errors import InvalidArguments
from skipperd.filters.cache import CacheSpec, Entry, LRUStore, directives
from skipperd.http.headers import Headers
from skipperd.http.response import Response


def entry(size: int, ttl: float = 10.0) -> Entry:
    return Entry(200, [], b"x" * size, 0.0, ttl, 0.0, 0.0, 0.0, False)


def test_store_is_bounded_and_evicts_least_recently_used() -> None:
    s = LRUStore(16 * 1000)
    for i in range(100):
        assert s.put(f"k{i}", entry(500))
        if i == 5:
            s.get("k0")  # used: kept longer
    assert s.bytes <= 16 * 1000
    assert s.get("k99") is not None and s.get("k1") is None
    assert s.evictions > 0
    assert not s.put("big", entry(2000)), "an entry over a sixteenth of the budget is not kept"
    s.delete("k99")
    assert s.get("k99") is None


@pytest.mark.parametrize("value,expected", [
    ("max-age=60, public", {"max-age": 60, "public": -1}),
    ('no-cache, s-maxage="30"', {"no-cache": -1, "s-maxage": 30}),
    ("max-age=abc", {"max-age": -1}),
    ("", {}), (None, {}),
])
def test_directives(value: str | None, expected: dict[str, int]) -> None:
    assert directives(value) == expected


def fresh(rfc_args: tuple[object, ...], status: int, headers: list[tuple[str, str]],
          req: list[tuple[str, str]] | None = None) -> object:
    c = CacheSpec().create(rfc_args)  # type: ignore[arg-type]
    return c._freshness(Response(status, Headers.from_pairs(headers)), Headers.from_pairs(req or []))


@pytest.mark.parametrize("status,headers,req,expected", [
    (200, [("Cache-Control", "max-age=60")], [], (60.0, 0.0, False, ())),
    (200, [("Cache-Control", "s-maxage=30, max-age=60")], [], (30.0, 0.0, True, ())),
    (200, [("Cache-Control", "max-age=60, stale-while-revalidate=5")], [], (60.0, 5.0, False, ())),
    (200, [("Cache-Control", "no-store")], [], None),
    (200, [("Cache-Control", "private, max-age=60")], [], None),
    (200, [("Cache-Control", "max-age=60"), ("Vary", "*")], [], None),
    (200, [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding, X-A")], [], (60.0, 0.0, False, ("accept-encoding", "x-a"))),
    (200, [], [], None),
    (200, [("Date", "Mon, 30 Nov 2026 00:00:00 GMT"), ("Expires", "Mon, 30 Nov 2026 00:01:40 GMT")], [], (100.0, 0.0, False, ())),
    (200, [("Date", "Mon, 30 Nov 2026 00:00:00 GMT"), ("Last-Modified", "Sun, 29 Nov 2026 00:00:00 GMT")], [],
     (8640.0, 0.0, False, ())),
    (302, [("Date", "Mon, 30 Nov 2026 00:00:00 GMT"), ("Last-Modified", "Sun, 29 Nov 2026 00:00:00 GMT")], [], None),
    (200, [("Cache-Control", "max-age=60")], [("Authorization", "Bearer x")], None),
    (200, [("Cache-Control", "public, max-age=60")], [("Authorization", "Bearer x")], (60.0, 0.0, False, ())),
])
def test_rfc_mode_freshness(status: int, headers: list[tuple[str, str]], req: list[tuple[str, str]],
                            expected: object) -> None:
    assert fresh((), status, headers, req) == expected


@pytest.mark.parametrize("status,expected", [(200, 300.0), (204, 300.0), (404, 15.0), (503, 15.0), (301, None),
                                             (400, None)])
def test_force_mode_ttls_ignore_the_backend(status: int, expected: float | None) -> None:
    got = fresh(("5m", "15s", "30s"), status, [("Cache-Control", "no-store, private")])
    assert (got[0] if got else None) == expected  # type: ignore[index]


@pytest.mark.parametrize("args", [("5m",), ("5m", "15s"), ("x", "15s", "30s"), ("5m", "15s", "30s", 60.0),
                                  ("5m", "15s", "30s", "1x"), ("5m", "15s", "30s", "0s", 1.0),
                                  ("5m", "15s", "30s", "0s", "X", "extra"), ("-5m", "15s", "30s")])
def test_argument_errors(args: tuple[object, ...]) -> None:
    with pytest.raises(InvalidArguments):
        CacheSpec().create(args)  # type: ignore[arg-type]
