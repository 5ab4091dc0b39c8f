"""The fake Kubernetes API server speaks the real wire format: the official client cannot tell."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from kube_objects import ROUTEGROUP, demo, ingress
from kubefake import FakeAPI

from skipperd.kubeapi.fixtures import parse_documents
from skipperd.kubeapi.selectors import SelectorError, parse

TOKEN = "s3cr3t-token"
OBJECTS = demo(9090) + "---\n" + ROUTEGROUP + "---\n" + ingress("other.example.org", name="other",
                                                                   namespace="team")


@pytest.fixture
def api(tmp_path: Path) -> Any:
    with FakeAPI(tmp_path, OBJECTS, tls=True, token=TOKEN) as a:
        yield a


_OPEN: list[Any] = []  # the official clients of the running test, closed when it ends


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Close every official client a test made: its pooled TLS sockets would otherwise be left
    to the garbage collector, whose ResourceWarning would fail whichever later test it hits."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(api: FakeAPI) -> Any:
    from kubernetes import client, config

    cfg = client.Configuration()
    config.load_kube_config(config_file=str(api.kubeconfig), client_configuration=cfg, persist_config=False)
    c = client.ApiClient(cfg)
    _OPEN.append(c)
    return c


def test_official_client_lists_over_tls_with_a_bearer_token(api: FakeAPI) -> None:
    from kubernetes import client

    c = _client(api)
    services = client.CoreV1Api(c).list_service_for_all_namespaces()
    assert [s.metadata.name for s in services.items] == ["skipper-demo"]
    assert services.items[0].spec.ports[0].target_port == 9090
    assert int(services.metadata.resource_version) > 0
    eps = client.CoreV1Api(c).list_namespaced_endpoints("default")
    assert [a.ip for a in eps.items[0].subsets[0].addresses] == ["127.0.0.1", "127.0.0.2"]
    ings = client.NetworkingV1Api(c).list_ingress_for_all_namespaces()
    assert sorted((i.metadata.namespace, i.metadata.name) for i in ings.items) == [
        ("default", "skipper-demo"), ("team", "other")]
    assert ings.items[0].spec.rules[0].http.paths[0].path_type == "Prefix"
    team = client.NetworkingV1Api(c).list_namespaced_ingress("team")
    assert [i.metadata.name for i in team.items] == ["other"]
    one = client.NetworkingV1Api(c).read_namespaced_ingress("other", "team")
    assert one.spec.rules[0].host == "other.example.org"
    rgs = client.CustomObjectsApi(c).list_cluster_custom_object("zalando.org", "v1", "routegroups")
    assert [r["metadata"]["name"] for r in rgs["items"]] == ["my-rg"]
    labelled = client.CoreV1Api(c).list_service_for_all_namespaces(label_selector="application=nope")
    assert labelled.items == []
    resources = client.CustomObjectsApi(c).get_api_resources("zalando.org", "v1")
    assert "routegroups" in [r.name for r in resources.resources]


def test_official_client_watches_with_bookmarks_and_gets_410(api: FakeAPI) -> None:
    from kubernetes import client, watch
    from kubernetes.client.exceptions import ApiException

    c = _client(api)
    net = client.NetworkingV1Api(c)
    rv = net.list_ingress_for_all_namespaces().metadata.resource_version
    events: list[tuple[str, str]] = []

    def follow() -> None:
        w = watch.Watch()
        for ev in w.stream(net.list_ingress_for_all_namespaces, resource_version=rv, allow_watch_bookmarks=True,
                           timeout_seconds=4):
            obj = ev["object"]
            events.append((ev["type"], obj.metadata.name if ev["type"] != "BOOKMARK" else obj["metadata"]["resourceVersion"]))

    t = threading.Thread(target=follow)
    t.start()
    time.sleep(0.5)
    api.apply(ingress("new.example.org", name="new"))
    api.apply(ingress("new2.example.org", name="new"))
    api.delete(ingress(name="other", namespace="team"))
    t.join(10)
    assert [e for e in events if e[0] != "BOOKMARK"] == [("ADDED", "new"), ("MODIFIED", "new"), ("DELETED", "other")]
    assert any(e[0] == "BOOKMARK" for e in events)

    api.control("compact")
    with pytest.raises(ApiException) as exc:
        for _ in watch.Watch().stream(net.list_ingress_for_all_namespaces, resource_version=rv, timeout_seconds=2):
            pass
    assert exc.value.status == 410


def test_auth_paging_selectors_and_errors_as_status(api: FakeAPI) -> None:
    status, body = api.request("GET", "/api/v1/services", token="wrong")
    assert status == 401 and body["kind"] == "Status" and body["reason"] == "Unauthorized"
    status, body = api.request("GET", "/api/v1/services", token="")
    assert status == 401
    api.apply("".join(f"---\n{ingress(f'h{i}.example.org', name=f'ing{i}')}" for i in range(5)))
    names: list[str] = []
    cont = ""
    while True:
        status, body = api.request("GET", "/apis/networking.k8s.io/v1/ingresses?limit=2" + (f"&continue={cont}" if cont else ""))
        assert status == 200 and body["kind"] == "IngressList" and len(body["items"]) <= 2
        assert all("kind" not in i for i in body["items"])  # list items carry no kind, as a real server's
        names += [i["metadata"]["name"] for i in body["items"]]
        cont = body["metadata"].get("continue", "")
        if not cont:
            break
    assert sorted(names) == sorted(["skipper-demo", "other"] + [f"ing{i}" for i in range(5)])
    status, body = api.request("GET", "/api/v1/services?labelSelector=application%20in%20(skipper-demo,x)")
    assert [i["metadata"]["name"] for i in body["items"]] == ["skipper-demo"]
    status, body = api.request("GET", "/api/v1/services?labelSelector=!application")
    assert body["items"] == []
    status, body = api.request("GET", "/api/v1/services?labelSelector=a%3D%3D%3Db")
    assert status == 400 and body["reason"] == "BadRequest"
    status, body = api.request("GET", "/api/v1/namespaces/default/services/nope")
    assert status == 404 and body["reason"] == "NotFound"
    status, body = api.request("GET", "/apis/zalando.org/v1")
    assert status == 200 and body["groupVersion"] == "zalando.org/v1"


def test_injected_failures_and_disabled_routegroups(api: FakeAPI) -> None:
    api.failures(failOn=["/api/v1/services"], findNot=["/api/v1/endpoints"], disableRouteGroups=True)
    assert api.request("GET", "/api/v1/services")[0] == 500
    assert api.request("GET", "/api/v1/services?labelSelector=a=b")[0] == 500  # the path, not the query
    assert api.request("GET", "/api/v1/endpoints")[0] == 404
    assert api.request("GET", "/apis/zalando.org/v1")[0] == 404
    assert api.request("GET", "/apis/zalando.org/v1/routegroups")[0] == 404
    assert api.request("GET", "/api/v1/namespaces/default/services")[0] == 200
    api.failures()
    assert api.request("GET", "/api/v1/services")[0] == 200


def test_outage_refuses_connections_then_serves_the_same_state(api: FakeAPI) -> None:
    rv = api.state()["resourceVersion"]
    api.outage(1.5)
    time.sleep(0.3)
    with pytest.raises(OSError):
        api.request("GET", "/api/v1/services", timeout=1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status, body = api.request("GET", "/api/v1/services", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    assert status == 200 and body["metadata"]["resourceVersion"] == rv


def test_cluster_role_is_enforced(tmp_path: Path) -> None:
    role = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: r
rules:
- apiGroups: [""]
  resources: ["services"]
  verbs: ["list"]
"""
    with FakeAPI(tmp_path, OBJECTS, token=TOKEN, rbac=role) as api:
        assert api.request("GET", "/api/v1/services")[0] == 200
        status, body = api.request("GET", "/api/v1/services?watch=1&timeoutSeconds=1")
        assert status == 403 and 'cannot watch resource "services"' in body["message"]
        assert api.request("GET", "/apis/networking.k8s.io/v1/ingresses")[0] == 403
        assert api.request("GET", "/apis/zalando.org/v1")[0] == 200  # discovery is for everyone
        assert [(r["verb"], r["resource"], r["status"]) for r in api.requests()] == [
            ("list", "services", 200), ("watch", "services", 403), ("list", "ingresses", 403)]


