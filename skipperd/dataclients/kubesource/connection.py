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
import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlencode

import urllib3

from skipperd.dataclients.base import SourceError

log = logging.getLogger("skipperd.kubernetes")

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
    """Raw JSON GETs and watch streams against one API server.

    Every socket it opens is closed by it, never left to the garbage collector: a response is
    closed or handed back to its pool before the call that made it returns (a watch stream when
    it ends, is aborted or is left), a pool replaced by a reconfiguration is closed once the last
    request on it is over, and ``close()`` closes them all and aborts the open watches. A token
    rotation keeps the pool (only the header changes); the pool is rebuilt only when what the TLS
    connections depend on changes (server, CA, client certificate)."""

    def __init__(self, settings: ConnectionSettings, pool_size: int = 8) -> None:
        self.settings = settings
        self.pool_size = pool_size
        self._lock = threading.Lock()  # guards the pool, its users, the retired pools, the watches
        self._configure_lock = threading.Lock()  # one (re)configuration at a time
        self._config: Any = None
        self._pool: urllib3.PoolManager | None = None
        self._pool_key: tuple[Any, ...] = ()
        self._users: dict[int, int] = {}  # id(pool) -> requests in flight on it
        self._retired: dict[int, urllib3.PoolManager] = {}  # replaced pools still in use
        self._watches: set[WatchStream] = set()
        self._closed = False
        self._token_file_key: tuple[int, int] | None = None
        self.generation = 0  # bumped by every configuration
        self.host = ""
        self.where = ""
        self.configure()

    # --- configuration ---------------------------------------------------------------------------

    def configure(self) -> None:
        """(Re)build the configuration; raises ``SourceError`` when it cannot be built."""
        from kubernetes import client, config
        from kubernetes.client import rest
        from kubernetes.config.config_exception import ConfigException

        s = self.settings
        with self._configure_lock:
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
            key = _pool_key(cfg)
            with self._lock:
                if self._closed:
                    raise SourceError("kubernetes", "the API connection is closed")
                keep = self._pool is not None and key == self._pool_key
            pool = None if keep else rest.RESTClientObject(cfg).pool_manager
            with self._lock:
                old = None
                if pool is not None:
                    old, self._pool, self._pool_key = self._pool, pool, key
                self._config = cfg
                self.host = str(cfg.host).rstrip("/")
                self.where = where
                self.generation += 1
                if old is not None and self._users.get(id(old)):
                    self._retired[id(old)] = old  # closed when its last request is over
                    old = None
            if old is not None:
                old.clear()

    def refresh(self, generation: int) -> None:
        """Read the configuration again after a 401 on a request made with ``generation``,
        unless another request has already done so since (a rotation answers every open
        request with 401 at once: one re-read is enough)."""
        if generation == self.generation:
            try:
                self.configure()
            except SourceError as e:
                log.warning("kubernetes: reading the configuration again after a 401: %s", e.reason)

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

    def _headers(self, cfg: Any) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "skipperd"}
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

    # --- pools in use ------------------------------------------------------------------------------

    def _checkout(self) -> tuple[urllib3.PoolManager, Any, int]:
        with self._lock:
            if self._closed or self._pool is None:
                raise APIError(0, "the API connection is closed")
            pool = self._pool
            self._users[id(pool)] = self._users.get(id(pool), 0) + 1
            return pool, self._config, self.generation

    def _checkin(self, pool: urllib3.PoolManager) -> None:
        with self._lock:
            n = self._users.get(id(pool), 0) - 1
            if n > 0:
                self._users[id(pool)] = n
                return
            self._users.pop(id(pool), None)
            retired = self._retired.pop(id(pool), None)
        if retired is not None:
            retired.clear()

    # --- requests ----------------------------------------------------------------------------------

    def url(self, path: str, query: dict[str, str] | None = None) -> str:
        return self.host + path + ("?" + urlencode(query) if query else "")

    def _request(self, path: str, query: dict[str, str] | None,
                 timeout: urllib3.Timeout) -> tuple[urllib3.BaseHTTPResponse, urllib3.PoolManager]:
        """A response whose body is still to be read, and the pool to check it in to."""
        for attempt in (0, 1):
            pool, cfg, generation = self._checkout()
            try:
                resp = pool.request("GET", self.url(path, query), headers=self._headers(cfg),
                                    preload_content=False, timeout=timeout)
            except urllib3.exceptions.HTTPError as e:
                self._checkin(pool)
                raise APIError(0, f"GET {path}: {_reason(e)}") from None
            except BaseException:
                self._checkin(pool)
                raise
            if resp.status == 401 and attempt == 0:
                resp.drain_conn()
                resp.release_conn()
                self._checkin(pool)
                self.refresh(generation)  # a rotated token: read it now and try once more
                continue
            if resp.status >= 400:
                try:
                    body = resp.read(65536)
                except urllib3.exceptions.HTTPError as e:
                    body = str(_reason(e)).encode()
                finally:
                    resp.close()  # the rest of an error body is not worth a kept-alive connection
                    resp.release_conn()
                    self._checkin(pool)
                message, reason = _status_message(body)
                raise APIError(resp.status, f"GET {path}: {resp.status} {message}", reason)
            return resp, pool
        raise AssertionError("unreachable")

    def get_json(self, path: str, query: dict[str, str] | None = None, timeout: float = 30.0) -> Any:
        resp, pool = self._request(path, query, urllib3.Timeout(connect=5.0, read=timeout))
        try:
            data = resp.read()
        except urllib3.exceptions.HTTPError as e:
            resp.close()
            raise APIError(0, f"GET {path}: {_reason(e)}") from None
        finally:
            resp.release_conn()
            self._checkin(pool)
        try:
            return json.loads(data)
        except ValueError as e:
            raise APIError(200, f"GET {path}: the answer is not JSON: {e}") from None

    def watch(self, path: str, query: dict[str, str], read_timeout: float) -> WatchStream:
        """One watch stream (``with conn.watch(...) as events: for event in events``): its
        decoded events until the server ends it; ``abort()`` ends it from another thread."""
        resp, pool = self._request(path, dict(query, watch="1"), urllib3.Timeout(connect=5.0, read=read_timeout))
        stream = WatchStream(self, path, resp, pool)
        with self._lock:
            closed = self._closed
            if not closed:
                self._watches.add(stream)
        if closed:
            stream.close()
            raise APIError(0, f"watch {path}: the API connection is closed")
        return stream

    def close(self) -> None:
        """Abort the open watches and close every connection; requests fail from now on."""
        with self._lock:
            self._closed = True
            watches = list(self._watches)
            pools = [p for p in (self._pool, *self._retired.values()) if p is not None]
            self._retired.clear()
        for w in watches:
            w.abort()
        for p in pools:
            p.clear()


