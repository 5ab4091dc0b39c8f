"""eskip parsing with a memory: the same annotation text is parsed once, not on every conversion.

The source converts the whole cluster on every change, and almost every annotation, RouteGroup
filter and default-filters text is the same as last time. Parsing is pure, so results are kept
by text (bounded, least recently used first out); a text that does not parse raises each time.
Results are tuples; callers copy what they change.
"""

from __future__ import annotations

from functools import lru_cache

from skipperd.eskip import parse, parse_filters, parse_predicates
from skipperd.eskip.route import Filter, Predicate, Route

CACHE_SIZE = 16384


@lru_cache(maxsize=CACHE_SIZE)
def filters(text: str) -> tuple[Filter, ...]:
    return tuple(parse_filters(text))


@lru_cache(maxsize=CACHE_SIZE)
def predicates(text: str) -> tuple[Predicate, ...]:
    return tuple(parse_predicates(text))


@lru_cache(maxsize=CACHE_SIZE)
def routes(text: str) -> tuple[Route, ...]:
    return tuple(parse(text))