def test_fixture_format_rules() -> None:
    text = """kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d}
---
apiVersion: v1
kind: EndpointSlice
metadata: {name: s, namespace: ""}
---
---
apiVersion: v1
kind: Service
metadata: {name: after-the-empty-document}
"""
    objs = parse_documents(text)
    assert [(o["kind"], o["metadata"]["name"], o["metadata"]["namespace"]) for o in objs] == [
        ("Service", "a", "default"), ("EndpointSlice", "s", "default")]


def test_selectors() -> None:
    sel = parse("a=b,c!=d,e in (f, g),h notin (i),j,!k")
    assert sel.matches({"a": "b", "e": "g", "j": "", "h": "x"})
    assert not sel.matches({"a": "b", "e": "g", "j": "", "k": "1"})
    assert not sel.matches({"a": "b", "c": "d", "e": "f", "j": ""})
    with pytest.raises(SelectorError):
        parse("a=b,,")


def test_command_prints_its_address_and_serves_plain_http(tmp_path: Path) -> None:
    with FakeAPI(tmp_path, OBJECTS) as api:
        assert f"fake API server at http://127.0.0.1:{api.port}" in api.log()
        assert api.request("GET", "/api/v1/endpoints", token="")[0] == 200
        with socket.create_connection(("127.0.0.1", api.port)) as s:
            s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200")


