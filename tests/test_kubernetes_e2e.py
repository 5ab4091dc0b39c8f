"""skipperd as an ingress controller, end to end: real skipperd processes, the fake API server.

* the walk-through of Skipper's ingress-controller guide, started with the DaemonSet's flags in
  the in-cluster environment (TLS, a service-account token), two demo backends each a skipperd
  with ``-inline-routes``;
* the API server going away for 30 s under traffic;
* the arbiter replacing a hung route supervisor.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from harness import REPO, Options, Skipperd, free_port
from kube_objects import demo, ingress
from kubefake import FakeAPI

DEMO_PAGE = "<body style='color: white; background-color: green;'><h1>Hello!</h1>"
HOST = "skipper-demo.example.org"
TOKEN = "walkthrough-token"


def daemonset_args() -> list[str]:
    """The container args of deploy/kubernetes/daemonset.yaml, without the program name."""
    text = (REPO / "deploy" / "kubernetes" / "daemonset.yaml").read_text()
    block = text.split("args:", 1)[1]
    args = re.findall(r'^\s*- "(-[^"]*)"\s*$', block, flags=re.M)
    assert args and args[0] == "-kubernetes", args
    return args


def free_port_on(*ips: str) -> int:
    """A port free on every one of these loopback addresses (pods share a port on their IPs)."""
    for _ in range(50):
        port = free_port()
        try:
            for ip in ips:
                with socket.socket() as s:
                    s.bind((ip, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no common free port")


def wait_for(cond: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def get(port: int, path: str, host: str = HOST, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def demo_backend(tmp: Path, ip: str, port: int, name: str) -> Skipperd:
    """A pod of the guide's demo deployment: skipperd with -inline-routes serving the page; it
    says which pod it is in a header so the test sees both in turn."""
    d = tmp / name
    d.mkdir()
    route = f'* -> setResponseHeader("X-Pod", "{name}") -> inlineContent("{DEMO_PAGE}") -> <shunt>'
    s = Skipperd(Options(routes=None, args=["-inline-routes=" + route], support_listener=False), d)
    s.port = port
    orig = s.argv

    def argv() -> list[str]:
        return [a if not a.startswith("-address=") else f"-address={ip}:{port}" for a in orig()]

    s.argv = argv  # type: ignore[method-assign]
    s.start(wait=False)
    conn_deadline = time.monotonic() + 30
    while time.monotonic() < conn_deadline:
        c = http.client.HTTPConnection(ip, port, timeout=1)
        try:
            c.request("GET", "/")
            if c.getresponse().status == 200:
                return s
        except OSError:
            time.sleep(0.05)
        finally:
            c.close()
    raise TimeoutError(f"demo backend {name} did not start:\n{s.log()}")


@pytest.fixture
def walkthrough(tmp_path: Path) -> Any:
    """The fake cluster (TLS, token) with the demo Service, its two pods and the Ingress."""
    port = free_port_on("127.0.0.1", "127.0.0.2")
    pods = [demo_backend(tmp_path, ip, port, f"pod{i}") for i, ip in enumerate(("127.0.0.1", "127.0.0.2"))]
    api = FakeAPI(tmp_path, demo(port), tls=True, token=TOKEN).start()
    started: list[Skipperd] = []
    try:
        yield api, pods, started
    finally:
        for s in started:
            s.stop()
        api.stop()
        for p in pods:
            p.stop()


def controller(tmp_path: Path, api: FakeAPI, started: list[Skipperd], workers: int = 2,
               extra: list[str] | None = None) -> Skipperd:
    """skipperd with the DaemonSet's flags, in the in-cluster environment of the fake API server."""
    d = tmp_path / f"ingress{len(started)}"
    d.mkdir()
    args = [a for a in daemonset_args() if not a.startswith(("-address=", "-wait-first-route-load"))]
    args.append(f"-kubernetes-service-account-dir={api.serviceaccount}")
    opts = Options(routes=None, workers=workers, args=args + list(extra or []), env=api.in_cluster_env(),
                   ready_path="/kube-system/healthz")
    s = Skipperd(opts, d)
    started.append(s)
    return s.start(timeout=60)


