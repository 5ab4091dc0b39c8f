"""Built-in predicates: specs that validate their arguments and create per-route instances.

A predicate decides whether a route may take a request. Specs follow Skipper's semantics and
argument checks (docs/reference/predicates.md upstream); ``base`` has the interface and the
optional attributes the routing table reads (priority score, host index, path pattern).

Modules: ``path`` (Path, PathSubtree, PathRegexp), ``host`` (Host, HostAny), ``http`` (Method,
Methods, Header, HeaderRegexp, Cookie, QueryParam, ContentLengthBetween), ``network`` (Source,
SourceFromLast, ClientIP), ``interval`` (After, Before, Between), ``cron`` (Cron), ``traffic``
(Traffic, TrafficSegment), ``misc`` (Weight, True, False, Shutdown, Any), ``forwarded``
(ForwardedHost, ForwardedProtocol), ``auth`` (HeaderSHA256, JWTPayloadAnyKV, JWTPayloadAllKV and
their Regexp forms), ``tee`` (Tee), ``otel`` (OTelBaggage). Each spec declares its arguments
(``params``, ``skipperd.params``) and a ``summary``, from which the reference is generated. Regular expressions
are RE2 translated to ``re`` once, at create time (``regexp``).

``make_registry(options)`` builds a fresh registry; nothing registers itself on import. What a
predicate needs from the process (the shutdown flag, the clock, the random source) comes in
through ``PredicateOptions``, so tests inject their own.
"""

from __future__ import annotations

import random as _random
import time as _time
from dataclasses import dataclass, field
from typing import Callable

from skipperd.predicates.auth import (
    HeaderSHA256Spec, JWTPayloadAllKVRegexpSpec, JWTPayloadAllKVSpec, JWTPayloadAnyKVRegexpSpec,
    JWTPayloadAnyKVSpec,
)
from skipperd.predicates.base import PredicateInstance, PredicateSpec
from skipperd.predicates.cron import CronSpec
from skipperd.predicates.forwarded import ForwardedHostSpec, ForwardedProtocolSpec
from skipperd.predicates.host import HostAnySpec, HostSpec
from skipperd.predicates.http import (
    ContentLengthBetweenSpec, CookieSpec, HeaderRegexpSpec, HeaderSpec, MethodSpec, MethodsSpec,
    QueryParamSpec,
)
from skipperd.predicates.interval import AfterSpec, BeforeSpec, BetweenSpec
from skipperd.predicates.misc import AnySpec, FalseSpec, ShutdownSpec, TrueSpec, WeightSpec
from skipperd.predicates.network import ClientIPSpec, SourceFromLastSpec, SourceSpec
from skipperd.predicates.otel import OTelBaggageSpec
from skipperd.predicates.path import PathRegexpSpec, PathSpec, PathSubtreeSpec
from skipperd.predicates.tee import TeeSpec
from skipperd.predicates.traffic import TrafficSegmentSpec, TrafficSpec
from skipperd.registry import Registry


def _not_shutting_down() -> bool:
    return False


@dataclass(frozen=True, slots=True)
class PredicateOptions:
    """What predicates take from the process: ``shutdown()`` is true once draining has begun
    (the Shutdown predicate), ``clock()`` is Unix seconds (After, Before, Between, Cron),
    ``random()`` is uniform in [0, 1) (Traffic, TrafficSegment). ``reverse_source``
    (``-reverse-source-predicate``): Source takes the last X-Forwarded-For entry, as SourceFromLast."""

    shutdown: Callable[[], bool] = field(default=_not_shutting_down)
    clock: Callable[[], float] = field(default=_time.time)
    random: Callable[[], float] = field(default=_random.random)
    reverse_source: bool = False


def make_registry(options: PredicateOptions | None = None) -> Registry[PredicateSpec]:
    """A fresh registry with every built-in predicate spec."""
    o = options or PredicateOptions()
    specs: list[PredicateSpec] = [
        PathSpec(), PathSubtreeSpec(), PathRegexpSpec(),
        HostSpec(), HostAnySpec(),
        MethodSpec(), MethodsSpec(), HeaderSpec(), HeaderRegexpSpec(), CookieSpec(), QueryParamSpec(),
        ContentLengthBetweenSpec(),
        SourceSpec(o.reverse_source), SourceFromLastSpec(), ClientIPSpec(),
        AfterSpec(o.clock), BeforeSpec(o.clock), BetweenSpec(o.clock), CronSpec(o.clock),
        TrafficSpec(o.random), TrafficSegmentSpec(o.random),
        WeightSpec(), TrueSpec(), FalseSpec(), ShutdownSpec(o.shutdown), AnySpec(),
        ForwardedHostSpec(), ForwardedProtocolSpec(),
        HeaderSHA256Spec(), JWTPayloadAnyKVSpec(), JWTPayloadAllKVSpec(), JWTPayloadAnyKVRegexpSpec(),
        JWTPayloadAllKVRegexpSpec(),
        TeeSpec(), OTelBaggageSpec(),
    ]
    return Registry(specs)


__all__ = ["PredicateInstance", "PredicateOptions", "PredicateSpec", "make_registry"]