# --- PATCH, selector transitions, resourceVersion semantics, Status bodies (the official client) ---


def test_patch_types_through_the_official_client(api: FakeAPI) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    c = _client(api)
    core = client.CoreV1Api(c)
    before = core.read_namespaced_service("skipper-demo", "default")
    # a dict body: the client sends a strategic merge patch (applied as a merge patch)
    svc = core.patch_namespaced_service("skipper-demo", "default", {"metadata": {"labels": {"tier": "edge"}}})
    assert svc.metadata.labels == {"application": "skipper-demo", "tier": "edge"}
    assert int(svc.metadata.resource_version) > int(before.metadata.resource_version)
    assert svc.metadata.uid == before.metadata.uid and svc.metadata.generation == before.metadata.generation
    # merge patch: null removes a key, a list is replaced whole
    svc = core.patch_namespaced_service(
        "skipper-demo", "default", {"metadata": {"labels": {"tier": None}}, "spec": {"ports": [{"port": 8080, "targetPort": 9090}]}},
        _content_type="application/merge-patch+json")
    assert svc.metadata.labels == {"application": "skipper-demo"}
    assert [(p.port, p.target_port) for p in svc.spec.ports] == [(8080, 9090)]
    assert svc.metadata.generation == before.metadata.generation + 1  # a spec change
    # a list body: a JSON patch
    svc = core.patch_namespaced_service("skipper-demo", "default", [
        {"op": "test", "path": "/spec/ports/0/port", "value": 8080},
        {"op": "replace", "path": "/spec/ports/0/port", "value": 80},
        {"op": "add", "path": "/metadata/annotations", "value": {"a/b": "c"}},
        {"op": "copy", "from": "/metadata/annotations/a~1b", "path": "/metadata/labels/copied"}])
    assert svc.spec.ports[0].port == 80 and svc.metadata.annotations == {"a/b": "c"}
    assert svc.metadata.labels["copied"] == "c"
    with pytest.raises(ApiException) as exc:  # a failed test operation: 422, nothing changed
        core.patch_namespaced_service("skipper-demo", "default", [
            {"op": "replace", "path": "/spec/ports/0/port", "value": 1},
            {"op": "test", "path": "/spec/type", "value": "NodePort"}])
    assert exc.value.status == 422 and json.loads(exc.value.body)["reason"] == "Invalid"
    assert core.read_namespaced_service("skipper-demo", "default").spec.ports[0].port == 80
    # a stale resourceVersion in the patch is a precondition that fails
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_service("skipper-demo", "default", {"metadata": {
            "resourceVersion": before.metadata.resource_version, "labels": {"x": "y"}}})
    st = json.loads(exc.value.body)
    assert exc.value.status == 409 and st["reason"] == "Conflict" and st["details"] == {
        "name": "skipper-demo", "kind": "services"}
    assert "the object has been modified" in st["message"]
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_service("nope", "default", {"metadata": {"labels": {"x": "y"}}})
    st = json.loads(exc.value.body)
    assert exc.value.status == 404 and st["message"] == 'services "nope" not found'
    # custom resources: merge and JSON patch; a strategic merge patch is refused (415)
    custom = client.CustomObjectsApi(c)
    rg = custom.patch_namespaced_custom_object("zalando.org", "v1", "team", "routegroups", "my-rg",
                                               {"spec": {"hosts": ["rg2.example.org"]}})
    assert rg["spec"]["hosts"] == ["rg2.example.org"] and rg["kind"] == "RouteGroup"
    with pytest.raises(ApiException) as exc:
        custom.patch_namespaced_custom_object("zalando.org", "v1", "team", "routegroups", "my-rg", {"spec": {}},
                                              _content_type="application/strategic-merge-patch+json")
    assert exc.value.status == 415 and json.loads(exc.value.body)["reason"] == "UnsupportedMediaType"
    net = client.NetworkingV1Api(c)
    ing = net.patch_namespaced_ingress("other", "team", [{"op": "replace", "path": "/spec/rules/0/host",
                                                          "value": "patched.example.org"}])
    assert ing.spec.rules[0].host == "patched.example.org"


