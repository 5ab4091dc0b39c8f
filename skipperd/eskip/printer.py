"""The eskip printer: route definitions to text that parses back to equal definitions.

The layout is Skipper's: a document is ``id: predicates -> filters -> backend;`` per route, and in
the pretty form each filter and the backend go on their own line, indented two spaces, with a
blank line between routes. A single route without an id prints as a bare route expression (the
anonymous-route document).

Round trip, ``parse(print_routes(routes)) == routes``, holds for every route the parser can
produce; anything that has no eskip form (an id or name that is not a symbol, an id-less route
among others, an LB backend without endpoints, a NaN argument) raises ``ValueError`` rather than
printing text that would not parse back. Differences from Skipper's printer, all for the round
trip: every string argument is written as a double-quoted string (there is no regexp type after
parsing), numbers are written in full without an exponent (Go's ``FormatFloat(f, 'f', -1, 64)``),
and a zone is re-attached to its LB endpoint as a ``zone`` query parameter.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Iterable, Sequence

from skipperd.eskip.parser import query_escape
from skipperd.eskip.route import Arg, Backend, BackendType, Filter, Predicate, Route

__all__ = [
    "backend_to_string",
    "filters_to_string",
    "format_number",
    "predicates_to_string",
    "print_routes",
    "quote",
    "route_to_string",
]

INDENT = "  "

_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_ESCAPES = str.maketrans(
    {"\\": "\\\\", '"': '\\"', "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
)
_SPECIAL = {
    BackendType.SHUNT: "<shunt>",
    BackendType.LOOPBACK: "<loopback>",
    BackendType.DYNAMIC: "<dynamic>",
    BackendType.FORWARD: "<forward>",
}
# A float too large for the format below parses back to infinity.
_INFINITY = "1" + "0" * 309


def print_routes(routes: Sequence[Route], *, pretty: bool = True) -> str:
    """A document holding ``routes``, ending in a newline ("" for no routes).

    ``pretty=False`` writes each route on one line.
    """
    if not routes:
        return ""
    if len(routes) == 1 and routes[0].id == "":
        return route_to_string(routes[0], pretty=pretty) + "\n"
    separator = "\n\n" if pretty else "\n"
    return separator.join(f"{_symbol(r.id, 'route id')}: {route_to_string(r, pretty=pretty)};" for r in routes) + "\n"


def route_to_string(route: Route, *, pretty: bool = False) -> str:
    """One route without its id: ``Path("/a") -> setRequestHeader("X", "y") -> "http://b"``.

    ``*`` and ``Any`` predicates are left out (a document drops them), and no predicates
    print as ``*``.
    """
    predicates = [p for p in route.predicates if p.name != "*" and p.name != "Any"]
    parts = [predicates_to_string(predicates)]
    parts.extend(_call(f.name, f.args) for f in route.filters)
    parts.append(backend_to_string(route.backend))
    return (f"\n{INDENT}-> " if pretty else " -> ").join(parts)


def predicates_to_string(predicates: Iterable[Predicate]) -> str:
    """``P1() && P2("x")``, or ``*`` for none (the predicate-list form)."""
    text = " && ".join("*" if p.name == "*" else _call(p.name, p.args) for p in predicates)
    return text or "*"


def filters_to_string(filters: Iterable[Filter]) -> str:
    """``f1() -> f2("x")``, or "" for none (the filter-list form)."""
    return " -> ".join(_call(f.name, f.args) for f in filters)


def backend_to_string(backend: Backend) -> str:
    special = _SPECIAL.get(backend.type)
    if special is not None:
        return special
    if backend.type is BackendType.NETWORK:
        return quote(backend.address)
    if not backend.endpoints:
        raise ValueError("an LB backend needs at least one endpoint")
    zones = backend.zones or ("",) * len(backend.endpoints)
    endpoints = ", ".join(quote(_with_zone(e, z)) for e, z in zip(backend.endpoints, zones))
    if backend.algorithm is None:
        return f"<{endpoints}>"
    return f"<{_symbol(backend.algorithm, 'LB algorithm')}, {endpoints}>"


def quote(s: str) -> str:
    """A double-quoted eskip string that the lexer reads back as ``s``."""
    return '"' + s.translate(_STRING_ESCAPES) + '"'


def format_number(f: float) -> str:
    """Like Go's ``strconv.FormatFloat(f, 'f', -1, 64)``: ``10``, ``0.5``, ``-3``, no exponent."""
    if math.isinf(f):
        return "-" + _INFINITY if f < 0 else _INFINITY
    if math.isnan(f):
        raise ValueError("NaN has no eskip form")
    text = repr(f)  # the shortest digits that read back as f ("-0.0" for minus zero)
    if "e" in text:
        text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _call(name: str, args: tuple[Arg, ...]) -> str:
    return f"{_symbol(name, 'name')}({', '.join(_arg(a) for a in args)})"


def _arg(a: Arg) -> str:
    if isinstance(a, str):
        return quote(a)
    return format_number(a)


def _symbol(s: str, what: str) -> str:
    if not _SYMBOL.fullmatch(s):
        raise ValueError(f"{what} {s!r} is not an eskip symbol")
    return s


def _with_zone(address: str, zone: str) -> str:
    """The endpoint as it is written in eskip, with its zone as a ``zone`` query parameter."""
    if not zone:
        return address
    base, hash_mark, fragment = address.partition("#")
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}zone={query_escape(zone)}{hash_mark}{fragment}"
