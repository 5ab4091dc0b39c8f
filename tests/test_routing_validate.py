"""routing.compile.validate and build_table: an invalid route is dropped alone, with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Backend, BackendType, Filter, Predicate, Route
from skipperd.http import FilterContext, Headers, Request
from skipperd.predicates import make_registry
from skipperd.registry import Registry
from skipperd.routing.cache import SpecCache
from skipperd.routing.compile import InvalidRouteReport, validate
from skipperd.routing.route import EndpointKey, RuntimeBackend
from skipperd.routing.table import build_table


class Recorder:
    """A filter instance with both phases that logs what ran."""

    def __init__(self, tag: str, log: list[str]) -> None:
        self.tag, self.log = tag, log

    def request(self, ctx: FilterContext) -> None:
        self.log.append(f"req {self.tag}")

    def response(self, ctx: FilterContext) -> None:
        self.log.append(f"resp {self.tag}")


class RequestOnly:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def request(self, ctx: FilterContext) -> None:
        self.log.append("req only")


class Spec:
    def __init__(self, name: str, make: Any, cacheable: bool = True) -> None:
        self.name, self.make, self.cacheable = name, make, cacheable
        self.created = 0

    def create(self, args: tuple[Any, ...]) -> Any:
        self.created += 1
        return self.make(args)


LOG: list[str] = []


def reject(args: tuple[Any, ...]) -> Any:
    if args:
        raise InvalidArguments("strict", "takes no arguments")
    return RequestOnly(LOG)


def broken(args: tuple[Any, ...]) -> Any:
    raise RuntimeError("bug in the spec")


def filters() -> Registry[Any]:
    return Registry([
        Spec("rec", lambda a: Recorder(str(a[0]), LOG)),
        Spec("reqOnly", lambda a: RequestOnly(LOG)),
        Spec("strict", reject),
        Spec("broken", broken),
        Spec("stateful", lambda a: Recorder("s", LOG), cacheable=False),
    ])


def r(rid: str, *preds: tuple[Any, ...], filters: tuple[Filter, ...] = (), backend: Backend | None = None) -> Route:
    return Route(rid, tuple(Predicate(p[0], tuple(p[1:])) for p in preds), filters,
                 backend or Backend(BackendType.SHUNT))


def lb(*endpoints: str, algorithm: str | None = None, zones: tuple[str, ...] = ()) -> Backend:
    return Backend(BackendType.LB, algorithm=algorithm, endpoints=endpoints, zones=zones)


def net(address: str) -> Backend:
    return Backend(BackendType.NETWORK, address=address)


INVALID: list[tuple[Route, str]] = [
    (r("unknown_predicate", ("Nope",)), "predicate not found: 'Nope'"),
    (r("bad_args", ("Path", "/a/*b/c")), "invalid arguments to predicate Path: free wildcard param should be last"),
    (r("bad_regexp", ("Host", "(")), "invalid arguments to predicate Host: invalid regular expression"),
    (r("two_paths", ("Path", "/a"), ("PathSubtree", "/b")), "more than one tree predicate (Path, PathSubtree)"),
    (r("two_subtrees", ("PathSubtree", "/a"), ("PathSubtree", "/b")), "more than one tree predicate"),
    (r("unknown_filter", filters=(Filter("nope"),)), "filter not found: 'nope'"),
    (r("predicate_as_filter", filters=(Filter("Path", ("/",)),)), "'Path' is a predicate, not a filter"),
    (r("filter_args", filters=(Filter("strict", ("x",)),)), "invalid arguments to filter strict: takes no arguments"),
    (r("faulty_spec", filters=(Filter("broken"),)), "failed to create filter broken: RuntimeError('bug in the spec')"),
    (r("bad_scheme", backend=net("ftp://example.org")), "invalid backend: invalid URL 'ftp://example.org': the scheme"),
    (r("no_scheme", backend=net("example.org:80")), "invalid backend: invalid URL"),
    (r("no_host", backend=net("http://")), "missing host"),
    (r("bad_port", backend=net("http://example.org:99999")), "invalid backend: invalid URL"),
    (r("lb_empty", backend=lb()), "load-balanced backend without endpoints"),
    (r("lb_algorithm", backend=lb("http://10.0.0.1:80", algorithm="leastBusy")),
     "unknown load-balancing algorithm 'leastBusy'"),
    (r("lb_mixed", backend=lb("http://10.0.0.1", "https://10.0.0.2")), "mixes http and https"),
    (r("lb_bad_endpoint", backend=lb("http://10.0.0.1", "10.0.0.2:80")), "invalid URL '10.0.0.2:80'"),
    (r("lb_zones", backend=lb("http://10.0.0.1", "http://10.0.0.2", zones=("a",))), "zone list"),
]


@pytest.mark.parametrize("bad,reason", INVALID, ids=[b.id for b, _ in INVALID])
def test_invalid_route_is_dropped_alone(bad: Route, reason: str) -> None:
    good = [r("before", ("Path", "/a")), r("after", ("Path", "/b"), filters=(Filter("rec", ("x",)),))]
    valid, reports = validate([good[0], bad, good[1]], make_registry(), filters())
    assert [v.id for v in valid] == ["before", "after"]
    assert len(reports) == 1 and reports[0].route_id == bad.id
    assert reason in reports[0].reason

    t, table_reports = build_table([good[0], bad, good[1]], make_registry(), filters())
    assert [x.id for x in t.routes] == ["before", "after"] and table_reports == reports


def test_valid_backends() -> None:
    routes = [
        r("net", backend=net("https://Example.ORG/ignored/path")),
        r("net_port", backend=net("http://[::1]:8080")),
        r("lb", backend=lb("http://10.0.0.1:8080", "http://10.0.0.2", zones=("z1", ""))),
        r("lb_algo", backend=lb("https://10.0.0.1", algorithm="powerOfRandomNChoices")),
        r("shunt"), r("loop", backend=Backend(BackendType.LOOPBACK)), r("dyn", backend=Backend(BackendType.DYNAMIC)),
    ]
    t, reports = build_table(routes, make_registry(), filters())
    assert reports == []
    b = {x.id: x.backend for x in t.routes}
    assert (b["net"].scheme, b["net"].host, b["net"].port) == ("https", "example.org", 443)
    assert b["net"].endpoints[0].key == EndpointKey("https", "example.org", 443)
    assert (b["net_port"].host, b["net_port"].port) == ("::1", 8080)
    assert [(e.host, e.port, e.zone) for e in b["lb"].endpoints] == [("10.0.0.1", 8080, "z1"), ("10.0.0.2", 80, "")]
    assert b["lb"].algorithm == "roundRobin" and b["lb"].host == ""
    assert b["lb_algo"].algorithm == "powerOfRandomNChoices" and b["lb_algo"].endpoints[0].port == 443
    assert b["shunt"].type is BackendType.SHUNT and b["shunt"].endpoints == ()
    assert b["loop"].key != b["dyn"].key


def test_backend_key_is_shared_by_equal_backends() -> None:
    one = RuntimeBackend.compile(lb("http://10.0.0.1:80", "http://10.0.0.2:80"))
    two = RuntimeBackend.compile(lb("http://10.0.0.1", "http://10.0.0.2", algorithm="roundRobin"))
    assert one.key == two.key and hash(one.key) == hash(two.key)
    assert one.key != RuntimeBackend.compile(lb("http://10.0.0.1", "http://10.0.0.2", algorithm="random")).key


def test_duplicate_ids_last_definition_wins() -> None:
    routes = [r("dup", ("Path", "/first")), r("other"), r("dup", ("Path", "/second")), r("dup", ("Path", "/third"))]
    valid, reports = validate(routes, make_registry(), filters())
    assert [(v.id, v.predicates[0].args[0] if v.predicates else None) for v in valid] == [("other", None), ("dup", "/third")]
    assert reports == [InvalidRouteReport("dup", "duplicate route id, superseded by a later definition")] * 2


def test_a_later_invalid_duplicate_still_wins() -> None:
    """The rule is positional: the last definition is the one that counts, valid or not."""
    valid, reports = validate([r("dup"), r("dup", ("Nope",))], make_registry(), filters())
    assert valid == []
    assert [rep.reason for rep in reports] == ["duplicate route id, superseded by a later definition",
                                              "predicate not found: 'Nope'"]


def test_filter_phases_in_order() -> None:
    LOG.clear()
    route = r("f", filters=(Filter("rec", ("a",)), Filter("reqOnly"), Filter("rec", ("b",))))
    t, _ = build_table([route], make_registry(), filters())
    (rt,) = t.routes
    assert len(rt.filters) == 3 and len(rt.request_filters) == 3 and len(rt.response_filters) == 2
    ctx = FilterContext(Request("GET", "/", Headers()), {})
    for phase in rt.request_filters:
        phase(ctx)
    for phase in rt.response_filters:
        phase(ctx)
    assert LOG == ["req a", "req only", "req b", "resp b", "resp a"]


def test_priority_counts_predicates_and_weight() -> None:
    route = r("p", ("Path", "/"), ("Method", "GET"), ("Weight", 5.0), ("True",), ("TrafficSegment", 0.0, 1.0), ("Any",))
    t, _ = build_table([route], make_registry(), filters())
    rt = t.routes[0]
    assert rt.priority == 1 + 5 + 1 + 0 + 0
    assert [type(p).__name__ for p in rt.predicates] == ["MethodPredicate", "TrafficSegmentPredicate"]


def test_spec_cache_shares_instances_across_routes_and_rebuilds() -> None:
    specs = filters()
    rec = specs.get("rec")
    assert isinstance(rec, Spec)
    preds = make_registry()
    cache = SpecCache()
    routes = [r(f"r{i}", ("Method", "GET"), filters=(Filter("rec", ("same",)),)) for i in range(3)]
    t1, _ = build_table(routes, preds, specs, cache)
    assert rec.created == 1
    assert len({id(x.filters[0]) for x in t1.routes}) == 1
    assert len({id(x.predicates[0]) for x in t1.routes}) == 1
    assert len({id(x.backend) for x in t1.routes}) == 1

    t2, _ = build_table(routes + [r("new", filters=(Filter("rec", ("other",)),))], preds, specs, cache)
    assert rec.created == 2
    assert t2.routes[0].filters[0] is t1.routes[0].filters[0]

    build_table([r("only")], preds, specs, cache)  # nothing of the earlier tables is used: pruned
    assert len(cache) == 1
    build_table(routes, preds, specs, cache)
    assert rec.created == 3

    build_table(routes, make_registry(), specs, cache)  # other registries: the cache starts over
    assert rec.created == 4


def test_uncacheable_specs_create_per_route() -> None:
    specs = filters()
    stateful = specs.get("stateful")
    assert isinstance(stateful, Spec)
    t, _ = build_table([r(f"r{i}", filters=(Filter("stateful"),)) for i in range(3)], make_registry(), specs, SpecCache())
    assert stateful.created == 3
    assert len({id(x.filters[0]) for x in t.routes}) == 3


def test_table_lookup_helpers() -> None:
    t, _ = build_table([r("a", ("Path", "/a")), r("b")], make_registry(), filters())
    assert len(t) == 2 and [x.id for x in t] == ["a", "b"]
    assert t.get("a") is t.routes[0] and t.get("zzz") is None
    assert t.routes[0].definition.id == "a"


def test_empty_table_matches_nothing() -> None:
    t, reports = build_table([], make_registry(), filters())
    assert len(t) == 0 and reports == []
    assert t.match(Request("GET", "/", Headers(), host="x")) is None