def test_selector_watch_sends_added_and_deleted_when_matching_changes(api: FakeAPI) -> None:
    """A watch with a label selector sees an object that starts matching as ADDED and one that
    stops matching as DELETED (its last matching state), as a real server's watch cache does."""
    from kubernetes import client, watch

    c = _client(api)
    core = client.CoreV1Api(c)
    rv = core.list_namespaced_service("default", label_selector="tier=edge").metadata.resource_version
    events: list[tuple[str, str, dict[str, str] | None]] = []

    def follow() -> None:
        for ev in watch.Watch().stream(core.list_namespaced_service, "default", label_selector="tier=edge",
                                       resource_version=rv, timeout_seconds=3):
            events.append((ev["type"], ev["object"].metadata.resource_version, ev["object"].metadata.labels))

    t = threading.Thread(target=follow)
    t.start()
    time.sleep(0.5)
    on = core.patch_namespaced_service("skipper-demo", "default", {"metadata": {"labels": {"tier": "edge"}}})
    mod = core.patch_namespaced_service("skipper-demo", "default", {"metadata": {"annotations": {"a": "b"}}})
    off = core.patch_namespaced_service("skipper-demo", "default", {"metadata": {"labels": {"tier": "internal"}}})
    core.patch_namespaced_service("skipper-demo", "default", {"metadata": {"annotations": {"a": "c"}}})  # unseen
    t.join(10)
    assert [(e[0], e[1]) for e in events] == [("ADDED", on.metadata.resource_version),
                                              ("MODIFIED", mod.metadata.resource_version),
                                              ("DELETED", off.metadata.resource_version)]
    assert events[2][2] == {"application": "skipper-demo", "tier": "edge"}  # the last state that matched
    # kubectl's way of watching one object: a field selector on metadata.name
    named = core.list_service_for_all_namespaces(field_selector="metadata.name=skipper-demo,metadata.namespace=default")
    assert [s.metadata.name for s in named.items] == ["skipper-demo"]
    assert core.list_namespaced_service("default", field_selector="metadata.name!=skipper-demo").items == []
    assert [s.metadata.name for s in core.list_namespaced_service("default", field_selector="spec.type=ClusterIP").items] == ["skipper-demo"]


