"""The fake Kubernetes API server speaks the real wire format: the official client cannot tell."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

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


def _client(api: FakeAPI) -> Any:
    from kubernetes import client, config

    cfg = client.Configuration()
    config.load_kube_config(config_file=str(api.kubeconfig), client_configuration=cfg, persist_config=False)
    return client.ApiClient(cfg)


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
