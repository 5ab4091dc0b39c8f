"""The process tree under an operator's hands: route changes, SIGHUP, SIGKILL, SIGTERM, systemd.

Every test starts real skipperd processes and talks HTTP to them on loopback.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from harness import REPO, Options, Skipperd

Start = Callable[..., Skipperd]

HELLO = 'hello: Path("/hello") -> inlineContent("v1") -> <shunt>;\n'


def _served_by_each_worker(s: Skipperd, path: str) -> dict[int, bytes]:
    """Ask every worker in turn: the others are stopped, so only one can accept the connection."""
    out: dict[int, bytes] = {}
    workers = s.worker_pids()
    for w in workers:
        others = [p for p in workers if p != w]
        for p in others:
            os.kill(p, signal.SIGSTOP)
        try:
            _, _, body = s.request("GET", path)
            out[w] = body
        finally:
            for p in others:
                os.kill(p, signal.SIGCONT)
    return out


def test_routes_file_change_is_served_by_every_worker(skipperd: Start) -> None:
    s = skipperd(routes=HELLO, workers=2)
    s.wait_workers(2)
    assert set(_served_by_each_worker(s, "/hello").values()) == {b"v1"}
    gen = s.generation()
    t0 = time.monotonic()
    s.write_routes(HELLO.replace("v1", "v2"))
    s.wait_for(lambda: s.generation() > gen, timeout=5)
    assert time.monotonic() - t0 < 2.0, "a routes-file change is picked up within a second"
    # Each worker swaps tables between requests; give a stopped-then-continued worker its turn.
    s.wait_for(lambda: set(_served_by_each_worker(s, "/hello").values()) == {b"v2"}, timeout=5)


def test_invalid_route_dropped_alone_and_reported(skipperd: Start) -> None:
    s = skipperd(routes=HELLO + 'bad: Path("/bad") -> noSuchFilter() -> <shunt>;\n')
    assert s.request("GET", "/hello")[2] == b"v1"
    assert s.request("GET", "/bad")[0] == 404
    status, _, body = s.support("/routes/invalid")
    assert status == 200 and b"bad" in body and b"noSuchFilter" in body


def test_syntax_error_keeps_last_good_table(skipperd: Start) -> None:
    s = skipperd(routes=HELLO)
    gen = s.generation()
    s.write_routes("hello: Path(/hello) -> ")
    time.sleep(1.5)
    assert s.generation() == gen
    assert s.request("GET", "/hello")[2] == b"v1"


class Load:
    """Bounded background load: a fresh connection per request, and a keep-alive client.

    The keep-alive client retries an idempotent request once when the server closed the idle
    connection before sending any byte of the response, as HTTP clients do (RFC 9112 §9.3.1).
    """

    def __init__(self, port: int, path: str, limit_s: float = 30.0) -> None:
        self.port, self.path, self.limit = port, path, limit_s
        self.ok = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._fresh), threading.Thread(target=self._keepalive)]

    def __enter__(self) -> "Load":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(10)

    def _check(self, status: int, body: bytes) -> None:
        if status == 200 and body == b"v1":
            self.ok += 1
        else:
            self.failures.append(f"{status} {body[:80]!r}")

    def _fresh(self) -> None:
        deadline = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                c.request("GET", self.path)
                r = c.getresponse()
                self._check(r.status, r.read())
            except Exception as e:  # any failure counts
                self.failures.append(repr(e))
            finally:
                c.close()

    def _keepalive(self) -> None:
        deadline = time.monotonic() + self.limit
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self._stop.is_set() and time.monotonic() < deadline:
            for attempt in (1, 2):
                try:
                    c.request("GET", self.path)
                    r = c.getresponse()
                    self._check(r.status, r.read())
                    break
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    if attempt == 2:
                        self.failures.append(repr(e))
                except Exception as e:
                    self.failures.append(repr(e))
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    break
        c.close()


def test_sighup_rotates_workers_without_failing_requests(skipperd: Start) -> None:
    s = skipperd(Options(routes=HELLO, config={"workers": 2}))
    before = set(s.wait_workers(2))
    with Load(s.port, "/hello") as load:
        time.sleep(0.5)
        s.signal(signal.SIGHUP)
        s.wait_for(lambda: not before & set(s.worker_pids()) and len(s.worker_pids()) == 2, timeout=20)
        time.sleep(0.5)
        # The config file is re-read: the worker count follows it.
        rotated = set(s.worker_pids())
        s.config_file.write_text("workers: 3\n")
        s.signal(signal.SIGHUP)
        s.wait_for(lambda: len(s.worker_pids()) == 3 and not rotated & set(s.worker_pids()), timeout=20)
        time.sleep(0.5)
    assert load.failures == []
    assert load.ok > 50


def test_sighup_rereads_routes(skipperd: Start) -> None:
    s = skipperd(routes=HELLO)
    sup = s.supervisor_pid()
    s.write_routes(HELLO.replace("v1", "v2"))
    s.signal(signal.SIGHUP)
    s.wait_for(lambda: s.request("GET", "/hello")[2] == b"v2", timeout=5)
    s.wait_for(lambda: s.supervisor_pid() not in (None, sup), timeout=5)


def test_sigkill_of_worker_and_supervisor_keeps_traffic(skipperd: Start) -> None:
    s = skipperd(routes=HELLO, workers=2)
    workers = s.wait_workers(2)
    with Load(s.port, "/hello", limit_s=30) as load:
        time.sleep(0.3)
        os.kill(workers[0], signal.SIGKILL)
        s.wait_workers(2, exclude={workers[0]})
        sup = s.supervisor_pid()
        assert sup
        gen = s.generation()
        os.kill(sup, signal.SIGKILL)
        s.wait_for(lambda: s.supervisor_pid() not in (None, sup), timeout=10)
        time.sleep(0.5)
    # A killed worker takes its own in-flight requests with it; the load must otherwise succeed.
    assert load.ok > 50
    assert len(load.failures) <= 2, load.failures
    # The restarted supervisor kept the table and continues the generations.
    s.wait_for(lambda: s.support("/routes")[0] == 200, timeout=5)
    assert s.generation() >= gen
    s.write_routes(HELLO.replace("v1", "v3"))
    s.wait_for(lambda: s.request("GET", "/hello")[2] == b"v3", timeout=5)
    assert s.generation() > gen


def test_sigterm_drains_then_exits(skipperd: Start) -> None:
    routes = HELLO + (
        'health: Path("/healthz") -> status(200) -> <shunt>;\n'
        'health_down: Path("/healthz") && Shutdown() -> status(503) -> <shunt>;\n')
    s = skipperd(routes=routes, drain="2s")
    assert s.request("GET", "/healthz")[0] == 200
    t0 = time.monotonic()
    s.signal(signal.SIGTERM)
    s.wait_for(lambda: s.request("GET", "/healthz")[0] == 503, timeout=2)
    assert s.support("/healthz")[0] == 503
    assert s.request("GET", "/hello")[2] == b"v1", "traffic is served during the drain"
    assert s.proc is not None
    assert s.proc.wait(15) == 0
    assert time.monotonic() - t0 >= 1.9
    assert not list(Path("/dev/shm").glob(f"skipperd-{s.instance}-*")), "segments removed at exit"


def test_wait_first_route_load_holds_traffic(skipperd: Start) -> None:
    s = skipperd(Options(routes="this is not eskip"), wait=False)
    time.sleep(1.0)
    with pytest.raises(OSError):  # accepted by the kernel, but no worker serves yet
        s.request("GET", "/hello", timeout=0.5)
    s.write_routes(HELLO)
    s.wait_ready()
    assert s.request("GET", "/hello")[2] == b"v1"


def test_without_wait_first_route_load_serves_404_until_routes(skipperd: Start) -> None:
    s = skipperd(Options(routes="this is not eskip", wait_first_route_load=False))
    assert s.request("GET", "/hello")[0] == 404
    s.write_routes(HELLO)
    s.wait_for(lambda: s.request("GET", "/hello")[2] == b"v1", timeout=5)


def test_two_instances_keep_separate_tables(skipperd: Start) -> None:
    a = skipperd(routes=HELLO, args=["-instance-name="])  # derived from the addresses
    b = skipperd(routes=HELLO.replace("v1", "other"), args=["-instance-name="])
    assert a.request("GET", "/hello")[2] == b"v1"
    assert b.request("GET", "/hello")[2] == b"other"
    a.write_routes(HELLO.replace("v1", "a2"))
    a.wait_for(lambda: a.request("GET", "/hello")[2] == b"a2", timeout=5)
    assert b.request("GET", "/hello")[2] == b"other"


def test_stale_segment_of_crashed_instance_is_cleaned_up(skipperd: Start, tmp_path: Path) -> None:
    s = skipperd(Options(routes=HELLO), wait=False)
    s.stop(signal.SIGKILL)  # kill -9 the arbiter: nothing cleans up
    s2 = Skipperd(Options(routes=HELLO.replace("v1", "fresh")), tmp_path / "again")
    (tmp_path / "again").mkdir()
    s2.instance = s.instance
    junk = Path(f"/dev/shm/skipperd-{s.instance}-ctl")
    junk.write_bytes(b"garbage left behind" * 10)
    Path(f"/dev/shm/skipperd-{s.instance}-g7").write_bytes(b"more garbage")
    try:
        s2.start()
        assert s2.request("GET", "/hello")[2] == b"fresh"
    finally:
        s2.stop()


def test_demo_configuration(tmp_path: Path) -> None:
    """conf/skipperd.conf and conf/routes.eskip, as ./scripts/run serves them (on another port)."""
    routes = (REPO / "conf" / "routes.eskip").read_text()
    d = Skipperd(Options(routes=None, ready_path="/"), tmp_path)
    demo_routes = tmp_path / "demo.eskip"
    demo_routes.write_text(routes.replace("http://127.0.0.1:9999", f"http://127.0.0.1:{d.port}"))
    d.opts.args = [f"-config={REPO / 'conf' / 'skipperd.conf'}", f"-routes-file={demo_routes}",
                   f"-address=127.0.0.1:{d.port}", "-workers=1"]
    with d.start():
        status, headers, body = d.request("GET", "/", headers={"Host": "skipper-demo.example.org"})
        assert status == 200 and b"<h1>Hello!</h1>" in body
        assert headers["content-type"].startswith("text/html")
        status, headers, body = d.request("GET", "/hello")
        assert status == 200 and body == b"Hello from behind the proxy!\n"
        assert headers.get("x-proxied-by") == "skipperd"
        assert d.request("GET", "/kube-system/healthz")[0] == 200


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = (REPO / "systemd" / "skipperd.service").read_text()
    exe = Path(sys.executable).parent / "skipperd"
    assert "ExecStart=/opt/skipperd/.venv/bin/skipperd " in unit
    assert "Type=notify" in unit and "ExecReload=/bin/kill -HUP $MAINPID" in unit
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert hardening in unit
    copy = tmp_path / "skipperd.service"
    copy.write_text(unit.replace("/opt/skipperd/.venv/bin/skipperd", str(exe)))
    p = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "skipperd.service" not in p.stderr, p.stderr


def test_systemd_notify_ready_after_first_table(skipperd: Start, tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    messages: list[bytes] = []

    def drain() -> list[bytes]:
        try:
            while True:
                messages.append(sock.recv(4096))
        except socket.timeout:
            pass
        return messages

    try:
        s = skipperd(Options(routes="not eskip", env={"NOTIFY_SOCKET": path}), wait=False)
        time.sleep(1.5)
        assert not any(b"READY=1" in m for m in drain()), "not ready before the first route table"
        s.write_routes(HELLO)
        s.wait_for(lambda: any(b"READY=1" in m for m in drain()), timeout=10)
        s.signal(signal.SIGTERM)
        s.wait_for(lambda: any(b"STOPPING=1" in m for m in drain()), timeout=10)
    finally:
        sock.close()


def test_children_exit_when_the_arbiter_is_killed(skipperd: Start) -> None:
    s = skipperd(routes=HELLO, workers=1)
    children = s.children()
    assert s.supervisor_pid() in children and s.worker_pids()
    os.kill(s.pid, signal.SIGKILL)  # only the arbiter: its children are orphaned

    def gone() -> bool:
        return not any(Path(f"/proc/{p}").exists() and "zombie" not in _state(p) for p in children)

    s.wait_for(gone, timeout=10)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split("\n", 1)[0]
    except (OSError, IndexError):
        return "zombie"
