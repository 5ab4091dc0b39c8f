"""The Kubernetes converter, piece by piece: ids, host regexps, traffic splits, endpoint selection,
validation messages, options as the fixture format reads them, and what happens to malformed
objects. The whole-route behaviour is covered by the fixture families under tests/kubernetes."""

from __future__ import annotations

from typing import Any

import pytest

from skipperd.conformance.kubernetes_fixtures import compare_routes, read_kube_options
from skipperd.dataclients.kubernetes import ClusterState, KubeOptions, LogEntry, convert
from skipperd.dataclients.kubernetes.definitions import parse_routegroup, validate_routegroup
from skipperd.dataclients.kubernetes.ingress import route_id
from skipperd.dataclients.kubernetes.model import go_quote
from skipperd.dataclients.kubernetes.routegroup import rg_route_id, to_symbol
from skipperd.dataclients.kubernetes.routes import Draft, host_rx
from skipperd.dataclients.kubernetes.state import filter_by_zone
from skipperd.dataclients.kubernetes.traffic import calculate
from skipperd.eskip import parse
from skipperd.eskip.route import BackendType, Predicate


# --- names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    (("ns", "name", "example.org", "/foo", "svc"), "kube_ns__name__example_org___foo__svc"),
    (("", "catchall", "a.b", "", ""), "kube___catchall__a_b____"),
    (("my-ns", "ing.v1", "ü.org", "/a/b", "s-1"), "kube_my_ns__ing_v1____org___a_b__s_1"),
])
def test_ingress_route_ids(args: tuple[str, str, str, str, str], expected: str) -> None:
    assert route_id(*args) == expected


def test_routegroup_ids_replace_each_utf8_byte() -> None:
    assert to_symbol("a-b.c_D9") == "a_b_c_D9"
    assert to_symbol("ü") == "__"  # two bytes in UTF-8
    assert rg_route_id("ns", "rg", "get", 1, 2, False) == "kube_rg__ns__rg__get__1_2"
    assert rg_route_id("ns", "rg", "all", 0, 0, True) == "kube_rg__internal_ns__rg__all__0_0"


def test_host_regexps() -> None:
    assert host_rx() == ""
    assert host_rx("a.example.org") == "^(a[.]example[.]org[.]?(:[0-9]+)?)$"
    assert host_rx("a.org", "b.org") == "^(a[.]org[.]?(:[0-9]+)?|b[.]org[.]?(:[0-9]+)?)$"


# --- traffic ------------------------------------------------------------------------------------

def _applied(algorithm: str, backends: list[tuple[str, float]]) -> dict[str, tuple[bool, list[Predicate]]]:
    out = {}
    for name, t in calculate(algorithm, backends).items():
        d = Draft()
        t.apply(d)
        out[name] = (t.allowed(), d.predicates)
    return out


T = Predicate("True")


@pytest.mark.parametrize("backends, expected", [
    # Skipper's doc example: each share relative to what is left, True() to keep the order
    ([("a", 0.1), ("b", 0.2), ("c", 0.3), ("d", 0.4)],
     {"a": (True, [Predicate("Traffic", (0.1,)), T, T]),
      "b": (True, [Predicate("Traffic", (0.2 / 0.9,)), T]),
      "c": (True, [Predicate("Traffic", (0.3 / (0.3 + 0.4),))]),
      "d": (True, [])}),
    # no weights: even split
    ([("a", 0), ("b", 0)], {"a": (True, [Predicate("Traffic", (0.5,))]), "b": (True, [])}),
    # a zero weight gets no route; the last with weight takes the rest
    ([("a", 0), ("b", 30), ("c", 0)],
     {"a": (False, [Predicate("Traffic", (0.0,)), T]), "b": (True, []), "c": (False, [Predicate("Traffic", (0.0,))])}),
    ([("a", 100)], {"a": (True, [])}),
])
def test_traffic_predicate_split(backends: list[tuple[str, float]],
                                 expected: dict[str, tuple[bool, list[Predicate]]]) -> None:
    assert _applied("traffic-predicate", backends) == expected


