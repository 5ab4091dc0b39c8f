"""The route table's matcher: Skipper's priority rules, path tree, parameters and the host index.

The examples come from Skipper's documentation, cited per test: docs/tutorials/basics.md
"Route matching" (also docs/reference/architecture.md "Route matching"), and
docs/reference/predicates.md "The path tree", "Weight", "True", "False", "Shutdown",
"PathRegexp", "Traffic", "TrafficSegment". The path vectors are those of Skipper's
routing/tree_test.go (default trailing-slash handling and -ignore-trailing-slash).
"""

from __future__ import annotations

from typing import Any, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skipperd import names
from skipperd.eskip.route import Predicate, Route
from skipperd.http import Headers, Request
from skipperd.predicates import PredicateOptions, make_registry
from skipperd.predicates.path import CATCH_ALL, WILDCARD, clean_path, parse_pattern
from skipperd.registry import Registry
from skipperd.routing.table import RouteTable, build_table

Spec = tuple[Any, ...]


def route(rid: str, *preds: Spec) -> Route:
    return Route(rid, tuple(Predicate(p[0], tuple(p[1:])) for p in preds))


def table(routes: Sequence[Route], ignore_trailing_slash: bool = False, **options: Any) -> RouteTable:
    t, invalid = build_table(routes, make_registry(PredicateOptions(**options)), Registry(),
                             ignore_trailing_slash=ignore_trailing_slash)
    assert invalid == []
    return t


def req(path: str = "/", host: str = "example.org", method: str = "GET", headers: Sequence[tuple[str, str]] = ()) -> Request:
    return Request(method, path, Headers.from_pairs(list(headers)), host=host)


def found(t: RouteTable, request: Request) -> str | None:
    m = t.match(request)
    return None if m is None else m[0].id


def exact(*hosts: str) -> str:
    return "^(" + "|".join(h.replace(".", "[.]") + "[.]?(:[0-9]+)?" for h in hosts) + ")$"


# --- Skipper's documentation -------------------------------------------------------------------


def test_weight_section_more_predicates_win() -> None:
    """predicates.md "Weight": route2 has more priority because it has more predicates."""
    t = table([route("route1", ("Path", "/test")), route("route2", ("Path", "/test"), ("True",))])
    assert found(t, req("/test")) == "route2"


def test_weight_section_weight_beats_predicate_count() -> None:
    """predicates.md "Weight": route1 has more priority because it has more weight."""
    t = table([route("route1", ("Path", "/test"), ("Weight", 100.0)),
               route("route2", ("Path", "/test"), ("True",), ("True",))])
    assert found(t, req("/test")) == "route1"


def test_false_section_disables_a_route() -> None:
    """predicates.md "False": route2 is disabled."""
    t = table([route("route1", ("Path", "/test")), route("route2", ("Path", "/test"), ("False",))])
    assert found(t, req("/test")) == "route1"


def test_shutdown_section_health_check() -> None:
    """predicates.md "Shutdown": health_down takes over once shutting down."""
    state = {"down": False}
    t = table([route("health_up", ("Path", "/health")), route("health_down", ("Path", "/health"), ("Shutdown",))],
              shutdown=lambda: state["down"])
    assert found(t, req("/health")) == "health_up"
    state["down"] = True
    assert found(t, req("/health")) == "health_down"


def test_path_regexp_section_with_path() -> None:
    """predicates.md "PathRegexp": Path with wildcard and PathRegexp combined."""
    t = table([route("rgb", ("Path", "/colors/:name/rgb-value"),
                     ("PathRegexp", "^/colors/(red|green|blue|cyan|magenta|pink|yellow)/"))])
    m = t.match(req("/colors/red/rgb-value"))
    assert m is not None and m[1] == {"name": "red"}
    assert t.match(req("/colors/brown/rgb-value")) is None


