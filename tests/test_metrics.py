"""Metrics of real skipperd processes: StatsD datagrams, /metrics summed over workers that come
and go, the support listener's other pages; and the shared-memory slots underneath."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import Options, Skipperd
from skipperd.metrics import keys
from skipperd.metrics.collector import Collector, bucket_bounds
from skipperd.metrics.render import merge, prometheus_text
from skipperd.shm import slots

Start = Callable[..., Skipperd]

ROUTES = '''
hello: Path("/hello") -> inlineContent("hi") -> <shunt>;
teapot: Path("/teapot") -> status(418) -> inlineContent("t") -> <shunt>;
'''


class _Origin(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        code = 503 if self.path.startswith("/fail") else 200
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a: Any) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def scrape(s: Skipperd) -> dict[str, Any]:
    """name{labels} -> value, from the Prometheus text, parsed by prometheus_client."""
    status, headers, body = s.support("/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4"), body
    out: dict[str, Any] = {}
    for fam in text_string_to_metric_families(body.decode()):
        for sample in fam.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


def answered_200(s: Skipperd, expect: float | None = None) -> float:
    """The 200 counter; with ``expect``, waits (briefly) for it: a worker records an exchange just
    after its response went out, so the client may see the answer a moment before the count."""
    def value() -> float:
        m = scrape(s)
        return float(m.get("skipper_response_duration_seconds_count{code=200,method=GET,route=}", 0))
    if expect is None:
        return value()
    deadline = time.monotonic() + 5
    v = value()
    while v < expect and time.monotonic() < deadline:
        time.sleep(0.05)
        v = value()
    return v


# --- StatsD ----------------------------------------------------------------------------------------

class StatsdSink:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.datagrams: list[bytes] = []

    def lines(self) -> list[str]:
        return [ln for d in self.datagrams for ln in d.decode().split("\n")]

    def receive_until(self, done: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.datagrams.append(self.sock.recv(65536))
            except socket.timeout:
                pass
            if done(self.lines()):
                break
        return self.lines()


def _statsd(lines: list[str], name: str, kind: str) -> list[float]:
    out = []
    for ln in lines:
        key, _, rest = ln.partition(":")
        parts = rest.split("|")
        if key == name and len(parts) >= 2 and parts[1] == kind:
            out.append(float(parts[0]))
    return out


@pytest.fixture
def sink() -> Iterator[StatsdSink]:
    s = StatsdSink()
    yield s
    s.sock.close()


def test_statsd_datagrams_carry_skippers_names_and_values(skipperd: Start, origin: str, sink: StatsdSink) -> None:
    routes = ROUTES + f'api: Path("/api") -> "{origin}";\nfail: Path("/fail") -> "{origin}";\n'
    s = skipperd(Options(routes=routes, args=[f"-statsd-address=127.0.0.1:{sink.port}", "-statsd-prefix=sk",
                                              "-statsd-flush-interval=200ms", "-route-response-metrics",
                                              "-route-backend-metrics", "-metrics-flavour="]))
    for _ in range(20):
        assert get(s.port, "/hello") == 200
    for _ in range(5):
        assert get(s.port, "/api") == 200
    assert get(s.port, "/fail") == 503
    assert get(s.port, "/teapot") == 418
    assert get(s.port, "/nowhere") == 404

    def done(lines: list[str]) -> bool:
        return len(_statsd(lines, "sk.all.response.200.GET.skipper", "ms")) >= 25 and \
            len(_statsd(lines, "sk.backend.api", "ms")) >= 5 and len(_statsd(lines, "sk.all.backend.5xx", "ms")) >= 1
    lines = sink.receive_until(done)
    assert len(_statsd(lines, "sk.all.response.200.GET.skipper", "ms")) == 25
    assert len(_statsd(lines, "sk.response.200.GET.skipper.hello", "ms")) == 20
    assert len(_statsd(lines, "sk.response.418.GET.skipper.teapot", "ms")) == 1
    assert len(_statsd(lines, "sk.all.response.404.GET.skipper", "ms")) >= 1  # with the harness's probe
    assert len(_statsd(lines, "sk.backend.api", "ms")) == 5
    assert len(_statsd(lines, "sk.all.backend", "ms")) == 6
    assert len(_statsd(lines, "sk.all.backend.5xx", "ms")) == 1
    assert sum(_statsd(lines, "sk.routefailure", "c")) >= 1
    lookups = _statsd(lines, "sk.routelookup", "ms")
    assert len(lookups) >= 28 and all(0 <= v < 1000 for v in lookups)
    assert all(0 < v < 5000 for v in _statsd(lines, "sk.backend.api", "ms"))
    # Batched: several lines per datagram, never more than one Ethernet frame.
    assert len(sink.datagrams) < len(lines) / 3
    assert all(len(d) <= 1432 for d in sink.datagrams)
    # The route supervisor ships the table gauges too.
    sink.receive_until(lambda ls: bool(_statsd(ls, "sk.routes.total", "g")), timeout=5)
    assert _statsd(sink.lines(), "sk.routes.total", "g")[-1] == 4


# --- Prometheus across workers that come and go ------------------------------------------------------

@pytest.mark.slow
def test_prometheus_request_counter_survives_sigkill_and_sighup(skipperd: Start) -> None:
    s = skipperd(Options(routes=ROUTES, workers=2, args=["-metrics-flavour=prometheus"]))
    workers = s.wait_workers(2)
    for _ in range(60):
        assert get(s.port, "/hello") == 200
    assert answered_200(s, 60) == 60
    # A worker shows on the status page once it has taken its slot.
    served = s.wait_for(lambda: (lambda ws: ws if len(ws) == 2 else None)(
        json.loads(s.support("/status?format=json")[2])["workers"]))
    assert sum(w["requests"] for w in served) >= 60

    victim = workers[0]
    import os
    os.kill(victim, signal.SIGKILL)
    after_kill = s.wait_workers(2, exclude={victim})
    assert answered_200(s) == 60, "the killed worker's counts stay"
    for _ in range(40):
        assert get(s.port, "/hello") == 200
    assert answered_200(s, 100) == 100
    status = s.wait_for(lambda: (lambda d: d if {w["pid"] for w in d["workers"]} == set(after_kill) else None)(
        json.loads(s.support("/status?format=json")[2])))
    assert {w["slot"] for w in status["workers"]} == {1, 2}, "the new worker took the free slot"

    s.signal(signal.SIGHUP)
    s.wait_for(lambda: not set(s.worker_pids()) & set(after_kill) and len(s.worker_pids()) == 2, timeout=30)
    assert answered_200(s) == 100, "rotated workers' counts stay"
    for _ in range(30):
        assert get(s.port, "/hello") == 200
    assert answered_200(s, 130) == 130
    m = scrape(s)
    assert m["skipper_proxy_total_duration_seconds_count{}"] >= 130
    assert m["skipper_route_lookup_duration_seconds_count{}"] >= 130
    assert m['skipper_custom_gauges{key=routes.total}'] == 2
    st = s.wait_for(lambda: (lambda d: d if d["all_current"] and len(d["workers"]) == 2 else None)(
        json.loads(s.support("/status?format=json")[2])))
    assert all(w["generation"] == st["generation"] > 0 for w in st["workers"])


def test_prometheus_families_buckets_and_per_route_flags(skipperd: Start, origin: str) -> None:
    routes = ROUTES + f'api: Path("/api") -> "{origin}";\n'
    s = skipperd(Options(routes=routes, args=["-metrics-flavour=codahale,prometheus", "-serve-host-metrics",
                                              "-histogram-metric-buckets=0.001,0.5,3", "-backend-host-metrics",
                                              "-enable-connection-metrics"]))
    for _ in range(3):
        get(s.port, "/api", {"Host": "app.example.org:8080"})
    get(s.port, "/teapot")
    # Recorded just after each response went out: wait for the last one.
    m = s.wait_for(lambda: (lambda d: d if d.get(
        "skipper_response_duration_seconds_count{code=418,method=GET,route=}") == 1 else None)(scrape(s)))
    les = sorted(float(k.split("le=")[1].split(",")[0].rstrip("}")) for k in m
                 if k.startswith("skipper_backend_combined_duration_seconds_bucket"))
    assert les == [0.001, 0.5, 3.0, float("inf")]
    assert m["skipper_backend_combined_duration_seconds_count{}"] == 3
    host = origin.split("//")[1]
    assert m[f"skipper_backend_duration_seconds_count{{host={host},route=,zone=}}"] == 3
    assert m["skipper_serve_host_duration_seconds_count{code=200,host=app_example_org__8080,method=GET}"] == 3
    assert m["skipper_response_duration_seconds_count{code=418,method=GET,route=}"] == 1
    assert not any("route=api" in k or "route=teapot" in k for k in m), "per-route keys only when asked for"
    assert m["skipper_custom_total{key=lb-conn-new}"] >= 4
    # The codahale flavour on the same port, as Skipper serves both.
    status, _, body = s.request("GET", "/metrics", headers={"Accept": "application/codahale+json"},
                                port=s.support_port)
    doc = json.loads(body)
    assert doc["timers"]["skipper.all.backend"]["count"] == 3
    assert doc["timers"]["skipper.servehost.app_example_org__8080.GET.200"]["count"] == 3
    t = doc["timers"]["skipper.routelookup"]
    assert t["min"] <= t["median"] <= t["99%"] <= t["max"] and t["count"] >= 5
    assert doc["counters"]["skipper.lb-conn-new"]["count"] >= 4
    assert doc["gauges"]["skipper.routes.total"]["value"] == 3
    # /metrics/<prefix> narrows the codahale document.
    only = json.loads(s.request("GET", "/metrics/all.backend", headers={"Accept": "application/codahale+json"},
                                port=s.support_port)[2])
    assert set(only["timers"]) == {"skipper.all.backend"}


def test_codahale_default_and_exp_decay(skipperd: Start) -> None:
    s = skipperd(Options(routes=ROUTES, args=["-metrics-exp-decay-sample", "-metrics-prefix=sk."]))
    for _ in range(5):
        get(s.port, "/hello")
    doc = s.wait_for(lambda: (lambda d: d if d["timers"].get("sk.all.response.200.GET.skipper", {}).get(
        "count") == 5 else None)(json.loads(s.support("/metrics")[2])))
    status, headers, body = s.support("/metrics")
    assert headers["content-type"] == "application/json"
    assert doc["timers"]["sk.all.response.200.GET.skipper"]["count"] == 5
    assert doc["timers"]["sk.proxy.total"]["count"] >= 5
    assert doc["gauges"]["sk.routes.generation"]["value"] == 1


def test_metrics_off(skipperd: Start) -> None:
    s = skipperd(Options(routes=ROUTES, args=["-metrics-flavour="]))
    assert get(s.port, "/hello") == 200
    assert s.support("/metrics")[0] == 404
    assert s.support("/healthz")[0] == 200


# --- the support listener's other pages ----------------------------------------------------------------

def test_routes_json_paging_and_status(skipperd: Start) -> None:
    routes = "".join(f'r{i}: Path("/r{i}") && Header("X", "{i}") -> setResponseHeader("A", "{i}") -> '
                     f'<roundRobin, "http://127.0.0.1:1", "http://127.0.0.1:2">;\n' for i in range(10))
    routes += 'bad: Path("/bad") -> enableAccessLog("no") -> <shunt>;\n'
    s = skipperd(Options(routes=routes, workers=2))
    status, headers, body = s.request("GET", "/routes?format=json&offset=2&limit=3", port=s.support_port)
    assert status == 200 and headers["x-count"] == "10" and headers["content-type"] == "application/json"
    doc = json.loads(body)
    assert [r["id"] for r in doc] == ["r2", "r3", "r4"]
    assert doc[0]["predicates"] == [{"name": "Path", "args": ["/r2"]}, {"name": "Header", "args": ["X", "2"]}]
    assert doc[0]["filters"] == [{"name": "setResponseHeader", "args": ["A", "2"]}]
    assert doc[0]["backend"] == {"type": "lb", "algorithm": "roundRobin",
                                 "endpoints": ["http://127.0.0.1:1", "http://127.0.0.1:2"]} or \
        doc[0]["backend"]["endpoints"] == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    status, _, eskip = s.support("/routes?offset=9&limit=5")
    assert eskip.decode().count("->") >= 1 and b"r9" in eskip and b"r8:" not in eskip
    assert s.request("GET", "/routes", headers={"Accept": "application/json"}, port=s.support_port)[1][
        "content-type"] == "application/json"
    assert s.support("/routes?limit=x")[0] == 400 and s.support("/routes?offset=-1")[0] == 400
    status, _, body = s.support("/routes/invalid")
    assert [i["route_id"] for i in json.loads(body)] == ["bad"]
    # A worker shows once it has taken its slot, soon after its process appears.
    st = s.wait_for(lambda: (lambda d: d if len(d["workers"]) == 2 and d["all_current"] else None)(
        json.loads(s.support("/status?format=json")[2])))
    assert all(w["age_seconds"] >= 0 and w["generation"] == 1 for w in st["workers"])
    text = s.support("/status")[2].decode()
    assert "route supervisor: generation 1, 10 routes, 1 invalid" in text
    assert "every worker serves the latest routes" in text and text.count(" yes ") == 2, text


# --- the slots themselves ------------------------------------------------------------------------------

@pytest.fixture
def instance() -> Iterator[str]:
    name = "tm" + uuid.uuid4().hex[:10]
    yield name
    slots.remove(name)


def test_slot_continues_its_predecessors_counts(instance: str) -> None:
    bounds = bucket_bounds(())
    slots.create(instance, 4, bounds)
    a = Collector(slots.Slot(instance, 1), None, bounds)
    a.count(keys.name("routefailure"), 3)
    a.observe(keys.name("routelookup"), 0.002)
    a.gauge("conns", 5)
    # The process dies without detaching; its successor takes the same slot.
    b = Collector(slots.Slot(instance, 1), None, bounds)
    b.count(keys.name("routefailure"))
    b.observe(keys.name("routelookup"), 7.0)
    views = slots.Reader(instance).slots()
    assert [v.index for v in views] == [1] and views[0].boots == 2
    m = merge(views, len(bounds))
    assert m.counters["routefailure"] == 4
    h = m.histograms["routelookup"]
    assert sum(h[:len(bounds) + 1]) == 2 and abs(h[len(bounds) + 1] - 7.002) < 1e-9
    fams = {f.name: f for f in text_string_to_metric_families(prometheus_text(m, bounds, ()))}
    assert fams["skipper_route_error"].samples[0].value == 4
    lookup = {s.labels.get("le"): s.value for s in fams["skipper_route_lookup_duration_seconds"].samples
              if s.name.endswith("_bucket")}
    assert lookup["0.005"] == 1 and lookup["5.0"] == 1 and lookup["10.0"] == 2 and lookup["+Inf"] == 2


def test_a_full_slot_drops_new_names_and_counts_them(instance: str) -> None:
    bounds = bucket_bounds(())
    slots.create(instance, 2, bounds)
    c = Collector(slots.Slot(instance, 1), None, bounds)
    n = 0
    while True:
        before = slots.Reader(instance).slots()[0].dropped if n % 500 == 0 else 0
        c.observe(keys.name("custom_timer", f"k{n}"), 0.001)
        n += 1
        if before or n > 20000:
            break
    v = slots.Reader(instance).slots()[0]
    assert v.dropped > 0 and 1000 < len(v.histograms) < n


def test_codahale_keys_and_host_keys() -> None:
    assert keys.codahale_key(keys.name("response", "200", "GET", "")) == "all.response.200.GET.skipper"
    assert keys.codahale_key(keys.name("response", "404", "PUT", "r1")) == "response.404.PUT.skipper.r1"
    assert keys.codahale_key(keys.name("servehost", "", "GET", "a_b")) == "servehost.a_b.GET"
    assert keys.codahale_key(keys.name("backend", "r1", "", "")) == "backend.r1"
    assert keys.host_for_key("app.example.org:8080") == "app_example_org__8080"
    assert keys.host_for_key('x"\n') == "x__"
    assert keys.measured_method("BREW") == "_unknownmethod_"


def test_segment_is_removed_with_the_instance(instance: str) -> None:
    from skipperd.shm.segment import cleanup_stale

    slots.create(instance, 2, bucket_bounds(()))
    assert Path(f"/dev/shm/skipperd-{instance}-met").exists()
    assert cleanup_stale(instance) == 1
    assert not Path(f"/dev/shm/skipperd-{instance}-met").exists()
