"""The connection to the API server: the kubernetes package's configuration, raw JSON over urllib3.

The kubernetes package does what it is good at: it reads the in-cluster service account
(``KUBERNETES_SERVICE_HOST``/``_PORT``, the token and CA files) or a kubeconfig, and builds the
urllib3 pool with the TLS settings (CA, client certificates, server name). Requests go through
that pool directly and their bodies are decoded with ``json`` (the package's typed models cost
5-8x the CPU of a plain decode). The bearer token is taken from the configuration before every
request, so the package's refresh hook re-reads a rotated service-account token; a 401 forces an
immediate re-read and one retry, so a rotated token never waits for the hook's minute.

Where the configuration comes from, in order:

* ``-kubernetes-in-cluster``: the service account (its directory overridable with
  ``-kubernetes-service-account-dir``, for tests and unusual mounts);
* ``-kubernetes-kubeconfig=PATH``: a kubeconfig (bare metal under systemd);
* ``-kubernetes-url`` (default ``http://127.0.0.1:8001``, ``kubectl proxy``), with
  ``-kubernetes-token-file`` re-read when it changes.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlencode

import urllib3

from skipperd.dataclients.base import SourceError

DEFAULT_URL = "http://127.0.0.1:8001"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class APIError(Exception):
    """A request to the API server failed: ``status`` is the HTTP status, 0 without an answer."""

    def __init__(self, status: int, message: str, reason: str = "") -> None:
        self.status = status
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    in_cluster: bool = False
    service_account_dir: str = SERVICE_ACCOUNT_DIR
    kubeconfig: str = ""
    url: str = ""
    token_file: str = ""


class Connection:
    """Raw JSON GETs and watch streams against one API server."""

    def __init__(self, settings: ConnectionSettings, pool_size: int = 8) -> None:
        self.settings = settings
        self.pool_size = pool_size
        self._lock = threading.Lock()
        self._config: Any = None
        self._pool: urllib3.PoolManager | None = None
        self._token_file_key: tuple[int, int] | None = None
        self.host = ""
        self.configure()

    # --- configuration ---------------------------------------------------------------------------

    def configure(self) -> None:
        """(Re)build the configuration; raises ``SourceError`` when it cannot be built."""
        from kubernetes import client, config
        from kubernetes.client import rest
        from kubernetes.config.config_exception import ConfigException

        s = self.settings
        cfg = client.Configuration()
        try:
            if s.in_cluster:
                from kubernetes.config.incluster_config import InClusterConfigLoader

                loader = InClusterConfigLoader(  # type: ignore[no-untyped-call]
                    token_filename=os.path.join(s.service_account_dir, "token"),
                    cert_filename=os.path.join(s.service_account_dir, "ca.crt"), try_refresh_token=True)
                loader.load_and_set(cfg)  # type: ignore[no-untyped-call]
                where = f"in-cluster service account ({s.service_account_dir})"
            elif s.kubeconfig:
                config.load_kube_config(config_file=s.kubeconfig, client_configuration=cfg,
                                        persist_config=False)  # type: ignore[no-untyped-call]
                where = f"kubeconfig {s.kubeconfig}"
            else:
                cfg.host = (s.url or DEFAULT_URL).rstrip("/")
                where = f"-kubernetes-url {cfg.host}"
                if s.token_file:
                    self._read_token_file(cfg)
        except (ConfigException, OSError, ValueError, TypeError) as e:
            raise SourceError("kubernetes", f"cannot configure the API connection: {e}") from None
        # No retry of a refused connection (the source backs off by itself), one retry of a
        # kept-alive connection the server closed meanwhile.
        cfg.retries = urllib3.Retry(total=1, connect=0, read=1, redirect=0, status=0, other=0)
        cfg.connection_pool_maxsize = self.pool_size
        pool = rest.RESTClientObject(cfg).pool_manager
        with self._lock:
            old, self._pool, self._config = self._pool, pool, cfg
            self.host = str(cfg.host).rstrip("/")
            self.where = where
        if old is not None:
            old.clear()

    def _read_token_file(self, cfg: Any) -> None:
        path = self.settings.token_file
        st = os.stat(path)
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
        if not token:
            raise ValueError(f"token file {path} is empty")
        cfg.api_key["BearerToken"] = token
        cfg.api_key_prefix["BearerToken"] = "Bearer"
        self._token_file_key = (st.st_ino, st.st_mtime_ns)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "skipperd"}
        cfg = self._config
        if self.settings.token_file and not self.settings.in_cluster and not self.settings.kubeconfig:
            try:
                st = os.stat(self.settings.token_file)
                if (st.st_ino, st.st_mtime_ns) != self._token_file_key:
                    self._read_token_file(cfg)
            except (OSError, ValueError):
                pass  # keep the token we have; the server's 401 will tell
        auth = cfg.auth_settings().get("BearerToken")
        if auth and auth.get("value"):
            # A token file ends with a newline more often than not (`kubectl create token > f`);
            # the kubernetes package keeps it from a kubeconfig's tokenFile, and a header value
            # cannot hold it.
            value = " ".join(str(auth["value"]).split())
            if value:
                headers["Authorization"] = value
        return headers

    # --- requests ----------------------------------------------------------------------------------

    def url(self, path: str, query: dict[str, str] | None = None) -> str:
        return self.host + path + ("?" + urlencode(query) if query else "")

    def _request(self, path: str, query: dict[str, str] | None, timeout: urllib3.Timeout) -> urllib3.BaseHTTPResponse:
        for attempt in (0, 1):
            pool = self._pool
            assert pool is not None
            try:
                resp = pool.request("GET", self.url(path, query), headers=self._headers(),
                                    preload_content=False, timeout=timeout)
            except urllib3.exceptions.HTTPError as e:
                raise APIError(0, f"GET {path}: {_reason(e)}") from None
            if resp.status == 401 and attempt == 0:
                resp.drain_conn()
                resp.release_conn()
                try:
                    self.configure()  # a rotated token: read it now and try once more
                except SourceError:
                    pass
                continue
            if resp.status >= 400:
                body = resp.read(65536)
                resp.release_conn()
                message, reason = _status_message(body)
                raise APIError(resp.status, f"GET {path}: {resp.status} {message}", reason)
            return resp
        raise AssertionError("unreachable")

    def get_json(self, path: str, query: dict[str, str] | None = None, timeout: float = 30.0) -> Any:
        resp = self._request(path, query, urllib3.Timeout(connect=5.0, read=timeout))
        try:
            data = resp.read()
        except urllib3.exceptions.HTTPError as e:
            raise APIError(0, f"GET {path}: {_reason(e)}") from None
        finally:
            resp.release_conn()
        try:
            return json.loads(data)
        except ValueError as e:
            raise APIError(200, f"GET {path}: the answer is not JSON: {e}") from None

    def watch(self, path: str, query: dict[str, str], read_timeout: float) -> Iterator[Any]:
        """The decoded events of one watch stream, until the server ends it."""
        resp = self._request(path, dict(query, watch="1"), urllib3.Timeout(connect=5.0, read=read_timeout))
        buf = b""
        try:
            for chunk in resp.stream(65536, decode_content=True):
                buf += chunk
                while True:
                    i = buf.find(b"\n")
                    if i < 0:
                        break
                    line, buf = buf[:i], buf[i + 1:]
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except ValueError as e:
                            raise APIError(200, f"watch {path}: a line that is not JSON: {e}") from None
        except urllib3.exceptions.HTTPError as e:
            raise APIError(0, f"watch {path}: {_reason(e)}") from None
        finally:
            resp.close()  # a watch connection is not reused: the server may be ending it
            resp.release_conn()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.clear()


def _reason(e: Exception) -> str:
    inner = getattr(e, "reason", None)
    return str(inner if inner is not None else e)


def _status_message(body: bytes) -> tuple[str, str]:
    try:
        st = json.loads(body)
        if isinstance(st, dict) and st.get("kind") == "Status":
            return str(st.get("message", "")), str(st.get("reason", ""))
    except ValueError:
        pass
    return body[:200].decode("utf-8", "replace"), ""