def test_daemonset_flags_start_in_cluster(tmp_path: Path) -> None:
    """The DaemonSet's command line starts as the guide writes it (flags of features not built
    yet are accepted with a warning) and reads the cluster through the service account."""
    with FakeAPI(tmp_path, demo(9090), tls=True, token=TOKEN) as api:
        started: list[Skipperd] = []
        s = controller(tmp_path, api, started, extra=["-inline-routes=up: Path(\"/up\") -> status(204) -> <shunt>"])
        try:
            assert s.request("GET", "/up")[0] == 204
            listed = {r["resource"] for r in api.requests() if r["verb"] == "list" and r["status"] == 200}
            assert listed == {"ingresses", "routegroups", "services", "endpoints"}
            log = s.log()
            assert "in-cluster service account" in log
        finally:
            s.stop()


def test_bare_metal_config_with_a_kubeconfig(tmp_path: Path) -> None:
    """conf/skipperd-kubernetes.conf run by hand, as README says, with -kubernetes-kubeconfig
    naming the kubeconfig (under systemd it comes from the credentials directory:
    tests/test_deploy_baremetal.py)."""
    with FakeAPI(tmp_path, demo(9090), tls=True, token=TOKEN) as api:
        etc = tmp_path / "etc"
        etc.mkdir()
        (etc / "skipperd.conf").write_text((REPO / "conf" / "skipperd-kubernetes.conf").read_text())
        (etc / "kubeconfig").write_text(api.kubeconfig.read_text())
        d = tmp_path / "baremetal"
        d.mkdir()
        s = Skipperd(Options(routes=None, ready_path="/", args=[f"-config={etc / 'skipperd.conf'}",
                                                                 f"-kubernetes-kubeconfig={etc / 'kubeconfig'}"]), d)
        with s.start(timeout=60):
            assert "kubernetes: API server https://127.0.0.1:%d (kubeconfig %s" % (api.port, etc / "kubeconfig") in s.log()
            assert {r["resource"] for r in api.requests() if r["verb"] == "watch"} >= {"ingresses", "services"}


def test_walkthrough_with_the_daemonset_flags(walkthrough: Any, tmp_path: Path) -> None:
    api, pods, started = walkthrough
    s = controller(tmp_path, api, started)
    log = s.log()
    assert "kubernetes: API server https://127.0.0.1" in log and "in-cluster service account" in log
    # Both pods serve the host, in turn (round robin over the Endpoints).
    seen = []
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)  # one worker's round robin
    for _ in range(6):
        conn.request("GET", "/", headers={"Host": HOST})
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body, s.log()[-3000:])
        assert body.decode() == DEMO_PAGE
        seen.append(r.getheader("X-Pod"))
    conn.close()
    assert set(seen) == {"pod0", "pod1"}
    assert all(a != b for a, b in zip(seen, seen[1:])), seen
    assert get(s.port, "/", host="unknown.example.org")[0] == 404
    # The Ingress goes away: the host answers 404 within a second.
    t0 = time.monotonic()
    api.delete(ingress(HOST))
    wait_for(lambda: all(get(s.port, "/")[0] == 404 for _ in range(4)), timeout=1.0, what="404 after the delete")
    assert time.monotonic() - t0 < 1.0
    # What it asked the API for is what the ClusterRole grants (see test_cluster_role_is_exact).
    assert {r["verb"] for r in api.requests() if r["resource"]} == {"list", "watch"}
    # The health check route of the converter (-kubernetes-healthcheck, -reverse-source-predicate).
    invalid = s.support("/routes/invalid")[2].decode()
    if "kube__healthz_up" in invalid and "disableAccessLog" in invalid:
        pytest.skip("the disableAccessLog filter (issue 10, access log) is not built yet: "
                    "kube__healthz_up is dropped as invalid")
    assert get(s.port, "/kube-system/healthz", host="anything")[0] == 200