def test_path_section_examples() -> None:
    """predicates.md "Path", Examples."""
    cases = [("/foo/bar", "/foo/bar", {}), ("/foo/bar/", "/foo/bar/", {}), ("/foo/:id", "/foo/_anything", {"id": "_anything"}),
             ("/foo/:id/baz", "/foo/_anything/baz", {"id": "_anything"}),
             ("/foo/*rest", "/foo/bar/baz", {"rest": "/bar/baz"}), ("/foo/**", "/foo/bar/baz", {"*": "/bar/baz"})]
    for pattern, path, params in cases:
        m = table([route("r", ("Path", pattern))]).match(req(path))
        assert m is not None and m[1] == params, pattern
    # "/foo/bar/" is matched by Path("/foo/bar") only with -ignore-trailing-slash
    assert table([route("r", ("Path", "/foo/bar"))]).match(req("/foo/bar/")) is None
    assert found(table([route("r", ("Path", "/foo/bar"))], ignore_trailing_slash=True), req("/foo/bar/")) == "r"


def test_path_subtree_section() -> None:
    """predicates.md "PathSubtree": the path, any sub path, the sub path as parameter "*"."""
    t = table([route("r", ("PathSubtree", "/foo/bar"))])
    assert [t.match(req(p)) and t.match(req(p))[1] for p in ("/foo/bar", "/foo/bar/", "/foo/bar/x/y")] == [  # type: ignore[index]
        {"*": "/"}, {"*": "/"}, {"*": "/x/y"}]
    assert t.match(req("/foo/barx")) is None
    t = table([route("r", ("PathSubtree", "/some/path/*rest"))])
    m = t.match(req("/some/path/a"))
    assert m is not None and m[1] == {"rest": "/a"}


def test_route_matching_tree_first_then_weight() -> None:
    """basics.md "Route matching" 1: the path tree decides first, the more specific path wins, and
    PathRegexp is not used in the tree: a root route with more predicates loses to a Path route."""
    t = table([route("specific", ("Path", "/api/users")),
               route("wildcard", ("Path", "/api/:resource"), ("True",), ("True",)),
               route("catchall", ("Path", "/api/*rest"), ("Weight", 10.0)),
               route("regexp", ("PathRegexp", "^/api/users$"), ("True",), ("True",), ("True",))])
    assert found(t, req("/api/users")) == "specific"
    assert found(t, req("/api/orders")) == "wildcard"
    assert found(t, req("/api/orders/1")) == "catchall"
    assert found(t, req("/other")) is None


def test_route_matching_same_leaf_highest_weight() -> None:
    """basics.md "Route matching" 2: routes at the same position, all matching: highest weight."""
    t = table([route("plain", ("Path", "/test")),
               route("get", ("Path", "/test"), ("Method", "GET")),
               route("get_json", ("Path", "/test"), ("Method", "GET"), ("Header", "Accept", "application/json"))])
    assert found(t, req("/test", headers=[("Accept", "application/json")])) == "get_json"
    assert found(t, req("/test")) == "get"
    assert found(t, req("/test", method="POST")) == "plain"


def test_route_matching_root_leaf() -> None:
    """basics.md "Route matching" 2: without Path or PathSubtree, routes form the root leaf,
    consulted only when the tree finds nothing."""
    t = table([route("tree", ("Path", "/x"), ("Method", "POST")),
               route("root_heavy", ("Method", "POST"), ("Weight", 50.0)),
               route("root", ("Method", "GET"))])
    assert found(t, req("/x", method="POST")) == "tree"
    assert found(t, req("/x", method="GET")) == "root"
    assert found(t, req("/y", method="POST")) == "root_heavy"


def test_route_matching_ties_by_route_id() -> None:
    """basics.md "Route matching" 3 leaves ties unspecified; skipperd picks the smaller route id."""
    routes = [route(rid, ("Path", "/t"), ("Method", "GET")) for rid in ("b", "c", "a")]
    assert found(table(routes), req("/t")) == "a"
    assert found(table(list(reversed(routes))), req("/t")) == "a"
    assert found(table([route("z"), route("y")]), req("/")) == "y"


def test_traffic_segment_section() -> None:
    """predicates.md "TrafficSegment": r50/r30/r20 split one path by one random number."""
    routes = [route("r50", ("Path", "/test"), ("TrafficSegment", 0.0, 0.5)),
              route("r30", ("Path", "/test"), ("TrafficSegment", 0.5, 0.8)),
              route("r20", ("Path", "/test"), ("TrafficSegment", 0.8, 1.0))]
    draws: list[float] = []
    t = table(routes, random=lambda: draws.pop())
    for r, expected in ((0.1, "r50"), (0.5, "r30"), (0.79, "r30"), (0.95, "r20")):
        draws.append(r)
        assert found(t, req("/test")) == expected
        assert draws == []


