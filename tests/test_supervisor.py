"""The route supervisor as a real process: sources in, shared-memory table and support listener out.

Each test starts ``run_supervisor`` in a subprocess (gevent-patched, as the arbiter's child is)
with its own instance name and a support socket bound here on 127.0.0.1:0 and passed by file
descriptor, exactly the socket object the arbiter would hand over. The table is checked through
``TableReader`` as a worker sees it.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from skipperd.eskip import parse
from skipperd.shm.codec import decode_table
from skipperd.shm.segment import TableReader, cleanup_stale
from skipperd.supervisor import EXIT_SHM

REPO = Path(__file__).resolve().parents[1]

HELLO = 'hello: Path("/hello") -> inlineContent("v1") -> <shunt>;\n'
OTHER = 'other: Path("/other") -> status(204) -> <shunt>;\n'

SCRIPT = """
from gevent import monkey
monkey.patch_all()
import os, socket, sys
from skipperd.config import Settings
from skipperd.logs import configure_logging
from skipperd.supervisor import run_supervisor
routes_file, inline, instance, fd = sys.argv[1:5]
settings = Settings(routes_file=routes_file, inline_routes=inline, instance_name=instance,
                    application_log_level="DEBUG")
configure_logging(settings)
sock = socket.socket(fileno=int(fd)) if int(fd) >= 0 else None
os._exit(run_supervisor(settings, instance, sock, False))
"""


class Supervisor:
    def __init__(self, tmp: Path, instance: str) -> None:
        self.tmp = tmp
        self.instance = instance
        self.routes_file = tmp / "routes.eskip"
        self.log_file = tmp / "supervisor.log"
        self.inline = ""
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.proc: subprocess.Popen[bytes] | None = None
        self.reader = TableReader(instance)

    def start(self, instance: str | None = None) -> "Supervisor":
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SCRIPT, str(self.routes_file), self.inline, instance or self.instance,
                 str(self.sock.fileno())],
                stdout=log, stderr=subprocess.STDOUT, pass_fds=[self.sock.fileno()], env=env)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def write(self, text: str) -> None:
        tmp = self.routes_file.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.routes_file)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def table(self) -> tuple[int, list[str]]:
        got = self.reader.read()
        assert got is not None, "nothing published"
        routes, _ = decode_table(got[1])
        return got[0], [r.id for r in routes]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"supervisor exited with {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s:\n{self.log()[-4000:]}")
            time.sleep(0.01)

    def wait_generation(self, gen: int, timeout: float = 5.0) -> float:
        """Seconds until the published generation reached ``gen``."""
        t0 = time.monotonic()
        self.wait_for(lambda: self.reader.generation() >= gen, timeout)
        return time.monotonic() - t0

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.sock.close()
        self.reader.close()
        cleanup_stale(self.instance)


@pytest.fixture
def sup(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Supervisor]:
    s = Supervisor(tmp_path, "t" + uuid.uuid4().hex[:10])
    yield s
    s.close()


def test_publishes_and_picks_up_changes_within_a_second(sup: Supervisor) -> None:
    sup.write(HELLO)
    sup.start().wait_generation(1, timeout=10)
    assert sup.table() == (1, ["hello"])
    status, headers, body = sup.get("/routes")
    assert status == 200 and headers["x-route-generation"] == "1" and headers["x-count"] == "1"
    assert b'hello: Path("/hello")' in body
    assert sup.get("/healthz")[:3:2] == (200, b"ok\n")

    sup.write(HELLO + OTHER)  # replaced by a rename, as editors and the harness do
    assert sup.wait_generation(2) < 1.0
    assert sup.table() == (2, ["hello", "other"])

    # Rewritten in place with text of the same size, inside the same second.
    with open(sup.routes_file, "r+") as f:
        f.write(HELLO.replace("v1", "v2") + OTHER)
    assert sup.wait_generation(3) < 1.0
    assert b'"v2"' in sup.get("/routes")[2]
    assert "route table generation 3: 2 routes (0 invalid), published in" in sup.log()


def test_invalid_route_is_dropped_alone_and_listed(sup: Supervisor) -> None:
    sup.write(HELLO + 'bad: Path("/bad") -> noSuchFilter() -> <shunt>;\n' + OTHER)
    sup.start().wait_generation(1, timeout=10)
    assert sup.table() == (1, ["hello", "other"])
    status, _, body = sup.get("/routes/invalid")
    invalid = json.loads(body)
    assert status == 200 and len(invalid) == 1
    assert invalid[0]["route_id"] == "bad" and "noSuchFilter" in invalid[0]["reason"]
    assert invalid[0]["source"] == f"routes file {sup.routes_file}"
    # Skipper's codahale keys carry -metrics-prefix ("skipper." by default).
    gauges = json.loads(sup.get("/metrics")[2])["gauges"]
    assert gauges["skipper.routes.total"]["value"] == 2 and gauges["skipper.routes.invalid"]["value"] == 1
    assert gauges["skipper.routes.generation"]["value"] == 1
    assert abs(gauges["skipper.routes.updated_timestamp"]["value"] - time.time()) < 30
    assert [v["value"] for k, v in gauges.items() if k.startswith("skipper.route.invalid.bad.")] == [1], gauges
    assert sup.log().count("invalid route 'bad'") == 1, "logged once per change"


def test_failures_keep_the_last_good_table(sup: Supervisor) -> None:
    sup.start()  # the routes file does not exist yet: nothing to publish
    sup.wait_for(lambda: "No such file" in sup.log())
    assert sup.reader.generation() == 0 and sup.get("/routes")[0] == 503

    sup.write("")  # an empty file that parses: zero routes is a legitimate table
    sup.wait_generation(1)
    assert sup.table() == (1, [])
    sup.write(HELLO)
    sup.wait_generation(2)

    before = len(sup.log())
    sup.write('hello: Path("/hello") -> ')  # a syntax error: the source failed
    sup.wait_for(lambda: "keeping its last good routes (1)" in sup.log())
    sup.routes_file.unlink()  # gone: failed too
    time.sleep(0.6)
    assert sup.table() == (2, ["hello"])
    assert sup.log()[before:].count("keeping its last good routes (1)") == 2, "each failure logged once"

    sup.write(HELLO)  # back to the published text: nothing to publish
    sup.wait_for(lambda: "loads again" in sup.log())
    time.sleep(0.3)
    os.utime(sup.routes_file)  # touched, same content
    os.kill(sup.proc.pid if sup.proc else 0, signal.SIGHUP)  # re-read everything
    sup.wait_for(lambda: "re-reading the route sources" in sup.log())
    time.sleep(0.6)
    assert sup.reader.generation() == 2


def test_inline_routes_merge_with_the_file(sup: Supervisor) -> None:
    sup.inline = 'hello: Path("/hello") -> inlineContent("inline") -> <shunt>; extra: Path("/x") -> <shunt>'
    sup.write(HELLO + OTHER)
    sup.start().wait_generation(1, timeout=10)
    _, ids = sup.table()
    assert sorted(ids) == ["extra", "hello", "other"]
    assert b'"inline"' in sup.get("/routes")[2]
    invalid = json.loads(sup.get("/routes/invalid")[2])
    assert [(i["route_id"], i["source"]) for i in invalid] == [("hello", f"routes file {sup.routes_file}")]


def test_sigusr2_raises_the_shutdown_flag(sup: Supervisor) -> None:
    sup.write(HELLO)
    sup.start().wait_generation(1, timeout=10)
    assert not sup.reader.shutdown()
    assert sup.proc is not None
    sup.proc.send_signal(signal.SIGUSR2)
    sup.wait_for(sup.reader.shutdown, timeout=2)
    assert sup.get("/healthz")[:3:2] == (503, b"draining\n")
    assert sup.stop(signal.SIGTERM) == 0
    # The table outlives the supervisor: the arbiter removes it when the instance stops.
    assert sup.table() == (1, ["hello"]) and sup.reader.shutdown()


def test_sigkill_and_restart_keep_the_table_and_the_numbering(sup: Supervisor) -> None:
    sup.write(HELLO)
    sup.start().wait_generation(1, timeout=10)
    sup.write(HELLO + OTHER)
    sup.wait_generation(2)
    assert sup.stop(signal.SIGKILL) == -signal.SIGKILL
    assert sup.table() == (2, ["hello", "other"]), "workers keep reading the table"

    sup.start()
    sup.wait_for(lambda: "continuing from route table generation 2" in sup.log(), timeout=10)
    sup.wait_for(lambda: sup.get("/routes")[1].get("x-route-generation") == "2")
    time.sleep(0.5)
    assert sup.reader.generation() == 2, "the same table is not published again"
    sup.write(HELLO)
    sup.wait_generation(3)
    assert sup.table() == (3, ["hello"])


def test_boot_failure_has_its_own_exit_code(sup: Supervisor) -> None:
    sup.write(HELLO)
    sup.start(instance="x" * 300)  # no segment name can be that long
    assert sup.proc is not None
    assert sup.proc.wait(10) == EXIT_SHM, sup.log()


def test_one_edit_of_a_large_file_costs_one_route(sup: Supervisor) -> None:
    """A one-route edit of a 3,000-route file is parsed, validated and encoded as one route
    (the rest come back as the same objects and hit the supervisor's caches); the table
    published equals a fresh build's, and SIGHUP validates everything again."""
    def text(value: str) -> str:
        return "".join(f'r{i}: Host("^h{i}[.]example[.]org$") && PathSubtree("/a") '
                       f'-> setRequestHeader("X-Svc", "{value if i == 1234 else i}") -> <shunt>;\n'
                       for i in range(3000))
    sup.write(text("a"))
    sup.start().wait_generation(1, timeout=20)
    assert "published in" in sup.log() and "(3000 validated, 3000 encoded, " in sup.log()
    sup.write(text("b") + 'bad: Path("/x") -> noSuchFilter() -> <shunt>;\n')
    sup.wait_generation(2)
    assert "route table generation 2: 3000 routes (1 invalid)" in sup.log()
    assert "(2 validated, 1 encoded, " in sup.log()
    got = sup.reader.read()
    assert got is not None
    routes, _ = decode_table(got[1])
    assert routes == [r for r in parse(text("b"))]
    assert sup.log().count("invalid route 'bad'") == 1
    # SIGHUP: the same table (nothing published), but every route validated again.
    assert sup.proc is not None
    before = len(sup.log())
    os.kill(sup.proc.pid, signal.SIGHUP)
    sup.wait_for(lambda: "route table unchanged (generation 2, 3000 routes, 1 invalid, 3001 validated)"
                 in sup.log()[before:])