def test_api_outage_under_traffic(walkthrough: Any, tmp_path: Path) -> None:
    api, pods, started = walkthrough
    s = controller(tmp_path, api, started, extra=["-source-poll-timeout=3000"])
    assert get(s.port, "/")[0] == 200
    failures: list[str] = []
    served = [0]
    stop = threading.Event()

    def traffic() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
        while not stop.is_set():
            try:
                conn.request("GET", "/", headers={"Host": HOST})
                r = conn.getresponse()
                body = r.read()
                if r.status != 200 or body.decode() != DEMO_PAGE:
                    failures.append(f"{r.status} {body[:80]!r}")
                served[0] += 1
            except OSError as e:
                failures.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
            time.sleep(0.01)
        conn.close()

    threads = [threading.Thread(target=traffic) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        api.outage(30)
        time.sleep(31)
        back = time.monotonic()
        # Back within a few seconds: a change at the API is served again.
        api.apply(ingress("after-outage.example.org", name="after", service="skipper-demo"))
        wait_for(lambda: get(s.port, "/", host="after-outage.example.org")[0] == 200, timeout=10,
                 what="a change after the outage")
        recovery = time.monotonic() - back
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert failures == [], failures[:5]
    assert served[0] > 500
    assert recovery < 5.0, recovery
    assert "keeping the last good" in s.log()


def test_hung_supervisor_is_replaced(skipperd: Callable[..., Skipperd]) -> None:
    s = skipperd(routes='r: * -> status(204) -> <shunt>;', args=["-worker-timeout=2s"])
    pid = wait_for(s.supervisor_pid, what="the supervisor")
    time.sleep(3)  # longer than the timeout: a supervisor that beats is left alone
    assert s.supervisor_pid() == pid and "sent no heartbeat" not in s.log()
    os.kill(pid, signal.SIGSTOP)  # hung: alive, but its loop no longer runs
    try:
        new = wait_for(lambda: (p := s.supervisor_pid()) and p != pid and p, timeout=10, what="a new supervisor")
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert new != pid
    assert "sent no heartbeat" in s.log()
    assert s.request("GET", "/")[0] == 204


def test_readme_walkthrough_script(tmp_path: Path) -> None:
    """The README's two commands: scripts/kube-demo cluster, then scripts/kube-demo skipperd."""
    import subprocess

    pod_port = free_port_on("127.0.0.1", "127.0.0.2")
    port, support, api_port = free_port(), free_port(), free_port()
    env = dict(os.environ, KUBE_DEMO_DIR=str(tmp_path / "demo"), KUBE_DEMO_API_PORT=str(api_port),
               KUBE_DEMO_POD_PORT=str(pod_port), KUBE_DEMO_ADDRESS=f"127.0.0.1:{port}",
               KUBE_DEMO_SUPPORT=f"127.0.0.1:{support}")
    procs = []
    logs = [open(tmp_path / "cluster.log", "wb"), open(tmp_path / "skipperd.log", "wb")]
    try:
        procs.append(subprocess.Popen([str(REPO / "scripts" / "kube-demo"), "cluster"], env=env, stdout=logs[0],
                                      stderr=subprocess.STDOUT, start_new_session=True))
        wait_for(lambda: (tmp_path / "demo" / "serviceaccount" / "token").exists(), timeout=60, what="the cluster")
        procs.append(subprocess.Popen([str(REPO / "scripts" / "kube-demo"), "skipperd", "-workers=1"], env=env,
                                      stdout=logs[1], stderr=subprocess.STDOUT, start_new_session=True))

        def served() -> Any:
            try:
                return get(port, "/", timeout=1)[0] == 200
            except OSError:
                return False

        wait_for(served, timeout=60, what="the demo page through skipperd")
        pods = {get(port, "/")[1]["x-pod"] for _ in range(4)}
        assert pods == {"127.0.0.1", "127.0.0.2"}
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
        for f in logs:
            f.close()


def test_unreachable_api_does_not_starve_the_heartbeat(skipperd: Callable[..., Skipperd]) -> None:
    """Waiting for the first list never holds the supervisor's loop past its heartbeat timeout."""
    s = skipperd(routes='r: * -> status(204) -> <shunt>;', wait_first_route_load=False,
                 args=["-kubernetes", f"-kubernetes-url=http://127.0.0.1:{free_port()}", "-worker-timeout=2s"])
    pid = wait_for(s.supervisor_pid, what="the supervisor")
    time.sleep(6)
    assert s.supervisor_pid() == pid and "sent no heartbeat" not in s.log(), s.log()[-2000:]
    assert "no complete list yet" in s.log()