@pytest.mark.parametrize("backends, expected", [
    ([("a", 1), ("b", 3)], {"a": (True, [Predicate("TrafficSegment", (0.0, 0.25))]),
                            "b": (True, [Predicate("TrafficSegment", (0.25, 1.0))])}),
    ([("a", 0), ("b", 0)], {"a": (True, [Predicate("TrafficSegment", (0.0, 0.5))]),
                            "b": (True, [Predicate("TrafficSegment", (0.5, 1.0))])}),
    ([("a", 0), ("b", 5)], {"a": (False, [Predicate("TrafficSegment", (0.0, 0.0))]), "b": (True, [])}),
    ([("a", 2), ("a", 2)], {"a": (True, [])}),  # a duplicate backend is ignored
])
def test_traffic_segment_split(backends: list[tuple[str, float]],
                               expected: dict[str, tuple[bool, list[Predicate]]]) -> None:
    assert _applied("traffic-segment-predicate", backends) == expected


def test_zone_filter_needs_three_endpoints_in_the_zone() -> None:
    two = [("a", "z1"), ("b", "z1"), ("c", "z2")]
    three = two + [("d", "z1")]
    assert filter_by_zone("z1", two) == two
    assert filter_by_zone("z1", three) == [("a", "z1"), ("b", "z1"), ("d", "z1")]
    assert filter_by_zone("", three) == three


# --- logs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("entry, text", [
    (LogEntry("error", "plain"), "level=error msg=plain"),
    (LogEntry("info", "two words", (("ns", "default"), ("kind", "Ingress"), ("name", "a b"))),
     'level=info msg="two words" kind=Ingress name="a b" ns=default'),
    (LogEntry("error", 'say "hi"\nbye'), r'level=error msg="say \"hi\"\nbye"'),
    (LogEntry("warning", "", (("error", ""),)), "level=warning msg= error="),
])
def test_log_entries_in_logrus_text_form(entry: LogEntry, text: str) -> None:
    assert str(entry) == text


def test_go_quote() -> None:
    assert go_quote('a"b\\c\t') == '"a\\"b\\\\c\\t"'
    assert go_quote("\x01") == '"\\x01"'


# --- options as .kube files give them ----------------------------------------------------------

def test_kube_options_keep_raw_strings_and_resolve_args() -> None:
    o = read_kube_options("""
kubernetes-ingresses-label-selector: {enabled: true, tier: 1}
eastWestRangePredicatesAppend:
- name: True
  args: []
kubernetesAnnotationPredicates:
- key: zalando.org/traffic
  value: true
  predicates:
  - name: Traffic
    args: ["10", 10.0]
httpsRedirect: yes
httpsRedirectCode: 301
backend-traffic-algorithm: traffic-segment-predicate
unknown-key: ignored
""")
    assert o.ingress_label_selector == {"enabled": "true", "tier": "1"}
    assert o.east_west_range_predicates == (Predicate("True"),)
    ap = o.annotation_predicates[0]
    assert (ap.key, ap.value) == ("zalando.org/traffic", "true")
    assert ap.predicates == (Predicate("Traffic", ("10", 10.0)),)
    assert isinstance(ap.predicates[0].args[0], str) and isinstance(ap.predicates[0].args[1], float)
    assert o.https_redirect and o.https_redirect_code == 301
    assert o.backend_traffic_algorithm == "traffic-segment-predicate"


def test_comparison_keeps_argument_types() -> None:
    a = parse('r: Traffic("10") -> <shunt>')
    b = parse("r: Traffic(10) -> <shunt>")
    assert compare_routes(a, a) is None
    assert compare_routes(a, b) is not None
    c = parse('r: Host("x") && Path("/") -> <shunt>')
    d = parse('r: Path("/") && Host("x") -> <shunt>')
    assert compare_routes(c, d) is None  # predicate order carries no meaning


# --- RouteGroup validation ----------------------------------------------------------------------

def _rg(spec: dict[str, Any] | None, name: str = "rg") -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": {"name": name, "namespace": "ns"}}
    if spec is not None:
        obj["spec"] = spec
    return obj


SVC_BACKEND = {"name": "b", "type": "service", "serviceName": "s", "servicePort": 80}