def test_list_resource_versions_and_consistent_pages(api: FakeAPI) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    c = _client(api)
    net = client.NetworkingV1Api(c)
    api.apply("".join(f"---\n{ingress(f'h{i}.example.org', name=f'ing{i}')}" for i in range(4)))
    first = net.list_namespaced_ingress("default")
    rv0 = first.metadata.resource_version
    names0 = [i.metadata.name for i in first.items]
    api.delete(ingress(name="ing1"))
    api.apply(ingress("h9.example.org", name="ing9"))
    # Exact: the state at that version, whatever changed since
    exact = net.list_namespaced_ingress("default", resource_version=rv0, resource_version_match="Exact")
    assert [i.metadata.name for i in exact.items] == names0 and exact.metadata.resource_version == rv0
    # NotOlderThan (and none): the current state
    now = net.list_namespaced_ingress("default", resource_version=rv0, resource_version_match="NotOlderThan")
    assert "ing9" in [i.metadata.name for i in now.items] and "ing1" not in [i.metadata.name for i in now.items]
    # 0: any version, served whole: limit is ignored
    any_ = net.list_namespaced_ingress("default", resource_version="0", limit=1)
    assert len(any_.items) == len(now.items) and any_.metadata._continue is None
    # a paged list is one snapshot: a change between pages is not seen
    page = net.list_namespaced_ingress("default", limit=2)
    api.delete(ingress(name="ing9"))
    rest = net.list_namespaced_ingress("default", limit=10, _continue=page.metadata._continue)
    paged = [i.metadata.name for i in page.items + rest.items]
    assert paged == [i.metadata.name for i in now.items] and rest.metadata.resource_version == page.metadata.resource_version
    for kwargs, code, reason in [
        ({"resource_version_match": "Exact"}, 422, "Invalid"),  # a match without a version
        ({"resource_version": "0", "resource_version_match": "Exact"}, 422, "Invalid"),
        ({"resource_version": "1", "resource_version_match": "Sometime"}, 422, "Invalid"),
        ({"resource_version": "x", "resource_version_match": "Exact"}, 400, "BadRequest"),
    ]:
        with pytest.raises(ApiException) as exc:
            net.list_namespaced_ingress("default", **kwargs)
        st = json.loads(exc.value.body)
        assert (exc.value.status, st["reason"], st["kind"]) == (code, reason, "Status"), kwargs
    api.control("compact")  # the history before now is gone
    with pytest.raises(ApiException) as exc:
        net.list_namespaced_ingress("default", resource_version=rv0, resource_version_match="Exact")
    assert exc.value.status == 410 and json.loads(exc.value.body)["reason"] == "Expired"
    with pytest.raises(ApiException) as exc:
        net.list_namespaced_ingress("default", limit=10, _continue=page.metadata._continue)
    assert exc.value.status == 410
    t0 = time.monotonic()
    future = str(int(api.state()["resourceVersion"]) + 100)
    with pytest.raises(ApiException) as exc:
        net.list_namespaced_ingress("default", resource_version=future, resource_version_match="NotOlderThan")
    st = json.loads(exc.value.body)
    assert exc.value.status == 504 and st["reason"] == "Timeout" and "Too large resource version" in st["message"]
    assert time.monotonic() - t0 >= 2.9  # it waited for the version first


