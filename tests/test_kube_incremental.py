"""The incremental conversion equals a full one: after every change of a random sequence (objects
of every kind added, replaced, deleted, re-listed as equal copies; labels, classes, annotations,
endpoints changing) ``convert`` with a ``ConversionCache`` gives the same routes in the same order
and the same log as ``convert`` without one, under several option sets; so does every fixture of
tests/kubernetes and of the conformance corpus when its objects arrive one kind at a time, then
all at once, then as copies. Routes of unchanged objects come back as the very same objects."""

from __future__ import annotations

import base64
import copy
import random
from pathlib import Path
from typing import Any, Callable

import pytest

from harness import CONFORMANCE, conformance_missing
from skipperd.conformance import kubernetes_fixtures as kf
from skipperd.dataclients.kubernetes import ClusterState, Conversion, KubeOptions, convert
from skipperd.dataclients.kubernetes.convert import ConversionCache
from skipperd.dataclients.kubernetes.model import AnnotationFilters, AnnotationPredicates
from skipperd.eskip.route import Filter, Predicate

HERE = Path(__file__).resolve().parent
Obj = dict[str, Any]

# --- a small random cluster whose objects keep meeting each other -------------------------------------

NAMESPACES = ("a", "b")
SERVICES = ("s0", "s1", "s2")
HOSTS = ("x.org", "y.org", "", "z.ew.local", "i0.a.skipper.cluster.local")
IPS = ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "fd00::1")
PEM_CRT = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()
PEM_KEY = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n").decode()