def test_traffic_segment_does_not_outweigh_other_predicates() -> None:
    """Skipper's conformance case traffic-segment/issue2268: a Cookie route beats TrafficSegment
    routes of the same host and path, TrafficSegment adding nothing to the weight."""
    host = exact("test.example.org")
    t = table([route("custom", ("Host", host), ("PathSubtree", "/"), ("Cookie", "foo", "^")),
               route("service_1", ("Host", host), ("PathSubtree", "/"), ("TrafficSegment", 0.0, 0.8)),
               route("service_2", ("Host", host), ("PathSubtree", "/"), ("TrafficSegment", 0.8, 1.0))],
              random=lambda: 0.9)
    assert found(t, req("/", host="test.example.org", headers=[("Cookie", "foo=bar")])) == "custom"
    assert found(t, req("/", host="test.example.org")) == "service_2"


def test_traffic_section_falls_back() -> None:
    """predicates.md "Traffic": v2 by chance, v1 takes the rest."""
    draws = [0.05, 0.5]
    t = table([route("v2", ("Traffic", 0.1)), route("v1")], random=lambda: draws.pop(0))
    assert found(t, req()) == "v2"
    assert found(t, req()) == "v1"


# --- the path tree ------------------------------------------------------------------------------

# (predicate, request path, result by default, result with -ignore-trailing-slash); a result is
# the parameters of the match, None for no match. From Skipper's routing/tree_test.go.
TREE: list[tuple[Spec, str, dict[str, str] | None, dict[str, str] | None]] = [
    (("Path", "/"), "", {}, {}),
    (("Path", "/"), "/", {}, {}),
    (("Path", "/"), "/foo", None, None),
    (("Path", "/foo"), "/foo", {}, {}),
    (("Path", "/foo"), "/foo/", None, {}),
    (("Path", "/foo"), "/", None, None),
    (("Path", "/foo/"), "/foo", None, {}),
    (("Path", "/foo/"), "/foo/", {}, {}),
    (("Path", "/foo/bar/"), "/foo/bar", None, {}),
    (("Path", "/foo/bar/"), "/foo/bar/baz", None, None),
    (("Path", "/:name1"), "/foo", {"name1": "foo"}, {"name1": "foo"}),
    (("Path", "/:name1"), "/foo/", None, {"name1": "foo"}),
    (("Path", "/:name1"), "/", None, None),
    (("Path", "/:name1/"), "/foo", None, {"name1": "foo"}),
    (("Path", "/:name1/bar"), "/foo/bar", {"name1": "foo"}, {"name1": "foo"}),
    (("Path", "/foo/:name1/baz/"), "/foo/bar/baz/", {"name1": "bar"}, {"name1": "bar"}),
    (("Path", "/:name1/:name2"), "/foo/bar", {"name1": "foo", "name2": "bar"}, {"name1": "foo", "name2": "bar"}),
    (("Path", "/:name1/:name2"), "/foo/bar/baz", None, None),
    (("Path", "/:name1/bar/:name2"), "/foo/bar/baz/", None, {"name1": "foo", "name2": "baz"}),
    (("Path", "/*name1"), "/", None, None),
    (("Path", "/*name1"), "/foo", {"name1": "/foo"}, {"name1": "/foo"}),
    (("Path", "/*name1"), "/foo/", {"name1": "/foo/"}, {"name1": "/foo"}),
    (("Path", "/*name1"), "/foo/bar/baz/", {"name1": "/foo/bar/baz/"}, {"name1": "/foo/bar/baz"}),
    (("Path", "/foo/*name1"), "/foo", None, None),
    (("Path", "/foo/*name1"), "/foo/", None, None),
    (("Path", "/foo/*name1"), "/foo/bar", {"name1": "/bar"}, {"name1": "/bar"}),
    (("Path", "/foo/*name1"), "/foo/bar/", {"name1": "/bar/"}, {"name1": "/bar"}),
    (("Path", "/foo/*"), "/foo/bar", {"*": "/bar"}, {"*": "/bar"}),
    (("PathSubtree", "/"), "/", {"*": "/"}, {"*": "/"}),
    (("PathSubtree", "/"), "/foo", {"*": "/foo"}, {"*": "/foo"}),
    (("PathSubtree", "/foo"), "/", None, None),
    (("PathSubtree", "/foo"), "/foo", {"*": "/"}, {"*": "/"}),
    (("PathSubtree", "/foo"), "/foo/", {"*": "/"}, {"*": "/"}),
    (("PathSubtree", "/foo"), "/foo/bar/", {"*": "/bar/"}, {"*": "/bar"}),
    (("PathSubtree", "/foo/"), "/foo", {"*": "/"}, {"*": "/"}),
    (("PathSubtree", "/foo/bar"), "/foo/bar/baz", {"*": "/baz"}, {"*": "/baz"}),
    (("PathSubtree", "/foo/bar"), "/foo", None, None),
    (("PathSubtree", "/:name1"), "/foo", {"name1": "foo", "*": "/"}, {"name1": "foo", "*": "/"}),
    (("PathSubtree", "/:name1"), "/foo/bar/", {"name1": "foo", "*": "/bar/"}, {"name1": "foo", "*": "/bar"}),
    (("PathSubtree", "/:name1/bar"), "/foo/bar/", {"name1": "foo", "*": "/"}, {"name1": "foo", "*": "/"}),
    (("PathSubtree", "/foo/:name1/:name2/"), "/foo/bar/baz/qux",
     {"name1": "bar", "name2": "baz", "*": "/qux"}, {"name1": "bar", "name2": "baz", "*": "/qux"}),
    (("PathSubtree", "/*name1"), "/", {"name1": "/"}, {"name1": "/"}),
    (("PathSubtree", "/*name1"), "/foo/bar/", {"name1": "/foo/bar/"}, {"name1": "/foo/bar"}),
    (("PathSubtree", "/foo/*name1"), "/foo", {"name1": "/"}, {"name1": "/"}),
    (("PathSubtree", "/foo/*name1"), "/foo/bar/baz", {"name1": "/bar/baz"}, {"name1": "/bar/baz"}),
]