def test_writes_answer_as_a_real_server(api: FakeAPI) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    c = _client(api)
    net = client.NetworkingV1Api(c)
    body = {"metadata": {"name": "fresh"}, "spec": {"rules": [{"host": "fresh.example.org"}]}}
    created = net.create_namespaced_ingress("team", body)
    assert created.metadata.namespace == "team" and created.metadata.uid and created.metadata.generation == 1

    def error(call: Any) -> tuple[int, dict[str, Any]]:
        with pytest.raises(ApiException) as exc:
            call()
        return exc.value.status, json.loads(exc.value.body)

    code, st = error(lambda: net.create_namespaced_ingress("team", body))
    assert code == 409 and st["reason"] == "AlreadyExists" and st["message"] == \
        'ingresses.networking.k8s.io "fresh" already exists'
    assert st["details"] == {"name": "fresh", "group": "networking.k8s.io", "kind": "ingresses"}
    code, st = error(lambda: net.create_namespaced_ingress("team", {"metadata": {}}))
    assert code == 422 and st["reason"] == "Invalid" and st["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value: name or generateName is required",
         "field": "metadata.name"}]
    assert st["message"].startswith('Ingress.networking.k8s.io "" is invalid: metadata.name: Required value')
    code, st = error(lambda: net.create_namespaced_ingress("team", {"metadata": {"name": "Not_A_Name"}}))
    assert code == 422 and "RFC 1123" in st["message"]
    code, st = error(lambda: net.create_namespaced_ingress("default", {"metadata": {"name": "x", "namespace": "team"}}))
    assert code == 400 and "does not match the namespace" in st["message"]
    code, _ = error(lambda: client.CoreV1Api(c).create_namespaced_service(
        "team", {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "y"}}))
    assert code == 400  # an Ingress posted to services
    # replace: optimistic concurrency
    stale = created.metadata.resource_version
    updated = net.replace_namespaced_ingress("fresh", "team", dict(body, metadata={"name": "fresh", "resourceVersion": stale,
                                                                             "labels": {"v": "2"}}))
    assert updated.metadata.labels == {"v": "2"} and updated.metadata.uid == created.metadata.uid
    code, st = error(lambda: net.replace_namespaced_ingress("fresh", "team", dict(
        body, metadata={"name": "fresh", "resourceVersion": stale})))
    assert code == 409 and st["reason"] == "Conflict"
    code, st = error(lambda: net.replace_namespaced_ingress("other-name", "team", dict(body, metadata={"name": "fresh"})))
    assert code == 400
    # custom resources need a resourceVersion to be replaced
    custom = client.CustomObjectsApi(c)
    rg = custom.get_namespaced_custom_object("zalando.org", "v1", "team", "routegroups", "my-rg")
    del rg["metadata"]["resourceVersion"]
    code, st = error(lambda: custom.replace_namespaced_custom_object("zalando.org", "v1", "team", "routegroups", "my-rg", rg))
    assert code == 422 and "metadata.resourceVersion" in st["message"]
    # delete: a Status of Success; a stale precondition is a conflict; a second delete a 404
    code, st = error(lambda: net.delete_namespaced_ingress("fresh", "team", body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(resource_version=stale))))
    assert code == 409
    gone = net.delete_namespaced_ingress("fresh", "team")
    assert gone["kind"] == "Status" and gone["status"] == "Success"  # the client hands it over as a dict
    assert gone["details"] == {"name": "fresh", "group": "networking.k8s.io", "kind": "ingresses",
                               "uid": created.metadata.uid}
    code, st = error(lambda: net.delete_namespaced_ingress("fresh", "team"))
    assert code == 404 and st["details"]["group"] == "networking.k8s.io"
    status, body2 = api.request("GET", "/api/v1/services?fieldSelector=spec.foo%3Dbar")
    assert status == 400 and body2["reason"] == "BadRequest" and "spec.foo" in body2["message"]