@pytest.mark.parametrize("obj, message", [
    ({"spec": {}}, "route group without name"),
    (_rg(None), "error in route group ns/rg: route group without spec"),
    (_rg({}), "error in route group ns/rg: route group without backend"),
    (_rg({"backends": [SVC_BACKEND, SVC_BACKEND]}), "error in route group ns/rg: backends with duplicate name: b"),
    (_rg({"backends": [{"name": "b", "type": "magic"}]}),
     "error in route group ns/rg: invalid backend: b, unsupported backend type: magic"),
    (_rg({"backends": [{"name": "b", "type": "lb", "algorithm": "fastest", "endpoints": ["http://a"]}]}),
     "error in route group ns/rg: invalid backend: b, unsupported algorithm"),
    (_rg({"backends": [{"name": "b", "type": "service", "serviceName": "s", "servicePort": 70000}]}),
     "error in route group ns/rg: invalid backend: b, invalid service port in backend: b, 70000"),
    (_rg({"backends": [{"name": "b", "type": "network"}]}),
     "error in route group ns/rg: invalid backend: b, address missing in backend: b"),
    (_rg({"backends": [SVC_BACKEND]}), "error in route group ns/rg: missing backend reference"),
    (_rg({"backends": [SVC_BACKEND], "defaultBackends": [{"backendName": "x"}]}),
     "error in route group ns/rg: invalid backend reference: x"),
    (_rg({"backends": [SVC_BACKEND], "defaultBackends": [{"backendName": "b", "weight": -1}]}),
     "error in route group ns/rg: invalid weight in backend: b, -1"),
    (_rg({"backends": [SVC_BACKEND], "defaultBackends": [{"backendName": "b"}],
          "routes": [{"path": "/a", "pathSubtree": "/b"}]}),
     "error in route group ns/rg: invalid route at 0, path and path subtree in the same route"),
    (_rg({"backends": [SVC_BACKEND], "defaultBackends": [{"backendName": "b"}],
          "routes": [{"filters": ["a() -> b()"], "predicates": ["", "Method(\"GET\")"]}], "hosts": ["h", "h"]}),
     'single filter expected at "a() -> b()"\nsingle predicate expected at ""\nduplicate host "h"'),
    (_rg({"backends": [{"name": "n", "type": "network", "address": "http://x/path"}],
          "defaultBackends": [{"backendName": "n"}]}),
     'backend address "http://x/path" does not match scheme://host format'),
])
def test_routegroup_validation_messages(obj: dict[str, Any], message: str) -> None:
    assert validate_routegroup(parse_routegroup(obj)) == message


def test_valid_routegroup_has_no_error() -> None:
    rg = _rg({"backends": [SVC_BACKEND], "defaultBackends": [{"backendName": "b"}], "hosts": ["a.org"]})
    assert validate_routegroup(parse_routegroup(rg)) is None


# --- whole conversions on raw lists ---------------------------------------------------------------

def _ingress(name: str, ns: str = "default", labels: dict[str, str] | None = None, host: str = "a.org",
             annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}, "annotations": annotations or {}},
        "spec": {"rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "svc", "port": {"number": 80}}}}]}}]},
    }


SERVICE = {"metadata": {"name": "svc", "namespace": "default"},
           "spec": {"type": "ClusterIP", "ports": [{"port": 80, "targetPort": 8080}]}}
