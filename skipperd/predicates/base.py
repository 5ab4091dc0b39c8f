"""The predicate spec interface (Skipper's ``routing.PredicateSpec``).

A spec has a ``name`` and ``create(args)``, which validates the arguments (raising
``InvalidArguments``) and returns an instance. Instances are built once per route, shared by
every request, and hold no request state. ``match(request)`` must be cheap: it runs per request.

Path, PathSubtree and Host-in-exact-form are consumed by the matcher's indexes, so their
instances are not asked to ``match`` when the index already decided.

Optional instance attributes the routing table reads (plain class or instance attributes):

``score: int``
    what the predicate adds to its route's priority score; 1 when absent (Skipper counts one
    per predicate). Weight(n) adds n, TrafficSegment and Any add 0.
``always: bool``
    true when ``match`` always returns true (True, Weight, Any): not evaluated per request.
``pattern: PathPattern``
    on Path and PathSubtree instances: where the route goes in the path tree.
``index_hosts: tuple[str, ...]`` and ``index_exact: bool``
    normalised hosts (``predicates.host.normalize_host``) outside of which the predicate cannot
    match; with ``index_exact`` it matches exactly for those hosts and the host index replaces
    it, otherwise the index only narrows the candidates and ``match`` still runs.
"""

from __future__ import annotations

from typing import Protocol

from skipperd.eskip.route import Arg
from skipperd.http.request import Request


class PredicateInstance(Protocol):
    def match(self, request: Request) -> bool: ...


class PredicateSpec(Protocol):
    name: str

    def create(self, args: tuple[Arg, ...]) -> PredicateInstance: ...


def score_of(instance: PredicateInstance) -> int:
    return int(getattr(instance, "score", 1))


def always_matches(instance: PredicateInstance) -> bool:
    return getattr(instance, "always", False) is True