@pytest.mark.parametrize("pred,path,default,ignoring", TREE, ids=[f"{p}-{path!r}" for p, path, _, _ in TREE])
def test_tree(pred: Spec, path: str, default: dict[str, str] | None, ignoring: dict[str, str] | None) -> None:
    for ignore, expected in ((False, default), (True, ignoring)):
        m = table([route("route1", pred)], ignore_trailing_slash=ignore).match(req(path))
        assert (None if m is None else m[1]) == expected, f"ignore_trailing_slash={ignore}"


def test_request_path_is_cleaned_but_path_regexp_sees_the_slash() -> None:
    t = table([route("slash", ("Path", "/a/b"), ("PathRegexp", "/$")), route("plain", ("Path", "/a/b"))],
              ignore_trailing_slash=True)
    assert found(t, req("/a/b/")) == "slash"
    assert found(t, req("//a/./b")) == "plain"


def test_static_before_wildcard_before_catch_all() -> None:
    t = table([route("catch", ("Path", "/a/*rest")), route("wild", ("Path", "/a/:x")), route("static", ("Path", "/a/b"))])
    assert found(t, req("/a/b")) == "static"
    assert found(t, req("/a/c")) == "wild"
    assert found(t, req("/a/b/c")) == "catch"


def test_backtracking_when_all_routes_of_a_node_fail() -> None:
    t = table([route("static_post", ("Path", "/a/b/c"), ("Method", "POST")),
               route("wild", ("Path", "/a/:x/c")),
               route("catch_put", ("Path", "/a/*rest"), ("Method", "PUT")),
               route("subtree", ("PathSubtree", "/"))])
    assert found(t, req("/a/b/c", method="POST")) == "static_post"
    m = t.match(req("/a/b/c", method="GET"))
    assert m is not None and (m[0].id, m[1]) == ("wild", {"x": "b"})
    assert found(t, req("/a/b/d", method="PUT")) == "catch_put"
    m = t.match(req("/a/b/d", method="GET"))
    assert m is not None and (m[0].id, m[1]) == ("subtree", {"*": "/a/b/d"})