ENDPOINTS = {"metadata": {"name": "svc", "namespace": "default"},
             "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 8080}]}]}


def test_label_selector_applies_to_a_raw_list() -> None:
    state = ClusterState(ingresses=(_ingress("on", labels={"team": "a"}, host="on.org"),
                                    _ingress("off", labels={"team": "b"}, host="off.org")),
                         services=(SERVICE,), endpoints=(ENDPOINTS,))
    got = convert(state, KubeOptions(ingress_label_selector={"team": "a"}))
    assert [r.id for r in got.routes] == ["kube_default__on__on_org_____svc"]
    assert got.routes[0].backend.address == "http://10.0.0.1:8080"
    assert {r.id for r in convert(state, KubeOptions()).routes} == {
        "kube_default__on__on_org_____svc", "kube_default__off__off_org_____svc"}
    # a service outside the selector is not there: no route for it, and the object says why
    got = convert(state, KubeOptions(services_label_selector={"team": "a"}))
    assert got.routes == ()
    assert str(got.log[0]) == 'level=error msg="Failed to get service svc, 80" kind=Ingress name=off ns=default'
    # endpoints outside their selector: the route answers 502 "no endpoints"
    got = convert(state, KubeOptions(ingress_label_selector={"team": "a"}, endpoints_label_selector={"x": ""}))
    assert got.routes[0].backend.type is BackendType.SHUNT
    assert [f.name for f in got.routes[0].filters] == ["status", "inlineContent"]


def test_ingress_class_from_annotation_and_class_name() -> None:
    a = _ingress("a", host="a.org", annotations={"kubernetes.io/ingress.class": "other"})
    b = _ingress("b", host="b.org")
    b["spec"]["ingressClassName"] = "skipper-internal"
    c = _ingress("c", host="c.org", annotations={"kubernetes.io/ingress.class": ""})
    state = ClusterState(ingresses=(a, b, c), services=(SERVICE,), endpoints=(ENDPOINTS,))
    ids = {r.id.split("__")[1] for r in convert(state, KubeOptions()).routes}
    assert ids == {"b", "c"}  # "skipper" matches unanchored
    ids = {r.id.split("__")[1] for r in convert(state, KubeOptions(ingress_class="^other$")).routes}
    assert ids == {"a", "c"}


def test_malformed_objects_are_skipped_with_a_log_line_and_the_rest_converts() -> None:
    bad_annotations = _ingress("bad", host="bad.org")
    bad_annotations["metadata"]["annotations"] = ["not", "a", "map"]
    no_spec = {"metadata": {"name": "nospec", "namespace": "default"}}
    bad_service = {"metadata": {"name": "x", "namespace": "default"}, "spec": {"ports": "80"}}
    state = ClusterState(ingresses=(bad_annotations, no_spec, _ingress("good")),
                         services=(SERVICE, bad_service, {"metadata": {"name": "y"}}), endpoints=(ENDPOINTS,))
    got = convert(state, KubeOptions())
    assert [r.id for r in got.routes] == ["kube_default__good__a_org_____svc"]
    text = "\n".join(str(e) for e in got.log)
    assert "Invalid service resource detected." in text
    assert "invalid ingress item" in text


def test_the_first_route_of_an_id_wins_and_a_different_one_is_logged() -> None:
    one = _ingress("same", host="a.org")
    two = _ingress("same", host="a.org")
    two["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "Exact"
    got = convert(ClusterState(ingresses=(one, two), services=(SERVICE,), endpoints=(ENDPOINTS,)), KubeOptions())
    assert len(got.routes) == 1
    assert got.routes[0].predicates[-1] == Predicate("PathSubtree", ("/",))
    assert any("Ignoring route with the same id" in e.message for e in got.log)


def test_routegroups_are_skipped_when_the_cluster_has_none() -> None:
    rg = _rg({"backends": [{"name": "s", "type": "shunt"}], "defaultBackends": [{"backendName": "s"}],
              "hosts": ["rg.org"]})
    state = ClusterState(routegroups=(rg,))
    assert [r.id for r in convert(state, KubeOptions()).routes] == ["kube_rg__ns__rg__all__0_0"]
    assert convert(ClusterState(routegroups=(rg,), routegroups_available=False), KubeOptions()).routes == ()


def test_endpointslices_merge_ready_endpoints_and_drop_terminating_ones() -> None:
    def eps(name: str, endpoints: list[dict[str, Any]]) -> dict[str, Any]:
        return {"metadata": {"name": name, "namespace": "default", "labels": {"kubernetes.io/service-name": "svc"}},
                "endpoints": endpoints, "ports": [{"port": 8080, "protocol": "TCP"}]}

    slices = (
        eps("s1", [{"addresses": ["10.0.0.1"], "zone": "z"}, {"addresses": ["10.0.0.2"]},
                   {"addresses": ["10.0.0.3"], "conditions": {"ready": False}}]),
        eps("s2", [{"addresses": ["10.0.0.2"], "conditions": {"terminating": True}},
                   {"addresses": ["10.0.0.4"], "conditions": {"ready": True}}]),
    )
    got = convert(ClusterState(ingresses=(_ingress("a"),), services=(SERVICE,), endpointslices=slices),
                  KubeOptions(enable_endpointslices=True))
    backend = got.routes[0].backend
    assert backend.type is BackendType.LB
    assert backend.endpoints == ("http://10.0.0.1:8080", "http://10.0.0.4:8080")
    assert backend.zones == ("z", "")


# --- options from skipperd's settings ------------------------------------------------------------

def test_options_from_flags() -> None:
    from skipperd import config

    s = config.load(["-kubernetes-path-mode=path-prefix", "-kubernetes-namespace=team",
                     "-whitelisted-healthcheck-cidr=100.64.0.0/10,198.18.0.0/15",
                     "-kubernetes-https-redirect-code=301", "-reverse-source-predicate"])
    o = KubeOptions.from_settings(s, {"svc.team": "setPath(\"/\")"})
    assert (o.path_mode, o.namespace, o.https_redirect_code) == ("path-prefix", "team", 301)
    assert o.whitelisted_healthcheck_cidrs == ("100.64.0.0/10", "198.18.0.0/15")
    assert o.provide_healthcheck and o.https_redirect and o.reverse_source_predicate  # Skipper's defaults
    assert (o.ingress_class, o.routegroup_class) == ("skipper", "skipper")
    assert o.default_filters == {"svc.team": "setPath(\"/\")"}
    got = convert(ClusterState(), o)
    assert [r.id for r in got.routes] == ["kube__healthz_up", "kube__healthz_down", "kube__redirect"]
    assert got.routes[0].predicates[1].name == "SourceFromLast"


def test_annotation_flags_and_their_errors() -> None:
    from types import SimpleNamespace

    from skipperd.errors import ConfigError

    s = SimpleNamespace(kubernetes_annotation_predicates=("zone=a=Foo() && Bar()",),
                        kubernetes_annotation_filters_append=("zone=a=foo() -> bar()",),
                        kubernetes_east_west_range_predicates='ClientIP("10.2.0.0/16")')
    o = KubeOptions.from_settings(s)
    assert o.annotation_predicates[0].predicates == (Predicate("Foo"), Predicate("Bar"))
    assert [f.name for f in o.annotation_filters_append[0].filters] == ["foo", "bar"]
    assert o.east_west_range_predicates == (Predicate("ClientIP", ("10.2.0.0/16",)),)
    for bad, text in [
        (SimpleNamespace(kubernetes_annotation_predicates=("zone",)), "failed to get annotation key"),
        (SimpleNamespace(kubernetes_annotation_predicates=("zone=a",)), "failed to get annotation value"),
        (SimpleNamespace(kubernetes_annotation_predicates=("z=a=Foo(", )), "invalid annotation flag value"),
        (SimpleNamespace(kubernetes_annotation_filters_append=("z=a=f()", "z=a=g()")), "duplicate annotation"),
        (SimpleNamespace(kubernetes_path_mode="path-suffix"), "invalid path mode string"),
        (SimpleNamespace(kubernetes_backend_traffic_algorithm="coin"), "invalid backend traffic algorithm"),
        (SimpleNamespace(kubernetes_ingress_class="(("), "invalid regular expression"),
    ]:
        with pytest.raises(ConfigError, match=text):
            KubeOptions.from_settings(bad)


# --- Go's url.Parse, as RouteGroup validation and the external-name allow list see addresses ------

@pytest.mark.parametrize("raw, scheme, host, hostname, path, query", [
    ("http://example.com", "http", "example.com", "example.com", "", ""),
    ("HTTPS://user:pw@example.com:8443/a?b=c#f", "https", "example.com:8443", "example.com", "/a", "b=c"),
    ("http://[::1]:80", "http", "[::1]:80", "::1", "", ""),
    ("mailto:someone", "mailto", "", "", "", ""),
    ("example.com/foo", "", "", "", "example.com/foo", ""),
    ("http://user@", "http", "", "", "", ""),
])
def test_go_url_parse(raw: str, scheme: str, host: str, hostname: str, path: str, query: str) -> None:
    from skipperd.dataclients.kubernetes import gourl

    u = gourl.parse(raw)
    assert (u.scheme, u.host, u.hostname, u.path, u.raw_query) == (scheme, host, hostname, path, query)


@pytest.mark.parametrize("raw, message", [
    ("http://example.com:abc", 'parse "http://example.com:abc": invalid port ":abc" after host'),
    ("http://a b.com", 'parse "http://a b.com": invalid character " " in host name'),
    ("http://example.com/%zz", 'parse "http://example.com/%zz": invalid URL escape "%zz"'),
    (":foo", 'parse ":foo": missing protocol scheme'),
    ("1a:b", 'parse "1a:b": first path segment in URL cannot contain colon'),
    ("http://x\n", 'parse "http://x\\n": net/url: invalid control character in URL'),
    ("http://[::1", 'parse "http://[::1": missing \']\' in host'),
])
def test_go_url_parse_errors(raw: str, message: str) -> None:
    from skipperd.dataclients.kubernetes import gourl

    with pytest.raises(gourl.URLError) as e:
        gourl.parse(raw)
    assert str(e.value) == message


def test_network_backend_addresses_in_validation() -> None:
    def rg(address: str) -> dict[str, Any]:
        return _rg({"backends": [{"name": "n", "type": "network", "address": address}],
                    "defaultBackends": [{"backendName": "n"}]})

    assert validate_routegroup(parse_routegroup(rg("https://api.example.com:8443"))) is None
    assert validate_routegroup(parse_routegroup(rg("http://user@"))) == \
        'backend address "http://user@" does not match scheme://host format'
    assert validate_routegroup(parse_routegroup(rg("http://h:x"))) == \
        'failed to parse backend address "http://h:x": parse "http://h:x": invalid port ":x" after host'


# --- smaller rules the mutation run pointed at ------------------------------------------------------

@pytest.mark.parametrize("text, code", [("+307", 307), ("399", 399), ("-1", 308), ("3 07", 308), ("", 308),
                                        ("400", 308), ("0x12d", 308), ("300", 300)])
def test_redirect_code_annotation_is_go_atoi_in_300_to_399(text: str, code: int) -> None:
    from skipperd.dataclients.kubernetes.logs import Log
    from skipperd.dataclients.kubernetes.redirect import RedirectInfo

    info = RedirectInfo(True, 308)
    log = Log()
    info.init_current({"zalando.org/skipper-ingress-redirect-code": text}, log, "p", "r")
    assert info.code == code
    assert bool(log.entries) == (code == 308)


def test_traffic_segments_skip_a_repeated_backend_but_not_the_rest() -> None:
    got = _applied("traffic-segment-predicate", [("a", 1), ("a", 5), ("b", 1)])
    assert got == {"a": (True, [Predicate("TrafficSegment", (0.0, 0.5))]),
                   "b": (True, [Predicate("TrafficSegment", (0.5, 1.0))])}


def test_default_lb_algorithm_option_and_its_fallback() -> None:
    two = {"metadata": {"name": "svc", "namespace": "default"},
           "subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 8080}]}]}
    state = ClusterState(ingresses=(_ingress("a"),), services=(SERVICE,), endpoints=(two,))
    assert convert(state, KubeOptions(default_lb_algorithm="random")).routes[0].backend.algorithm == "random"
    assert convert(state, KubeOptions(default_lb_algorithm="fastest")).routes[0].backend.algorithm == "roundRobin"
    rg = _rg({"backends": [{"name": "lb", "type": "lb", "endpoints": ["http://a:1", "http://b:2"]}],
              "defaultBackends": [{"backendName": "lb"}]})
    got = convert(ClusterState(routegroups=(rg,)), KubeOptions(default_lb_algorithm="leastRequests"))
    assert got.routes[0].backend.algorithm == "leastRequests"


@pytest.mark.parametrize("mode, path, predicates, catchall", [
    ("kubernetes-ingress", "/", [Predicate("PathRegexp", ("^/",))], False),
    ("kubernetes-ingress", "/a", [Predicate("PathRegexp", ("^(/a)",))], True),
    ("path-regexp", "/a", [Predicate("PathRegexp", ("/a",))], True),
    ("path-prefix", "/a", [Predicate("PathSubtree", ("/a",))], False),
])
def test_implementation_specific_paths_by_mode(mode: str, path: str, predicates: list[Predicate],
                                               catchall: bool) -> None:
    ing = _ingress("a")
    ing["spec"]["rules"][0]["http"]["paths"][0].update(path=path, pathType="ImplementationSpecific")
    got = convert(ClusterState(ingresses=(ing,), services=(SERVICE,), endpoints=(ENDPOINTS,)),
                  KubeOptions(path_mode=mode))
    main = [r for r in got.routes if "catchall" not in r.id]
    assert [p for p in main[0].predicates if p.name != "Host"] == predicates
    assert any("catchall" in r.id for r in got.routes) == catchall
