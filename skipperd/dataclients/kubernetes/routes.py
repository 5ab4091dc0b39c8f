"""Routes while they are being built, with Skipper's legacy route fields.

Skipper's ``eskip.Route`` keeps ``Path``, ``Host``, ``PathRegexp``, ``Method``, ``Header`` and
``HeaderRegexp`` in fields of their own when a route comes from ``eskip.Parse``, and the
converter depends on that: an Ingress path replaces the ``PathRegexp`` of a
``zalando.org/skipper-routes`` route, a route counts as a host's catch-all by its path regexps,
a redirect route keeps its ``X-Forwarded-Proto`` header apart. ``Draft`` models that route,
mutable while the converter works on it; ``freeze()`` gives the plain definition, where every
one of those fields is a predicate again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from skipperd.eskip.route import Backend, BackendType, Filter, Predicate, Route


@dataclass(slots=True)
class Draft:
    id: str = ""
    path: str = ""
    host_regexps: list[str] = field(default_factory=list)
    path_regexps: list[str] = field(default_factory=list)
    method: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    header_regexps: dict[str, list[str]] = field(default_factory=dict)
    predicates: list[Predicate] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    backend_type: BackendType = BackendType.SHUNT
    backend: str = ""
    lb_algorithm: str = ""
    lb_endpoints: list[tuple[str, str]] = field(default_factory=list)  # (address, zone)
    shunt: bool = False  # Skipper's legacy ``Shunt`` flag: a parsed <shunt> stays shunt as a network backend

    def copy(self) -> Draft:
        return Draft(
            id=self.id,
            path=self.path,
            host_regexps=list(self.host_regexps),
            path_regexps=list(self.path_regexps),
            method=self.method,
            headers=dict(self.headers),
            header_regexps={k: list(v) for k, v in self.header_regexps.items()},
            predicates=list(self.predicates),
            filters=list(self.filters),
            backend_type=self.backend_type,
            backend=self.backend,
            lb_algorithm=self.lb_algorithm,
            lb_endpoints=list(self.lb_endpoints),
            shunt=self.shunt,
        )

    def canonical_predicates(self) -> list[Predicate]:
        """Every condition as a predicate (Skipper's ``eskip.Canonical``)."""
        out: list[Predicate] = []
        if self.path and not any(p.name == "Path" for p in self.predicates):
            out.append(Predicate("Path", (self.path,)))
        out.extend(Predicate("Host", (h,)) for h in self.host_regexps)
        out.extend(Predicate("PathRegexp", (p,)) for p in self.path_regexps)
        if self.method:
            out.append(Predicate("Method", (self.method,)))
        out.extend(Predicate("Header", (k, v)) for k, v in self.headers.items())
        for k, vs in self.header_regexps.items():
            out.extend(Predicate("HeaderRegexp", (k, v)) for v in vs)
        out.extend(self.predicates)
        return out

    def freeze(self) -> Route:
        return Route(
            id=self.id,
            predicates=tuple(self.canonical_predicates()),
            filters=tuple(self.filters),
            backend=self._backend(),
        )

    def _backend(self) -> Backend:
        t = self.backend_type
        if t is BackendType.NETWORK and self.shunt:
            return Backend(BackendType.SHUNT)
        if t is BackendType.NETWORK:
            return Backend(t, address=self.backend)
        if t is BackendType.LB:
            zones = tuple(z for _, z in self.lb_endpoints)
            return Backend(
                t,
                algorithm=self.lb_algorithm or None,
                endpoints=tuple(a for a, _ in self.lb_endpoints),
                zones=zones if any(zones) else (),
            )
        return Backend(t)

    def set_shunt(self) -> None:
        self.backend_type = BackendType.SHUNT
        self.backend = ""


def draft_from_route(route: Route) -> Draft:
    """A parsed eskip route with the legacy predicates moved to their fields, as ``eskip.Parse`` does.

    The parser has already refused what Skipper refuses here (two Path or Method predicates, a
    Header predicate repeated for one name, wrong argument counts).
    """
    d = Draft(id=route.id)
    for p in route.predicates:
        a = p.args
        if p.name == "Path" and len(a) == 1 and isinstance(a[0], str):
            d.path = a[0]
        elif p.name == "Host" and len(a) == 1 and isinstance(a[0], str):
            d.host_regexps.append(a[0])
        elif p.name == "PathRegexp" and len(a) == 1 and isinstance(a[0], str):
            d.path_regexps.append(a[0])
        elif p.name == "Method" and len(a) == 1 and isinstance(a[0], str):
            d.method = a[0]
        elif p.name == "Header" and len(a) == 2 and isinstance(a[0], str) and isinstance(a[1], str):
            d.headers[a[0]] = a[1]
        elif p.name == "HeaderRegexp" and len(a) == 2 and isinstance(a[0], str) and isinstance(a[1], str):
            d.header_regexps.setdefault(a[0], []).append(a[1])
        elif p.name in ("*", "Any") and not a:
            continue
        else:
            d.predicates.append(p)
    d.filters = list(route.filters)
    b = route.backend
    d.backend_type = b.type
    d.shunt = b.type is BackendType.SHUNT
    d.backend = b.address
    d.lb_algorithm = b.algorithm or ""
    zones = b.zones or ("",) * len(b.endpoints)
    d.lb_endpoints = list(zip(b.endpoints, zones))
    return d


def host_rx(*hosts: str) -> str:
    """Skipper's host regexp for a list of hosts: dots literal, an optional trailing dot and port."""
    if not hosts:
        return ""
    return "^(" + "|".join(h.replace(".", "[.]") + "[.]?(:[0-9]+)?" for h in hosts) + ")$"


_NON_WORD = re.compile("[^0-9A-Za-z_]")  # a fixed ASCII class: the same in Python's re and Go's RE2


def non_word_to_underscore(s: str) -> str:
    """Go's ``\\W`` replaced by ``_``: every character but ASCII letters, digits and ``_``."""
    return _NON_WORD.sub("_", s)


def lb_endpoints(addresses: list[str]) -> list[tuple[str, str]]:
    return [(a, "") for a in addresses]


class Built:
    """A finished route of one object: the draft the cluster-level steps read, and its definition.

    Neither changes once built, so the ``Route`` can be handed out again, the same object, by
    every conversion that reuses this object's conversion; ``twins`` keeps the east-west copies
    made of it by their arguments.
    """

    __slots__ = ("draft", "route", "twins")

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.route = draft.freeze()
        self.twins: dict[tuple[str, str, str], Built | None] = {}