def test_wildcard_values_are_not_kept_from_a_failed_branch() -> None:
    t = table([route("deep", ("Path", "/:a/:b/x"), ("Method", "POST")), route("shallow", ("Path", "/:a/*rest"))])
    m = t.match(req("/p/q/x"))
    assert m is not None and m[1] == {"a": "p", "rest": "/q/x"}


def test_path_subtree_and_free_wildcard_share_a_node() -> None:
    t = table([route("subtree", ("PathSubtree", "/foo"), ("True",)), route("free", ("Path", "/foo/*rest"))])
    assert found(t, req("/foo/bar")) == "subtree"
    assert found(t, req("/foo")) == "subtree"


def test_routes_with_different_wildcard_names_share_a_node() -> None:
    """Skipper's TestMatcherWithPathConflict."""
    t = table([route("testRoute0", ("Path", "/api/:one/name"), ("Method", "GET")),
               route("testRoute1", ("Path", "/api/:two/name"), ("Method", "POST"))])
    m0, m1 = t.match(req("/api/a/name")), t.match(req("/api/a/name", method="POST"))
    assert m0 is not None and (m0[0].id, m0[1]) == ("testRoute0", {"one": "a"})
    assert m1 is not None and (m1[0].id, m1[1]) == ("testRoute1", {"two": "a"})


def test_params_are_a_fresh_dict_per_match() -> None:
    t = table([route("r", ("Path", "/x"))])
    a, b = t.match(req("/x")), t.match(req("/x"))
    assert a is not None and b is not None and a[1] is not b[1]


# --- host index ---------------------------------------------------------------------------------


def test_exact_host_is_consumed_by_the_index() -> None:
    t = table([route("r", ("Host", exact("a.org")), ("Path", "/"), ("Method", "GET"))])
    (r,) = t.routes
    assert r.hosts == ("a.org",)
    assert [type(p).__name__ for p in r.predicates] == ["MethodPredicate"]
    assert found(t, req("/", host="a.org:8080")) == "r"
    assert found(t, req("/", host="A.org")) is None  # the regexp is case-sensitive, so is the index


def test_host_any_keeps_its_exact_comparison() -> None:
    t = table([route("r", ("HostAny", "a.org", "b.org:9090"))])
    assert t.routes[0].hosts == ("a.org", "b.org")
    assert found(t, req(host="a.org")) == "r"
    assert found(t, req(host="b.org:9090")) == "r"
    assert found(t, req(host="a.org:80")) is None
    assert found(t, req(host="b.org")) is None


def test_host_tree_and_generic_tree_merge_by_priority() -> None:
    t = table([route("host", ("Host", exact("a.org")), ("Path", "/x")),
               route("generic_heavy", ("Path", "/x"), ("True",), ("True",)),
               route("generic_wild", ("Path", "/:p")),
               route("host_root", ("Host", exact("a.org"))),
               route("generic_root", ("Method", "GET"))])
    assert found(t, req("/x", host="a.org")) == "generic_heavy"
    assert found(t, req("/y", host="a.org")) == "generic_wild"
    assert found(t, req("/y/z", host="a.org")) == "generic_root"  # both score 1: id order
    assert found(t, req("/y/z", host="a.org", method="POST")) == "host_root"


def test_routes_of_other_hosts_are_not_evaluated() -> None:
    calls: list[str] = []

    class Probe:
        name = "Probe"

        def create(self, args: tuple[Any, ...]) -> Any:
            tag = str(args[0])

            class Instance:
                def match(self, request: Request) -> bool:
                    calls.append(tag)
                    return True
            return Instance()

    registry = make_registry()
    registry.register(Probe())  # type: ignore[arg-type]
    routes = [route(f"r{i}", ("Host", exact(f"h{i}.org")), ("Path", "/x"), ("Probe", f"h{i}")) for i in range(200)]
    t, _ = build_table(routes, registry, Registry())
    assert found(t, req("/x", host="h150.org")) == "r150"
    assert calls == ["h150"]


