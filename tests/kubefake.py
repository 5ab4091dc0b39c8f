"""The project's fake Kubernetes API server, run as a real process for tests.

    with FakeAPI(tmp_path, objects=WALKTHROUGH, tls=True, token="t0k3n") as api:
        api.apply(yaml_text); api.delete(yaml_text); api.failures(failOn=[...]); api.outage(30)

It is ``python -m skipperd fake-apiserver`` on a free loopback port. ``in_cluster_env()`` and
``serviceaccount`` give what skipperd needs for ``-kubernetes-in-cluster``.
"""

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
from typing import Any

from harness import free_port


class FakeAPI:
    def __init__(self, tmp: Path, objects: str = "", tls: bool = False, token: str = "",
                 bookmark_interval: float = 1.0, rbac: str = "", extra: list[str] | None = None) -> None:
        self.dir = tmp / f"kubeapi-{free_port()}"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.tls = tls
        self.token = token
        self.serviceaccount = self.dir / "serviceaccount"
        self.kubeconfig = self.dir / "kubeconfig"
        self.objects_file = self.dir / "objects.yaml"
        self.objects_file.write_text(objects)
        self.log_file = self.dir / "fake-apiserver.log"
        args = [sys.executable, "-m", "skipperd", "fake-apiserver", f"--address=127.0.0.1:{self.port}",
                f"--objects={self.objects_file}", f"--bookmark-interval={bookmark_interval}",
                f"--serviceaccount-out={self.serviceaccount}", f"--kubeconfig-out={self.kubeconfig}",
                f"--cert-dir={self.dir / 'pki'}"]
        if tls:
            args.append("--tls")
        if token:
            args.append(f"--token={token}")
        if rbac:
            (self.dir / "rbac.yaml").write_text(rbac)
            args.append(f"--rbac={self.dir / 'rbac.yaml'}")
        self.args = args + list(extra or [])
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def ca(self) -> Path:
        return self.dir / "pki" / "ca.crt"

    def start(self) -> FakeAPI:
        self._log = open(self.log_file, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fake-apiserver exited:\n{self.log()}")
            if "fake API server at" in self.log():
                return self
            time.sleep(0.05)
        raise TimeoutError(f"fake-apiserver did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc is not None:
            self._log.close()

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    # --- skipperd's view -------------------------------------------------------------------------

    def in_cluster_env(self) -> dict[str, str]:
        return {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.port)}

    def in_cluster_args(self) -> list[str]:
        return ["-kubernetes", "-kubernetes-in-cluster", f"-kubernetes-service-account-dir={self.serviceaccount}"]

    # --- requests --------------------------------------------------------------------------------

    def _conn(self, timeout: float) -> http.client.HTTPConnection:
        if self.tls:
            ctx = ssl.create_default_context(cafile=str(self.ca))
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, token: str | None = None,
                timeout: float = 10.0) -> tuple[int, Any]:
        conn = self._conn(timeout)
        headers = {}
        tok = self.token if token is None else token
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data

    def control(self, what: str, body: bytes | str | dict[str, Any] = b"", method: str = "POST") -> Any:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        status, answer = self.request(method, f"/_fake/{what}", body)
        assert status == 200, (what, status, answer)
        return answer

    def apply(self, docs: str) -> Any:
        return self.control("apply", docs)

    def delete(self, docs: str) -> Any:
        return self.control("delete", docs)

    def failures(self, **spec: Any) -> Any:
        return self.control("failures", spec)

    def outage(self, seconds: float) -> Any:
        return self.control(f"outage?seconds={seconds}")

    def requests(self, clear: bool = False) -> list[dict[str, Any]]:
        return list(self.control("requests" + ("?clear=1" if clear else ""), method="GET"))

    def state(self) -> dict[str, Any]:
        return dict(self.control("state", method="GET"))