def test_watch_timeout_initial_events_and_bookmark_at_the_end(api: FakeAPI) -> None:
    t0 = time.monotonic()
    status, data = api.request("GET", "/api/v1/namespaces/default/services?watch=1&timeoutSeconds=1"
                                      "&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan")
    assert status == 200 and 0.9 <= time.monotonic() - t0 < 5
    lines = [json.loads(line) for line in data.splitlines()]
    assert [e["type"] for e in lines[:2]] == ["ADDED", "BOOKMARK"]
    assert lines[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert lines[-1]["type"] == "BOOKMARK"  # the stream's last version, as it ends
    status, body = api.request("GET", "/api/v1/services?watch=1&sendInitialEvents=true")
    assert status == 422 and body["reason"] == "Invalid"
    status, body = api.request("GET", "/api/v1/services?watch=1&resourceVersionMatch=Exact&resourceVersion=1")
    assert status == 422


def test_patch_documents_follow_the_rfcs() -> None:
    from skipperd.kubeapi.patch import PatchError, json_patch, merge_patch

    # RFC 7386, appendix A (a selection)
    for target, p, result in [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}), ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}), ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}), (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "foo"}, "bar", "bar"), ({"e": None}, {"a": 1}, {"e": None, "a": 1}), ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ]:
        assert merge_patch(target, p) == result, (target, p)
    doc = {"foo": ["bar", "baz"], "a/b": 1, "m~n": 2}
    assert json_patch(doc, [{"op": "add", "path": "/foo/1", "value": "qux"}])["foo"] == ["bar", "qux", "baz"]
    assert json_patch(doc, [{"op": "add", "path": "/foo/-", "value": "end"}])["foo"] == ["bar", "baz", "end"]
    assert json_patch(doc, [{"op": "remove", "path": "/a~1b"}, {"op": "remove", "path": "/m~0n"}]) == {"foo": ["bar", "baz"]}
    assert json_patch(doc, [{"op": "move", "from": "/foo/0", "path": "/first"}]) == {"foo": ["baz"], "a/b": 1, "m~n": 2, "first": "bar"}
    assert doc == {"foo": ["bar", "baz"], "a/b": 1, "m~n": 2}  # never changed in place
    for ops, code in [
        ([{"op": "test", "path": "/a~1b", "value": True}], 422),  # 1 is not true
        ([{"op": "replace", "path": "/nope", "value": 1}], 422), ([{"op": "remove", "path": "/foo/2"}], 422),
        ([{"op": "add", "path": "/x/y", "value": 1}], 422), ([{"op": "add", "path": "/foo/01", "value": 1}], 422),
        ([{"op": "move", "from": "/foo", "path": "/foo/0"}], 422), ([{"op": "frobnicate", "path": "/"}], 400),
        ({"op": "add"}, 400),
    ]:
        with pytest.raises(PatchError) as exc:
            json_patch(doc, ops)
        assert exc.value.code == code, ops
    assert json_patch(doc, [{"op": "test", "path": "/a~1b", "value": 1.0}]) == doc


def test_watch_from_a_future_version_and_by_name(api: FakeAPI) -> None:
    from kubernetes import client, watch
    from kubernetes.client.exceptions import ApiException

    c = _client(api)
    core = client.CoreV1Api(c)
    future = str(int(api.state()["resourceVersion"]) + 50)
    t0 = time.monotonic()
    with pytest.raises(ApiException) as exc:  # the client turns the ERROR event into an exception
        for _ in watch.Watch().stream(core.list_namespaced_service, "default", resource_version=future, timeout_seconds=10):
            pass
    assert exc.value.status == 504 and "Too large resource version" in str(exc.value.reason)
    assert time.monotonic() - t0 >= 2.9
    # kubectl's `get svc skipper-demo -w`: a watch by field selector, which sees the deletion
    rv = core.list_namespaced_service("default").metadata.resource_version
    events: list[tuple[str, str]] = []

    def follow() -> None:
        for ev in watch.Watch().stream(core.list_namespaced_service, "default", resource_version=rv, timeout_seconds=3,
                                       field_selector="metadata.name=skipper-demo"):
            events.append((ev["type"], ev["object"].metadata.name))

    t = threading.Thread(target=follow)
    t.start()
    time.sleep(0.5)
    api.apply(demo(9090).replace("name: skipper-demo\n  namespace: default\n  labels:", "name: other-svc\n  namespace: default\n  labels:", 1))
    core.delete_namespaced_service("skipper-demo", "default")
    t.join(10)
    assert events == [("DELETED", "skipper-demo")]
