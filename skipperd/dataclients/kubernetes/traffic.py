"""Splitting traffic between weighted backends (Skipper's traffic.go and traffic_segment.go).

``traffic-predicate``: each backend but the last with weight gets ``Traffic(w / remaining)``
and as many ``True()`` as there are backends after it minus one, so that earlier routes win
ties. ``traffic-segment-predicate``: each backend gets ``TrafficSegment(lo, hi)``, its share of
[0, 1). A backend with no share gets no route; one with all of it gets no predicate.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from skipperd.dataclients.kubernetes.routes import Draft
from skipperd.eskip.route import Predicate

TRAFFIC_PREDICATE = "traffic-predicate"
TRAFFIC_SEGMENT_PREDICATE = "traffic-segment-predicate"


class BackendTraffic(Protocol):
    def allowed(self) -> bool: ...

    def apply(self, route: Draft) -> None: ...


class _TrafficPredicate:
    __slots__ = ("value", "balance")

    def __init__(self) -> None:
        self.value = 0.0
        self.balance = 0

    def allowed(self) -> bool:
        return self.value > 0

    def apply(self, route: Draft) -> None:
        if self.value == 1.0:
            return
        route.predicates.append(Predicate("Traffic", (self.value,)))
        route.predicates.extend(Predicate("True") for _ in range(self.balance))


class _TrafficSegment:
    __slots__ = ("lo", "hi")

    def __init__(self) -> None:
        self.lo = 0.0
        self.hi = 0.0

    def allowed(self) -> bool:
        return self.lo != self.hi

    def apply(self, route: Draft) -> None:
        if self.lo == 0 and self.hi == 1:
            return
        route.predicates.append(Predicate("TrafficSegment", (self.lo, self.hi)))


class _Allowed:
    """The traffic of a backend that no calculation named: Go's nil interface would panic; allow all."""

    def allowed(self) -> bool:
        return True

    def apply(self, route: Draft) -> None:
        return None


ALL_TRAFFIC: BackendTraffic = _Allowed()

Weighted = Sequence[tuple[str, float]]  # (backend name, weight)


def calculate(algorithm: str, backends: Weighted) -> dict[str, BackendTraffic]:
    if algorithm == TRAFFIC_SEGMENT_PREDICATE:
        return _segments(backends)
    return _traffic_predicates(backends)


def _traffic_predicates(backends: Weighted) -> dict[str, BackendTraffic]:
    weights = [w for _, w in backends]
    total = sum(weights)
    if total == 0:
        total = float(len(weights))
        weights = [1.0] * len(weights)
    last_with_weight = 0
    for i, w in enumerate(weights):
        if w > 0:
            last_with_weight = i
    out: dict[str, BackendTraffic] = {}
    for i, (name, _) in enumerate(backends):
        t = _TrafficPredicate()
        out[name] = t
        if i == last_with_weight:
            t.value = 1.0
        elif weights[i] == 0:
            t.value = 0.0
        else:
            t.value = weights[i] / total
        total -= weights[i]
        t.balance = len(backends) - i - 2
    return out


def _segments(backends: Weighted) -> dict[str, BackendTraffic]:
    segs: dict[str, _TrafficSegment] = {}
    total = 0.0
    for name, w in backends:
        if name in segs:
            continue  # duplicate backends are ignored
        s = _TrafficSegment()
        segs[name] = s
        s.lo = total
        total += w
        s.hi = total
    if total == 0:
        for name, _ in backends:
            s = segs[name]
            s.lo = total
            total += 1
            s.hi = total
    for s in segs.values():
        s.lo /= total
        s.hi /= total
    return dict(segs)