def test_other_host_regexps_work_as_regexps() -> None:
    t = table([route("suffix", ("Host", r"\.example\.org$")),
               route("wildcard", ("Host", "^([a-z0-9]+(-[a-z0-9]+)?[.]example[.]org[.]?(:[0-9]+)?)$"), ("True",)),
               route("dot", ("Host", "^(a[.]org[.][.]?(:[0-9]+)?)$"))])
    assert all(r.hosts == () for r in t.routes)
    assert found(t, req(host="my-app.example.org")) == "wildcard"
    assert found(t, req(host="x.y.example.org")) == "suffix"
    assert found(t, req(host="a.org.")) == "dot"
    assert found(t, req(host="a.org")) is None


def test_multi_host_regexp_is_indexed_under_each_host() -> None:
    t = table([route("both", ("Host", exact("example.org", "myapp.example.org")))])
    assert t.routes[0].hosts == ("example.org", "myapp.example.org")
    assert found(t, req(host="myapp.example.org:443")) == "both"
    assert found(t, req(host="example.org")) == "both"
    assert found(t, req(host="other.example.org")) is None


def test_anchored_literal_host_is_indexed_and_compared_exactly() -> None:
    t = table([route("brackets", ("Host", "^a[.]org$"), ("Path", "/x")),
               route("escaped", ("Host", r"^b\.org$"), ("Path", "/x")),
               route("dot", ("Host", "^c[.]org[.]$"))])
    assert [r.hosts for r in t.routes] == [("a.org",), ("b.org",), ("c.org",)]
    assert all(len(r.predicates) == 1 for r in t.routes[:2])  # still compared per request
    assert found(t, req("/x", host="a.org")) == "brackets"
    assert found(t, req("/x", host="b.org")) == "escaped"
    assert found(t, req(host="c.org.")) == "dot"
    # What the regexps do not match either: a port, a trailing dot, another case, a longer host.
    for host in ("a.org:80", "a.org.", "A.org", "xa.org", "c.org", "c.org.:80"):
        assert found(t, req("/x", host=host)) is None, host
        assert found(t, req("/", host=host)) is None, host


# --- the index against a naive reference ------------------------------------------------------


def _priority(r: Route) -> int:
    score = 0
    for p in r.predicates:
        if p.name == names.WEIGHT:
            score += int(p.args[0])
        elif p.name not in (names.PATH, names.PATH_SUBTREE, names.ANY, names.TRAFFIC_SEGMENT):
            score += 1
    return score


def _placements(p: Predicate, ignore: bool) -> list[tuple[tuple[str, ...], bool]]:
    """Where Skipper's tree holds a route: (segments, free wildcard) per the predicates.md rules."""
    pat = parse_pattern(p.name, str(p.args[0]), p.name == names.PATH_SUBTREE)
    segs = pat.segments
    if pat.subtree:
        exact_at = [segs or ("",)] + ([segs + ("",)] if segs and not ignore else [])
        return [(s, False) for s in exact_at] + [(segs, True)]
    if ignore and len(segs) > 1 and segs[-1] == "":
        segs = segs[:-1]
    return [(segs[:-1], True)] if segs[-1] == CATCH_ALL else [(segs, False)]


def _place(segs: tuple[str, ...], free: bool, path: list[str]) -> tuple[tuple[int, ...], list[str], str | None] | None:
    """Static 0 < wildcard 1 < free wildcard 2, position by position: the tree's search order."""
    k, n = len(segs), len(path)
    if free and (n <= k or "/".join(path[k:]) == "") or not free and n != k:
        return None
    key, vals = [], []
    for s, v in zip(segs, path):
        if s == WILDCARD and v:
            key.append(1)
            vals.append(v)
        elif s == v:
            key.append(0)
        else:
            return None
    if free:
        return tuple(key) + (2,), vals, "/".join(path[k:])
    return tuple(key), vals, None


