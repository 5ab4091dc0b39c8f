"""``skipperd webhook`` as a real process on loopback: AdmissionReviews for Ingresses and RouteGroups
are allowed or refused with Skipper's validation messages; what is not a review is a 4xx; TLS."""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from harness import CONFORMANCE, conformance_missing, free_port

ADMISSION = CONFORMANCE / "kubernetes-admission"
MISSING = conformance_missing("kubernetes-admission")


class Webhook:
    def __init__(self, port: int, proc: subprocess.Popen[bytes], tls: ssl.SSLContext | None = None) -> None:
        self.port = port
        self.proc = proc
        self.tls = tls

    def conn(self) -> http.client.HTTPConnection:
        if self.tls is not None:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10, context=self.tls)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(self, method: str, path: str, body: bytes = b"",
                content_type: str | None = "application/json") -> tuple[int, bytes]:
        c = self.conn()
        headers = {"Content-Type": content_type} if content_type else {}
        c.request(method, path, body=body if body or method == "POST" else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data


def _start(args: list[str], tls: ssl.SSLContext | None = None) -> Webhook:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "skipperd", "webhook", f"-address=127.0.0.1:{port}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    hook = Webhook(port, proc, tls)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if hook.request("GET", "/healthz") == (200, b"ok"):
                return hook
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"webhook did not start: {proc.communicate()[0].decode()}")


def _stop(hook: Webhook) -> None:
    hook.proc.send_signal(signal.SIGTERM)
    try:
        hook.proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        hook.proc.kill()
        hook.proc.communicate()
    assert hook.proc.returncode == 0  # SIGTERM is a clean stop


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = _start([])
    yield hook
    _stop(hook)


def review(obj: dict[str, Any], uid: str = "uid-1") -> bytes:
    return json.dumps({"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
                       "request": {"uid": uid, "operation": "CREATE", "object": obj}}).encode()


def _response(data: bytes) -> dict[str, Any]:
    got = json.loads(data)
    assert got["kind"] == "AdmissionReview" and got["apiVersion"] == "admission.k8s.io/v1"
    assert "request" not in got
    return got["response"]  # type: ignore[no-any-return]


RG = {"apiVersion": "zalando.org/v1", "kind": "RouteGroup", "metadata": {"name": "rg", "namespace": "ns"},
      "spec": {"hosts": ["a.org"], "backends": [{"name": "b", "type": "shunt"}],
               "defaultBackends": [{"backendName": "b"}]}}


def test_valid_routegroup_is_allowed(webhook: Webhook) -> None:
    status, data = webhook.request("POST", "/routegroups", review(RG, "abc"))
    assert status == 200
    assert _response(data) == {"uid": "abc", "allowed": True}


def test_invalid_routegroup_is_refused_with_every_error(webhook: Webhook) -> None:
    bad = json.loads(json.dumps(RG))
    bad["spec"]["hosts"] = ["a.org", "a.org"]
    bad["spec"]["routes"] = [{"filters": ["status(201) -> inlineContent(\"hi\")"]}]
    status, data = webhook.request("POST", "/routegroups", review(bad))
    assert status == 200
    assert _response(data) == {"uid": "uid-1", "allowed": False, "status": {"message":
                               'single filter expected at "status(201) -> inlineContent(\\"hi\\")"\n'
                               'duplicate host "a.org"'}}


def test_ingress_annotations_are_validated(webhook: Webhook) -> None:
    ing = {"metadata": {"name": "i", "namespace": "ns", "annotations": {
        "zalando.org/skipper-filter": "this is not a filter", "zalando.org/skipper-loadbalancer": "fastest"}},
        "spec": {}}
    status, data = webhook.request("POST", "/ingresses", review(ing))
    assert status == 200
    assert _response(data) == {"uid": "uid-1", "allowed": False, "status": {"message":
                               'invalid "zalando.org/skipper-filter" annotation: parse failed after token is, '
                               'position 7: syntax error\n'
                               'invalid "zalando.org/skipper-loadbalancer" annotation: unsupported algorithm'}}
    ing["metadata"]["annotations"] = {"zalando.org/skipper-filter": 'setPath("/")'}
    assert _response(webhook.request("POST", "/ingresses", review(ing))[1]) == {"uid": "uid-1", "allowed": True}


@pytest.mark.parametrize("method, path, body, content_type, status", [
    ("GET", "/ingresses", b"", "application/json", 400),
    ("POST", "/ingresses", review(RG), "text/plain", 400),
    ("POST", "/ingresses", b"{not json", "application/json", 400),
    ("POST", "/ingresses", b'{"kind": "AdmissionReview"}', "application/json", 400),  # no request
    ("POST", "/routegroups", review({"metadata": {"name": 7}}), "application/json", 400),  # not decodable
    ("POST", "/nowhere", review(RG), "application/json", 404),
])
def test_what_is_not_a_review_is_a_client_error(webhook: Webhook, method: str, path: str, body: bytes,
                                                 content_type: str, status: int) -> None:
    assert webhook.request(method, path, body, content_type)[0] == status


def test_oversized_body_is_refused(webhook: Webhook) -> None:
    c = webhook.conn()
    c.putrequest("POST", "/routegroups")
    c.putheader("Content-Type", "application/json")
    c.putheader("Content-Length", str(4 * 1024 * 1024))
    c.endheaders()
    r = c.getresponse()
    assert r.status == 413
    c.close()


def test_metrics_count_admissions(webhook: Webhook) -> None:
    webhook.request("POST", "/routegroups", review(RG))
    webhook.request("POST", "/routegroups", b"{")
    status, data = webhook.request("GET", "/metrics", content_type=None)
    text = data.decode()
    assert status == 200
    assert 'routegroup_admission_admitter_successful_admissions{admitter="routegroup"} 1' in text
    assert 'routegroup_admission_admitter_invalid_requests{admitter="routegroup"} 1' in text
    assert 'routegroup_admission_admitter_requests{admitter="routegroup"} 2' in text


@pytest.mark.skipif(bool(MISSING), reason=MISSING)
def test_shared_admission_cases(webhook: Webhook) -> None:
    expected = yaml.safe_load((ADMISSION / "expected.yaml").read_text())
    n = 0
    for section, path in (("routegroup", "/routegroups"), ("ingress", "/ingresses")):
        for entry in expected[section]:
            body = (ADMISSION / entry["file"]).read_bytes()
            status, data = webhook.request("POST", path, body)
            assert status == 200, entry["file"]
            want: dict[str, Any] = {"uid": json.loads(body)["request"]["uid"], "allowed": entry["allowed"]}
            if not entry["allowed"]:
                want["status"] = {"message": entry["message"]}
            assert _response(data) == want, entry["file"]
            n += 1
    assert n == len(expected["routegroup"]) + len(expected["ingress"]) >= 15


def test_flags_are_checked() -> None:
    proc = subprocess.run([sys.executable, "-m", "skipperd", "webhook", "-tls-cert-file=/x.pem"],
                          capture_output=True, text=True, timeout=30, env={**os.environ, "KEY_FILE": ""})
    assert proc.returncode == 2 and "both of TLS cert & key" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "skipperd", "webhook", "-nosuchflag"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "unknown flag -nosuchflag" in proc.stderr


def test_tls(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    client = ssl.create_default_context()
    ca.configure_trust(client)
    hook = _start([f"-tls-cert-file={cert_file}", f"-tls-key-file={key_file}"], tls=client)
    try:
        status, data = hook.request("POST", "/routegroups", review(RG))
        assert status == 200 and _response(data)["allowed"] is True
    finally:
        _stop(hook)
