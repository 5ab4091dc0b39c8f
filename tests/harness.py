"""One harness for real skipperd processes, configured by one object.

    opts = Options(routes='r: * -> status(200) -> <shunt>', workers=2)
    with Skipperd(opts, tmp_path) as s:
        status, headers, body = s.request("GET", "/")

``Skipperd`` starts ``python -m skipperd`` as an operator would (flags, a routes file, optionally
a YAML config file), on free loopback ports and with its own shared-memory instance name, waits
until a worker answers, and stops the whole process tree at the end. Its output goes to
``<tmp>/skipperd.log``, printed when a test fails through the ``skipperd`` fixture.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"

#: Skipper's conformance corpus: its Kubernetes golden fixtures, admission reviews and eskip
#: vectors (upstream's own files, Apache-2.0; provenance in tests/data/conformance/README.md).
#: The repository carries a copy; $SKIPPERD_CONFORMANCE runs the tests on another corpus in the
#: same format instead, and a test whose part of it is missing there is skipped with one line.
CONFORMANCE_ENV = "SKIPPERD_CONFORMANCE"
CONFORMANCE = Path(os.environ.get(CONFORMANCE_ENV) or DATA / "conformance")


def conformance_missing(relative: str = "") -> str:
    """``""`` when ``relative`` is in the conformance corpus, else the one-line reason to skip."""
    if (CONFORMANCE / relative).exists():
        return ""
    return (f"needs {relative or 'the corpus'} of Skipper's conformance corpus, not found at {CONFORMANCE} "
            f"(set {CONFORMANCE_ENV} to the corpus)")


def conformance(relative: str) -> Path:
    """``relative`` inside the conformance corpus; the calling test is skipped when it is missing."""
    import pytest

    why = conformance_missing(relative)
    if why:
        pytest.skip(why)
    return CONFORMANCE / relative


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Options:
    routes: str | None = ""                 # eskip text for -routes-file; None: no routes file
    workers: int = 1
    args: list[str] = field(default_factory=list)       # further flags, e.g. ["-proxy-preserve-host"]
    config: dict[str, Any] | None = None    # written as a YAML file and passed with -config
    wait_first_route_load: bool = True
    drain: str = "0s"                       # -wait-for-healthcheck-interval
    support_listener: bool = True
    access_log: bool = False
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/__harness_ready"    # any response to it means a worker serves
    command: list[str] | None = None        # the program; by default this interpreter's -m skipperd


Response = tuple[int, dict[str, str], bytes]


class Skipperd:
    def __init__(self, opts: Options, tmp: Path) -> None:
        self.opts = opts
        self.tmp = tmp
        self.port = free_port()
        self.support_port = free_port() if opts.support_listener else 0
        self.instance = "t" + uuid.uuid4().hex[:10]
        self.routes_file = tmp / "routes.eskip"
        self.config_file = tmp / "skipperd.conf"
        self.log_file = tmp / "skipperd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def argv(self) -> list[str]:
        o = self.opts
        argv = [*(o.command or [sys.executable, "-m", "skipperd"]),
                f"-address=127.0.0.1:{self.port}",
                f"-support-listener={'127.0.0.1:%d' % self.support_port if self.support_port else ''}",
                f"-instance-name={self.instance}",
                f"-wait-for-healthcheck-interval={o.drain}", "-graceful-timeout=10s"]
        if o.config is None or "workers" not in o.config:  # flags would override the file
            argv.append(f"-workers={o.workers}")
        if o.routes is not None:
            argv.append(f"-routes-file={self.routes_file}")
        if o.wait_first_route_load:
            argv.append("-wait-first-route-load")
        if not o.access_log:
            argv.append("-access-log-disabled")
        if o.config is not None:
            argv.append(f"-config={self.config_file}")
        return argv + list(o.args)

    def start(self, timeout: float = 30.0, wait: bool = True) -> "Skipperd":
        if self.opts.routes is not None:
            self.write_routes(self.opts.routes)
        if self.opts.config is not None:
            self.config_file.write_text(yaml.safe_dump(self.opts.config))
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("NOTIFY_SOCKET", None)
        env.update(self.opts.env)
        self._log = open(self.log_file, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     cwd=self.tmp, start_new_session=True)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"skipperd exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.request("GET", self.opts.ready_path, timeout=1.0)
                return
            except OSError as e:
                last = e
                time.sleep(0.05)
        raise TimeoutError(f"skipperd did not serve within {timeout}s ({last}):\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass
        # Nothing of the tree may outlive the test.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._log.close()
        for p in Path("/dev/shm").glob(f"skipperd-{self.instance}-*"):
            p.unlink(missing_ok=True)
        return self.proc.returncode

    def __enter__(self) -> "Skipperd":
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- inspection ------------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def children(self) -> list[int]:
        pids: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            try:
                pids += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
        return pids

    @staticmethod
    def title(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""

    def supervisor_pid(self) -> int | None:
        for pid in self.children():
            if "route supervisor" in self.title(pid):
                return pid
        return None

    def worker_pids(self) -> list[int]:
        return [p for p in self.children() if "worker" in self.title(p)]

    def wait_workers(self, n: int, timeout: float = 20.0, exclude: set[int] | None = None) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = [p for p in self.worker_pids() if not exclude or p not in exclude]
            if len(pids) >= n:
                return pids
            time.sleep(0.05)
        raise TimeoutError(f"expected {n} workers, have {self.worker_pids()}")

    # --- configuration changes ------------------------------------------------------------------

    def write_routes(self, text: str) -> None:
        tmp = self.routes_file.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.routes_file)

    def signal(self, sig: int) -> None:
        os.kill(self.pid, sig)

    # --- HTTP ------------------------------------------------------------------------------------

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: bytes | None = None, timeout: float = 10.0, port: int | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def support(self, path: str) -> Response:
        return self.request("GET", path, port=self.support_port)

    def generation(self) -> int:
        _, headers, _ = self.support("/routes")
        return int(headers.get("x-route-generation", "0"))

    def wait_for(self, predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s:\n{self.log()[-4000:]}")
            time.sleep(interval)