class WatchStream:
    """The events of one watch response. Closed (its connection with it, never reused: the
    server may be ending it) when the iteration ends, fails or is left, or by ``close()``."""

    def __init__(self, conn: Connection, path: str, resp: urllib3.BaseHTTPResponse, pool: urllib3.PoolManager) -> None:
        self.conn = conn
        self.path = path
        self._resp = resp
        self._pool: urllib3.PoolManager | None = pool
        self._aborted = False
        self._lock = threading.Lock()

    def __enter__(self) -> WatchStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Any]:
        buf = b""
        try:
            for chunk in self._resp.stream(65536, decode_content=True):
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
                            raise APIError(200, f"watch {self.path}: a line that is not JSON: {e}") from None
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as e:
            if self._aborted or self._pool is None:
                return  # aborted or closed: the end of the stream, not an error
            raise APIError(0, f"watch {self.path}: {_reason(e)}") from None
        finally:
            self.close()

    def abort(self) -> None:
        """End the stream from another thread: the blocked read returns at once."""
        with self._lock:
            if self._pool is None:
                return
            self._aborted = True
            conn = getattr(self._resp, "connection", None)
            sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        self._resp.close()
        self._resp.release_conn()
        with self.conn._lock:
            self.conn._watches.discard(self)
        self.conn._checkin(pool)


def _pool_key(cfg: Any) -> tuple[Any, ...]:
    """What the pool's TLS connections depend on: a change of any of these needs a new pool."""
    return (str(cfg.host), cfg.verify_ssl, cfg.ssl_ca_cert, cfg.cert_file, cfg.key_file, cfg.assert_hostname,
            getattr(cfg, "tls_server_name", None), cfg.proxy, getattr(cfg, "ca_cert_data", None))


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