def _meta(r: random.Random, ns: str, name: str, annotations: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": ns, "resourceVersion": str(r.randrange(10**6))}
    labels = {k: v for k, v in (("team", r.choice(["x", "y"])), ("application", r.choice(["app", ""])))
              if r.random() < 0.5}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return meta


def service(r: random.Random, ns: str, name: str) -> Obj:
    typ = r.choice(["ClusterIP", "ClusterIP", "ClusterIP", "ExternalName"])
    ports: list[Obj] = [{"name": "http", "port": 80, "targetPort": r.choice([8080, 443, "web"])}]
    if r.random() < 0.3:
        ports.append({"name": "admin", "port": 81, "targetPort": 9090})
    spec: Obj = {"type": typ, "ports": ports}
    if typ == "ExternalName":
        spec["externalName"] = r.choice(["ext.example.org", "other.example.com"])
    if r.random() < 0.03:
        spec["ports"] = "not a list"  # malformed: skipped with a log line
    return {"metadata": _meta(r, ns, name), "spec": spec}


def endpoints(r: random.Random, ns: str, name: str) -> Obj:
    ports = [{"name": "http", "port": r.choice([8080, 8081])}]
    if r.random() < 0.3:
        ports.append({"name": "web", "port": 8082})
    subsets = [{"addresses": [{"ip": ip} for ip in r.sample(IPS, r.randrange(0, 4))], "ports": ports}]
    return {"metadata": _meta(r, ns, name), "subsets": subsets if r.random() < 0.9 else []}


def endpointslice(r: random.Random, ns: str, name: str) -> Obj:
    eps = []
    for ip in r.sample(IPS, r.randrange(0, 5)):
        ep: Obj = {"addresses": [ip], "zone": r.choice(["z1", "z2"])}
        if r.random() < 0.8:
            ep["conditions"] = {"ready": r.random() < 0.8, "terminating": r.random() < 0.15}
        eps.append(ep)
    port: Obj = {"name": r.choice(["http", "web"]), "port": r.choice([8080, 8081]), "protocol": "TCP"}
    if r.random() < 0.2:
        port["appProtocol"] = "kubernetes.io/h2c"
    meta = _meta(r, ns, name)
    meta.setdefault("labels", {})["kubernetes.io/service-name"] = r.choice(SERVICES)
    return {"metadata": meta, "addressType": "IPv4", "endpoints": eps, "ports": [port] if r.random() < 0.95 else None}


def secret(r: random.Random, ns: str, name: str) -> Obj:
    data = {"tls.crt": PEM_CRT, "tls.key": PEM_KEY} if r.random() < 0.7 else {"tls.crt": "%%%"}
    return {"metadata": _meta(r, ns, name), "type": "kubernetes.io/tls", "data": data}


def _maybe(r: random.Random, p: float, choices: list[str]) -> str | None:
    return r.choice(choices) if r.random() < p else None


def ingress(r: random.Random, ns: str, name: str) -> Obj:
    ann = {k: v for k, v in {
        "zalando.org/skipper-filter": _maybe(r, 0.3, ['setRequestHeader("X", "1")', 'bad((']),
        "zalando.org/skipper-predicate": _maybe(r, 0.2, ['Method("GET")', 'Header("X-Forwarded-Proto", "http")',
                                                         'Path("/p")']),
        "zalando.org/skipper-routes": _maybe(r, 0.2, ['r1: Path("/r") -> <shunt>;',
                                                      'r2: PathRegexp("^/q") -> status(201) -> <shunt>;', "x(("]),
        "zalando.org/backend-weights": _maybe(r, 0.2, ['{"s0": 80, "s1": 20}', '{"s1": 0, "s2": 100}', "[1]"]),
        "zalando.org/skipper-ingress-redirect": _maybe(r, 0.2, ["true", "false"]),
        "zalando.org/skipper-ingress-redirect-code": _maybe(r, 0.15, ["301", "307", "bad", "200"]),
        "zalando.org/skipper-ingress-path-mode": _maybe(r, 0.15, ["path-prefix", "path-regexp", "nope"]),
        "zalando.org/skipper-loadbalancer": _maybe(r, 0.1, ["random", "consistentHash"]),
        "zalando.org/skipper-backend-protocol": _maybe(r, 0.1, ["https", "fastcgi"]),
        "zalando.org/traffic-zone-aware": _maybe(r, 0.1, ["false"]),
        "zalando.org/skipper-backend": _maybe(r, 0.05, ["forward", "shunt"]),
        "kubernetes.io/ingress.class": _maybe(r, 0.15, ["skipper", "other", ""]),
        "feature": _maybe(r, 0.3, ["on"]),
    }.items() if v is not None}
    rules = []
    for _ in range(r.randrange(0, 3)):
        paths = []
        for _ in range(r.randrange(1, 3)):
            port = r.choice([{"number": 80}, {"name": "http"}, {"name": "admin"}, {"number": 99}])
            paths.append({"path": r.choice(["/", "/a", "", "/a/b"]),
                          "pathType": r.choice(["Prefix", "Exact", "ImplementationSpecific"]),
                          "backend": {"service": {"name": r.choice(SERVICES + ("nope",)), "port": port}}})
        rule: Obj = {"host": r.choice(HOSTS)}
        if r.random() < 0.9:
            rule["http"] = {"paths": paths}
        rules.append(rule)
    spec: Obj = {"rules": rules}
    if r.random() < 0.3:
        spec["defaultBackend"] = {"service": {"name": r.choice(SERVICES), "port": {"number": 80}}}
    if r.random() < 0.2:
        spec["ingressClassName"] = r.choice(["skipper", "other"])
    if r.random() < 0.3:
        spec["tls"] = [{"hosts": r.sample([h for h in HOSTS if h], 2), "secretName": r.choice(["t0", "t1"])}]
    return {"metadata": _meta(r, ns, name, ann), "spec": spec}


def routegroup(r: random.Random, ns: str, name: str) -> Obj:
    backends = [
        {"name": "b0", "type": "service", "serviceName": r.choice(SERVICES), "servicePort": r.choice([80, 81, 82])},
        {"name": "b1", "type": "shunt"},
        {"name": "b2", "type": "network", "address": r.choice(["http://ext.example.org", "http://other.example.com"])},
        {"name": "b3", "type": "lb", "endpoints": ["http://10.1.0.1:80", "http://10.1.0.2:80"]},
    ]
    defaults = [{"backendName": b, "weight": r.choice([0, 30, 70])} for b in r.sample(["b0", "b1", "b2", "b3"], 2)]
    if r.random() < 0.05:
        defaults.append({"backendName": "missing"})  # invalid: logged and skipped
    spec: Obj = {"hosts": r.sample([h for h in HOSTS if h], r.randrange(0, 3)), "backends": backends,
                 "defaultBackends": defaults}
    if r.random() < 0.6:
        spec["routes"] = [{"pathSubtree": r.choice(["/", "/api"]), "methods": r.choice([[], ["GET", "post"]]),
                           "predicates": r.choice([[], ['Header("X-Forwarded-Proto", "https")'], ["bad(("]]),
                           "filters": r.choice([[], ['setPath("/")']]),
                           "backends": r.choice([[], [{"backendName": "b0"}]])}]
    if r.random() < 0.2:
        spec["tls"] = [{"hosts": spec["hosts"][:1], "secretName": r.choice(["t0", "t1"])}]
    ann = {k: v for k, v in {
        "zalando.org/routegroup.class": _maybe(r, 0.15, ["skipper", "other"]),
        "zalando.org/skipper-ingress-redirect": _maybe(r, 0.2, ["true", "false"]),
        "zalando.org/traffic-zone-aware": _maybe(r, 0.1, ["false"]),
        "feature": _maybe(r, 0.3, ["on"]),
    }.items() if v is not None}
    return {"apiVersion": "zalando.org/v1", "kind": "RouteGroup", "metadata": _meta(r, ns, name, ann), "spec": spec}


KINDS: dict[str, tuple[Callable[[random.Random, str, str], Obj], tuple[str, ...]]] = {
    "ingresses": (ingress, ("i0", "i1", "i2", "i3")),
    "routegroups": (routegroup, ("g0", "g1", "g2")),
    "services": (service, SERVICES),
    "endpoints": (endpoints, SERVICES),
    "endpointslices": (endpointslice, ("e0", "e1", "e2", "e3")),
    "secrets": (secret, ("t0", "t1")),
}

OPTIONS = {
    "defaults": KubeOptions(),
    "slices-zone-healthcheck-redirect": KubeOptions(
        enable_endpointslices=True, topology_zone="z1", provide_healthcheck=True, https_redirect=True,
        path_mode="path-prefix", reverse_source_predicate=True),
    "east-west-ranges": KubeOptions(
        east_west=True, east_west_range_domains=("ew.local",),
        east_west_range_predicates=(Predicate("ClientIP", ("10.2.0.0/16",)),), https_redirect=True,
        https_redirect_code=301, backend_traffic_algorithm="traffic-segment-predicate",
        east_west_range_annotation_predicates=(AnnotationPredicates("feature", "on", (Predicate("True"),)),),
        east_west_range_annotation_filters_append=(AnnotationFilters("feature", "on", (Filter("status", (418.0,)),)),)),
    "tls-classes-selectors": KubeOptions(
        enable_tls=True, ingress_class="skipper|oth", routegroup_class="other", namespace="a",
        ingress_label_selector={"team": "x"}, services_label_selector={"team": ""}, enable_endpointslices=True,
        east_west=True, east_west_domain="ew.example"),
    "catchall-off-force-external-defaults": KubeOptions(
        disable_catchall_routes=True, force_service=True, enable_external_names=True,
        only_allowed_external_names=True, allowed_external_names=("^ext[.]example[.]org$",),
        default_filters={"s0.a": 'setPath("/x")', "s1.b": "bad(("}, backend_name_tracing_tag=True,
        application_annotation_label="application", enable_tls=True, https_redirect=True,
        annotation_predicates=(AnnotationPredicates("feature", "on", (Predicate("Method", ("GET",)),)),),
        annotation_filters_append=(AnnotationFilters("feature", "on", (Filter("status", (200.0,)),)),),
        forward_backend_url="http://fwd.example.org", default_lb_algorithm="random"),
}


class Cluster:
    """Objects by kind and (namespace, name), in the order a reflector keeps them."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[tuple[str, str], Obj]] = {k: {} for k in KINDS}
        self.routegroups_available = True

    def state(self) -> ClusterState:
        o = {k: tuple(v.values()) for k, v in self.objects.items()}
        return ClusterState(o["ingresses"], o["routegroups"], o["services"], o["endpoints"], o["endpointslices"],
                            o["secrets"], self.routegroups_available)

    def step(self, r: random.Random) -> str:
        x = r.random()
        if x < 0.03:
            for k, objs in self.objects.items():  # a re-list: every object an equal copy
                self.objects[k] = {key: copy.deepcopy(obj) for key, obj in objs.items()}
            return "relist"
        if x < 0.05:
            self.routegroups_available = not self.routegroups_available
            return f"routegroups available: {self.routegroups_available}"
        kind = r.choice(list(KINDS))
        make, names = KINDS[kind]
        key = (r.choice(NAMESPACES), r.choice(names))
        objs = self.objects[kind]
        if key in objs and r.random() < 0.25:
            del objs[key]
            return f"delete {kind} {key}"
        if key in objs and r.random() < 0.15:
            objs[key] = copy.deepcopy(objs[key])
            return f"touch {kind} {key}"
        objs[key] = make(r, *key)
        return f"put {kind} {key}"


def _same(inc: Conversion, full: Conversion, what: str) -> None:
    assert inc.log == full.log, what
    assert inc.routes == full.routes, what


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_random_changes_convert_as_a_full_conversion(name: str, seed: int) -> None:
    options = OPTIONS[name]
    r = random.Random(f"{name}/{seed}")
    cluster = Cluster()
    cache = ConversionCache(options)
    reused = converted = 0
    for step in range(120):
        what = cluster.step(r)
        state = cluster.state()
        inc = convert(state, options, cache)
        _same(inc, convert(state, options), f"seed {seed}, step {step}: {what}")
        reused += cache.reused
        converted += cache.converted
    assert reused > converted  # the cache is used, not just filled


def test_unchanged_objects_keep_their_route_objects() -> None:
    options = OPTIONS["slices-zone-healthcheck-redirect"]
    r = random.Random(7)
    cluster = Cluster()
    for i in range(40):
        ns, name = "a", f"s{i}"
        cluster.objects["services"][(ns, name)] = {
            "metadata": {"name": name, "namespace": ns}, "spec": {"ports": [{"name": "http", "port": 80,
                                                                           "targetPort": 8080}]}}
        cluster.objects["endpointslices"][(ns, name)] = {
            "metadata": {"name": name, "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
            "endpoints": [{"addresses": [ip]} for ip in r.sample(IPS, 3)], "ports": [{"name": "http", "port": 8080}]}
        cluster.objects["ingresses"][(ns, f"i{i}")] = {
            "metadata": {"name": f"i{i}", "namespace": ns},
            "spec": {"rules": [{"host": f"h{i}.org", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}]}}
    cache = ConversionCache(options)
    before = convert(cluster.state(), options, cache)
    slices = cluster.objects["endpointslices"]
    slices[("a", "s3")] = dict(slices[("a", "s3")], endpoints=[{"addresses": ["10.9.9.9"]}])
    after = convert(cluster.state(), options, cache)
    assert after == convert(cluster.state(), options)
    changed = [(x.id, y.id) for x, y in zip(before.routes, after.routes) if x is not y]
    assert len(before.routes) == len(after.routes)
    # the route of i3 and its HTTPS redirect twin; every other route is the same object
    assert changed == [("kube_a__i3__h3_org_____s3", "kube_a__i3__h3_org_____s3"),
                       ("kube_a__i3__h3_org_____s3_https_redirect", "kube_a__i3__h3_org_____s3_https_redirect")]
    assert cache.converted == 1 and cache.reused == 39
    # a re-list gives equal copies: nothing converted again, every route the same object
    for kind, objs in cluster.objects.items():
        cluster.objects[kind] = {k: copy.deepcopy(v) for k, v in objs.items()}
    relisted = convert(cluster.state(), options, cache)
    assert cache.converted == 0
    assert all(x is y for x, y in zip(after.routes, relisted.routes))


def test_other_options_reset_the_cache() -> None:
    cluster = Cluster()
    r = random.Random(3)
    for _ in range(40):
        cluster.step(r)
    cache = ConversionCache(OPTIONS["defaults"])
    convert(cluster.state(), OPTIONS["defaults"], cache)
    for name, options in OPTIONS.items():
        _same(convert(cluster.state(), options, cache), convert(cluster.state(), options), name)


def test_a_failed_conversion_keeps_the_last_good_cache() -> None:
    cluster = Cluster()
    r = random.Random(5)
    for _ in range(60):
        cluster.step(r)
    options = OPTIONS["slices-zone-healthcheck-redirect"]
    cache = ConversionCache(options)
    good = convert(cluster.state(), options, cache)
    bad = with_a_broken_endpointslice(cluster.state())
    with pytest.raises(Exception):
        convert(bad, options, cache)
    assert convert(cluster.state(), options, cache) == good
    assert cache.converted == 0


def with_a_broken_endpointslice(state: ClusterState) -> ClusterState:
    """A state whose conversion raises: an EndpointSlice whose endpoints are not a list of objects."""
    import dataclasses

    broken = {"metadata": {"name": "broken", "namespace": "a", "labels": {"kubernetes.io/service-name": "s0"}},
              "endpoints": "oops", "ports": []}
    return dataclasses.replace(state, endpointslices=state.endpointslices + (broken,))


# --- every fixture through the incremental path ---------------------------------------------------------

def _fixtures(root: Path) -> list[kf.Fixture]:
    out = []
    for family in sorted(p for p in root.rglob("*") if p.is_dir()):
        if kf.is_family(family) and not kf.is_errorwrap_dir(family):
            out.extend(fx for fx in kf.fixtures(family) if fx.has_content() and ".yaml" in fx.files)
    return out


def _check_fixture(fx: kf.Fixture) -> None:
    objects = kf.load_objects(fx.files[".yaml"])
    options = kf.read_kube_options(fx.files[".kube"].read_text(encoding="utf-8")) if ".kube" in fx.files \
        else KubeOptions()
    loaded = kf.load_state(objects, kf.load_api(fx.files[".api"]) if ".api" in fx.files else kf.ApiBehaviour(),
                           options)
    if loaded.state is None:
        return
    full = loaded.state
    cache = ConversionCache(options)
    steps: list[tuple[str, ClusterState]] = [("empty", ClusterState(routegroups_available=full.routegroups_available))]
    partial = steps[0][1]
    import dataclasses

    for field in ("services", "endpoints", "endpointslices", "secrets", "ingresses", "routegroups"):
        partial = dataclasses.replace(partial, **{field: getattr(full, field)})
        steps.append((f"+{field}", partial))
    steps.append(("again", full))
    steps.append(("copies", ClusterState(*(copy.deepcopy(getattr(full, f)) for f in (
        "ingresses", "routegroups", "services", "endpoints", "endpointslices", "secrets")),
        full.routegroups_available)))
    for field in ("ingresses", "services", "endpoints", "endpointslices"):
        partial = dataclasses.replace(partial, **{field: ()})
        steps.append((f"-{field}", partial))
    steps.append(("all back", full))
    for what, state in steps:
        _same(convert(state, options, cache), convert(state, options), f"{fx.name}: {what}")


def _ids(fixtures: list[kf.Fixture]) -> list[str]:
    return [fx.name for fx in fixtures]


OWN = _fixtures(HERE / "kubernetes")


@pytest.mark.parametrize("fx", OWN, ids=_ids(OWN))
def test_own_fixtures_convert_incrementally_as_in_full(fx: kf.Fixture) -> None:
    _check_fixture(fx)


MISSING = conformance_missing("kubernetes") or conformance_missing("kubernetes-definitions")


@pytest.mark.skipif(bool(MISSING), reason=MISSING)
def test_conformance_corpus_converts_incrementally_as_in_full() -> None:
    fixtures = _fixtures(CONFORMANCE / "kubernetes") + _fixtures(CONFORMANCE / "kubernetes-definitions")
    assert len(fixtures) > 200
    for fx in fixtures:
        _check_fixture(fx)