def reference(routes: Sequence[Route], request: Request, ignore: bool) -> tuple[str, dict[str, str]] | None:
    """Linear: every route, every predicate evaluated as written, Host regexps included."""
    reg = make_registry()
    path = clean_path(request.path)
    if ignore and len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    segs = path[1:].split("/")

    def others_match(r: Route) -> bool:
        return all(reg.get(p.name).create(p.args).match(request)  # type: ignore[union-attr]
                   for p in r.predicates if p.name not in (names.PATH, names.PATH_SUBTREE))

    candidates = []
    roots = []
    for r in routes:
        tree = [p for p in r.predicates if p.name in (names.PATH, names.PATH_SUBTREE)]
        if not tree:
            roots.append(r)
            continue
        pat = parse_pattern(tree[0].name, str(tree[0].args[0]), tree[0].name == names.PATH_SUBTREE)
        for segs_p, free in _placements(tree[0], ignore):
            placed = _place(segs_p, free, segs)
            if placed is not None:
                key, vals, rest = placed
                params = {n: v for n, v in zip(pat.names, vals) if n is not None}
                if pat.rest is not None:
                    params[pat.rest] = "/" + (rest or "")
                candidates.append(((key, -_priority(r), r.id), r, params))
    for _, r, params in sorted(candidates, key=lambda c: c[0]):
        if others_match(r):
            return r.id, params
    for r in sorted(roots, key=lambda r: (-_priority(r), r.id)):
        if others_match(r):
            return r.id, {}
    return None


HOST_PREDICATES: list[Spec | None] = [
    None, None,
    ("Host", exact("a.org")), ("Host", exact("b.org")), ("Host", exact("a.org", "c.example.org")),
    ("Host", r"^a\.org$"), ("Host", "^b[.]org[.]$"), ("Host", "org"), ("Host", "^(a[.]org[.][.]?(:[0-9]+)?)$"),
    ("HostAny", "a.org"), ("HostAny", "b.org:8080", "c.example.org"),
]
PATH_PREDICATES: list[Spec | None] = [
    None, ("Path", "/"), ("Path", "/a"), ("Path", "/a/"), ("Path", "/a/b"), ("Path", "/a/:x"), ("Path", "/:x/b"),
    ("Path", "/a/*rest"), ("Path", "/*all"), ("Path", "/a/:x/c"), ("Path", "/:x/:y/"),
    ("PathSubtree", "/"), ("PathSubtree", "/a"), ("PathSubtree", "/a/:x"), ("PathSubtree", "/b/*r"),
]
OTHER_PREDICATES: list[Spec] = [
    ("Method", "GET"), ("Method", "POST"), ("Header", "X-T", "1"), ("True",), ("Weight", 2.0), ("Weight", 0.0),
    ("False",), ("PathRegexp", "^/a"), ("Any",), ("Host", exact("b.org")),
]
REQUEST_HOSTS = ["a.org", "a.org:8080", "a.org.", "A.org", "b.org", "b.org:8080", "b.org.", "c.example.org", "x.org", ""]
REQUEST_PATHS = ["/", "/a", "/a/", "/a/b", "/a/b/", "/a/x/c", "/b", "/b/", "/b/c", "/a/b/c/d", "/x/b",
                 "//a", "/a/./b", "/q", "/x/y/"]

route_specs = st.tuples(st.sampled_from(HOST_PREDICATES), st.sampled_from(PATH_PREDICATES),
                        st.lists(st.sampled_from(OTHER_PREDICATES), max_size=3))
requests = st.builds(lambda h, p, m, hdr: req(p, host=h, method=m, headers=[("X-T", "1")] if hdr else []),
                     st.sampled_from(REQUEST_HOSTS), st.sampled_from(REQUEST_PATHS),
                     st.sampled_from(["GET", "POST"]), st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(route_specs, min_size=1, max_size=25), st.randoms(use_true_random=False),
       st.lists(requests, min_size=1, max_size=15), st.booleans())
def test_indexed_table_agrees_with_linear_reference(specs: list[tuple[Spec | None, Spec | None, list[Spec]]],
                                                    rnd: Any, reqs: list[Request], ignore: bool) -> None:
    ids = [f"r{i:02d}" for i in range(len(specs))]
    rnd.shuffle(ids)  # definition order differs from id order
    routes = [route(rid, *[p for p in (h, path) if p is not None], *others)
              for rid, (h, path, others) in zip(ids, specs)]
    t = table(routes, ignore_trailing_slash=ignore)
    for r in reqs:
        m = t.match(r)
        got = None if m is None else (m[0].id, m[1])
        assert got == reference(routes, r, ignore), (r.host, r.path, r.method)
