"""The fake API server's HTTP side: the Kubernetes wire format, auth, failures, its control API.

What a client sees is what a real API server sends for the same requests:

* lists (``GET /api/v1/services``, ``/apis/networking.k8s.io/v1/namespaces/NS/ingresses``)
  as ``<Kind>List`` objects with ``metadata.resourceVersion``, items without kind/apiVersion,
  ``labelSelector``/``fieldSelector`` and ``limit``/``continue`` paging;
* objects (``GET .../namespaces/NS/services/NAME``), and create (POST), replace (PUT) and delete;
* watches (``?watch=1``): a chunked stream of ``{"type": ..., "object": ...}`` lines from
  ``resourceVersion`` on (or synthetic ADDED events for the current state without one), BOOKMARK
  events with ``allowWatchBookmarks``, ``timeoutSeconds``, and for a version the history no
  longer holds an ``ERROR`` event with a 410 ``Expired`` Status, as a real server after etcd
  compaction;
* discovery (``/api``, ``/apis``, ``/api/v1``, ``/apis/zalando.org/v1``, ``/version``);
* errors as ``Status`` objects; 401 without a known bearer token (when tokens are configured);
  403 for what an optional ClusterRole does not grant.

The control API under ``/_fake/`` (no auth) changes the objects and injects failures:

    POST /_fake/apply          YAML/JSON documents in the fixture format: create or replace each
    POST /_fake/delete         the same documents: delete each
    POST /_fake/load           make the store hold exactly these documents
    POST /_fake/failures       {"failOn": [paths], "findNot": [paths], "hang": [paths],
                                "disableRouteGroups": bool}: replaces the injected failures
    POST /_fake/outage?seconds=N   the server goes away: listener closed, every connection cut,
                                back after N seconds on the same address
    POST /_fake/close-watches  end every watch stream (as an API server restart does)
    POST /_fake/compact        forget the event history: older versions get 410
    POST /_fake/tokens         {"tokens": [...]}: the accepted bearer tokens (token rotation)
    GET  /_fake/requests       the requests served so far (?clear=1 empties the log)
    GET  /_fake/state          resourceVersion, object counts, open watches
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import ssl
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from skipperd.kubeapi import fixtures
from skipperd.kubeapi.rbac import Rbac
from skipperd.kubeapi.resources import RESOURCES, Resource, group_versions
from skipperd.kubeapi.selectors import SelectorError
from skipperd.kubeapi.selectors import parse as parse_selector
from skipperd.kubeapi.store import Gone, Obj, Store, StoreError, selected
from skipperd.kubeapi.tlscert import CertFiles

log = logging.getLogger("skipperd.kubeapi")

ROUTEGROUPS_PREFIX = "/apis/zalando.org/v1"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Failures:
    """Injected failures, matched against the exact request path (no query)."""

    def __init__(self) -> None:
        self.fail_on: frozenset[str] = frozenset()
        self.find_not: frozenset[str] = frozenset()
        self.hang: frozenset[str] = frozenset()
        self.disable_routegroups = False

    def set(self, spec: dict[str, Any]) -> None:
        self.fail_on = frozenset(spec.get("failOn") or ())
        self.find_not = frozenset(spec.get("findNot") or ())
        self.hang = frozenset(spec.get("hang") or ())
        self.disable_routegroups = bool(spec.get("disableRouteGroups", False))

    def as_dict(self) -> dict[str, Any]:
        return {"failOn": sorted(self.fail_on), "findNot": sorted(self.find_not), "hang": sorted(self.hang),
                "disableRouteGroups": self.disable_routegroups}


class FakeAPIServer:
    def __init__(self, store: Store | None = None, host: str = "127.0.0.1", port: int = 0,
                 certs: CertFiles | None = None, tokens: tuple[str, ...] = (),
                 bookmark_interval: float = 5.0, watch_timeout: float = 300.0,
                 rbac: Rbac | None = None) -> None:
        self.store = store if store is not None else Store()
        self.host = host
        self.port = port
        self.certs = certs
        self.tokens = frozenset(tokens)
        self.bookmark_interval = bookmark_interval
        self.watch_timeout = watch_timeout
        self.rbac = rbac
        self.failures = Failures()
        self.requests: deque[dict[str, Any]] = deque(maxlen=10000)
        self._ssl: ssl.SSLContext | None = None
        if certs is not None:
            self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ssl.load_cert_chain(certs.cert, certs.key)
        self._sock: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._epoch = 0  # bumped by outages and close-watches: streams of an older epoch end
        self._stopped = False
        self._down_until = 0.0
        self.watches = 0

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self._ssl else 'http'}://{host}:{self.port}"

    def start(self) -> FakeAPIServer:
        self._listen()
        return self

    def _listen(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(128)
        self.port = s.getsockname()[1]
        self._sock = s
        threading.Thread(target=self._accept, args=(s,), name="kubeapi-accept", daemon=True).start()

    def _accept(self, s: socket.socket) -> None:
        while True:
            try:
                conn, addr = s.accept()
            except OSError:
                return
            with self._lock:
                if self._stopped or s is not self._sock:
                    conn.close()
                    return
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn, addr), name="kubeapi-conn", daemon=True).start()

    def _serve(self, conn: socket.socket, addr: Any) -> None:
        sock: socket.socket = conn
        try:
            if self._ssl is not None:
                conn.settimeout(10)
                sock = self._ssl.wrap_socket(conn, server_side=True)
                sock.settimeout(None)
                with self._lock:
                    self._conns.discard(conn)
                    self._conns.add(sock)
            _Handler(sock, addr, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self._lock:
                self._conns.discard(sock)
                self._conns.discard(conn)
            try:
                sock.close()
            except OSError:
                pass

    def _cut(self) -> None:
        """Close the listener and every connection (what clients see when the server dies)."""
        with self._lock:
            self._epoch += 1
            sock, self._sock = self._sock, None
            conns, self._conns = self._conns, set()
        if sock is not None:
            sock.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.store.cond:
            self.store.cond.notify_all()

    def stop(self) -> None:
        self._stopped = True
        self._cut()

    def outage(self, seconds: float) -> None:
        """Go away for ``seconds``: connections are refused meanwhile, then served again."""
        self._down_until = time.monotonic() + seconds
        log.info("outage: going away for %.1fs", seconds)
        self._cut()

        def back() -> None:
            time.sleep(seconds)
            if self._stopped:
                return
            for _ in range(100):
                try:
                    self._listen()
                    log.info("outage over: serving again at %s", self.url)
                    return
                except OSError:
                    time.sleep(0.1)

        threading.Thread(target=back, name="kubeapi-outage", daemon=True).start()

    def close_watches(self) -> None:
        with self._lock:
            self._epoch += 1
        with self.store.cond:
            self.store.cond.notify_all()

    # --- what a request may do ---------------------------------------------------------------------

    def authenticate(self, header: str | None) -> bool:
        if not self.tokens:
            return True
        scheme, _, token = (header or "").strip().partition(" ")
        return scheme.lower() == "bearer" and token.strip() in self.tokens


class _Request:
    """A parsed resource request."""

    def __init__(self, resource: Resource, namespace: str | None, name: str | None) -> None:
        self.resource = resource
        self.namespace = namespace
        self.name = name


def _parse_resource_path(path: str) -> _Request | None:
    for prefix, resources in group_versions().items():
        if not path.startswith(prefix + "/"):
            continue
        parts = path[len(prefix) + 1:].split("/")
        ns: str | None = None
        if len(parts) >= 3 and parts[0] == "namespaces":
            ns, parts = parts[1], parts[2:]
        if not parts or len(parts) > 2 or not parts[0]:
            return None
        for r in resources:
            if r.plural == parts[0]:
                name = parts[1] if len(parts) == 2 else None
                if name is not None and ns is None:
                    return None  # namespaced resources have no cluster-scoped objects
                return _Request(r, ns, name)
        return None
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "skipperd-fake-apiserver"
    api: FakeAPIServer

    def __init__(self, sock: socket.socket, addr: Any, api: FakeAPIServer) -> None:
        self.api = api
        super().__init__(sock, addr, None)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    # --- plumbing ----------------------------------------------------------------------------------

    def _send_json(self, code: int, value: Any) -> None:
        body = _dumps(value)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_status(self, code: int, reason: str, message: str) -> None:
        self._send_json(code, status(code, reason, message))

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _record(self, verb: str, req: _Request | None, code: int) -> None:
        u = urlsplit(self.path)
        self.api.requests.append({
            "method": self.command, "path": u.path, "query": u.query, "verb": verb, "status": code,
            "group": req.resource.group if req else None, "resource": req.resource.plural if req else None,
            "namespace": req.namespace if req else None, "time": time.time(),
        })

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        u = urlsplit(self.path)
        path = u.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        if path.startswith("/_fake/"):
            self._control(path[len("/_fake/"):], query)
            return
        if path in ("/healthz", "/livez", "/readyz"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        if not self.api.authenticate(self.headers.get("Authorization")):
            self._record("", None, 401)
            self._send_status(401, "Unauthorized", "Unauthorized")
            return
        f = self.api.failures
        if self.command == "GET" and path in f.hang:
            self._hang(path)
            return
        if self.command == "GET" and path in f.fail_on:
            self._record("", None, 500)
            self._send_status(500, "InternalError", f"injected failure for {path}")
            return
        if self.command == "GET" and path in f.find_not:
            self._record("", None, 404)
            self._send_status(404, "NotFound", "the server could not find the requested resource")
            return
        if f.disable_routegroups and (path == ROUTEGROUPS_PREFIX or path.startswith(ROUTEGROUPS_PREFIX + "/")):
            self._send_status(404, "NotFound", "the server could not find the requested resource")
            return
        disc = self._discovery(path)
        if disc is not None:
            if self.command not in ("GET", "HEAD"):
                self._send_status(405, "MethodNotAllowed", "the server does not allow this method")
                return
            self._send_json(200, disc)
            return
        req = _parse_resource_path(path)
        if req is None:
            self._send_status(404, "NotFound", "the server could not find the requested resource")
            return
        self._resource(req, query)

    def _hang(self, path: str) -> None:
        epoch = self.api._epoch
        while path in self.api.failures.hang and epoch == self.api._epoch and not self.api._stopped:
            time.sleep(0.05)
        self.close_connection = True

    # --- discovery ---------------------------------------------------------------------------------

    def _discovery(self, path: str) -> dict[str, Any] | None:
        gvs = group_versions()
        if path == "/version":
            return {"major": "1", "minor": "31", "gitVersion": "v1.31.0-skipperd-fake", "platform": "linux/amd64"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.api.url}]}
        groups: dict[str, list[str]] = {}
        for r in RESOURCES:
            if r.group and not (r.group == "zalando.org" and self.api.failures.disable_routegroups):
                groups.setdefault(r.group, [])
                if r.version not in groups[r.group]:
                    groups[r.group].append(r.version)
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g, vs) for g, vs in groups.items()]}
        if path.startswith("/apis/") and path.count("/") == 2 and path[6:] in groups:
            return dict(_group(path[6:], groups[path[6:]]), kind="APIGroup", apiVersion="v1")
        if path in gvs:
            rs = gvs[path]
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": rs[0].api_version,
                    "resources": [r.discovery() for r in rs]
                    + [{"name": f"{r.plural}/status", "singularName": "", "namespaced": True, "kind": r.kind,
                        "verbs": ["get", "patch", "update"]} for r in rs if r.kind in ("Ingress", "RouteGroup", "Service")]}
        return None

    # --- resources ---------------------------------------------------------------------------------

    def _resource(self, req: _Request, query: dict[str, str]) -> None:
        method = self.command
        if method in ("GET", "HEAD"):
            verb = "get" if req.name else ("watch" if query.get("watch") in ("1", "true") else "list")
        elif method == "POST" and not req.name:
            verb = "create"
        elif method == "PUT" and req.name:
            verb = "update"
        elif method == "DELETE" and req.name:
            verb = "delete"
        else:
            self._send_status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            return
        rbac = self.api.rbac
        if rbac is not None and not rbac.allows(verb, req.resource.group, req.resource.plural):
            self._record(verb, req, 403)
            scope = f'in the namespace "{req.namespace}"' if req.namespace else "at the cluster scope"
            group = req.resource.group
            self._send_status(403, "Forbidden",
                              f'{req.resource.plural}{"." + group if group else ""} is forbidden: User '
                              f'"{rbac.user}" cannot {verb} resource "{req.resource.plural}" in API group '
                              f'"{group}" {scope}')
            return
        try:
            labels = parse_selector(query["labelSelector"]) if query.get("labelSelector") else None
            fields = parse_selector(query["fieldSelector"], set_based=False) if query.get("fieldSelector") else None
        except SelectorError as e:
            self._record(verb, req, 400)
            self._send_status(400, "BadRequest", str(e))
            return
        self._record(verb, req, 200)
        store = self.api.store
        try:
            if verb == "get":
                assert req.namespace is not None and req.name is not None
                obj = store.get(req.resource, req.namespace, req.name)
                if obj is None:
                    raise StoreError(404, "NotFound", f'{req.resource.plural} "{req.name}" not found')
                self._send_json(200, obj)
            elif verb == "list":
                self._list(req, query, labels, fields)
            elif verb == "watch":
                self._watch(req, query, labels, fields)
            elif verb in ("create", "update"):
                obj = json.loads(self._body() or b"{}")
                if not isinstance(obj, dict):
                    raise StoreError(400, "BadRequest", "the body must be an object")
                obj.setdefault("kind", req.resource.kind)
                meta = obj.setdefault("metadata", {})
                if req.namespace:
                    meta.setdefault("namespace", req.namespace)
                if verb == "update" and meta.get("name") != req.name:
                    raise StoreError(400, "BadRequest", "the name of the object does not match the URL")
                what, stored = store.apply(obj, create_only=verb == "create", update_only=verb == "update")
                self._send_json(201 if what == "created" else 200, stored)
            else:
                assert req.namespace is not None and req.name is not None
                self._send_json(200, store.delete(req.resource, req.namespace, req.name))
        except StoreError as e:
            self._send_status(e.code, e.reason, str(e))
        except ValueError as e:
            self._send_status(400, "BadRequest", f"invalid JSON: {e}")

    def _list(self, req: _Request, query: dict[str, str], labels: Any, fields: Any) -> None:
        store = self.api.store
        start = 0
        if query.get("continue"):
            try:
                token = json.loads(base64.urlsafe_b64decode(query["continue"].encode()))
                start, token_rv = int(token["start"]), int(token["rv"])
            except (ValueError, KeyError, TypeError):
                raise StoreError(400, "BadRequest", "invalid continue token") from None
            try:
                store.check_version(token_rv)
            except Gone:
                raise StoreError(410, "Expired", "The provided continue parameter is too old to display a "
                                 "consistent list result. You can start a new list without the continue "
                                 "parameter.") from None
        rv, items = store.items(req.resource, req.namespace, labels, fields)
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        limit = int(query.get("limit") or 0)
        if limit > 0:
            end = start + limit
            if end < len(items):
                meta["continue"] = base64.urlsafe_b64encode(_dumps({"rv": rv, "start": end})).decode()
                meta["remainingItemCount"] = len(items) - end
            items = items[start:end]
        elif start:
            items = items[start:]
        body = {"kind": req.resource.kind + "List", "apiVersion": req.resource.api_version, "metadata": meta,
                "items": [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in items]}
        self._send_json(200, body)

    # --- watches -----------------------------------------------------------------------------------

    def _chunk(self, value: Any) -> None:
        data = _dumps(value) + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _bookmark(self, req: _Request, rv: int) -> None:
        self._chunk({"type": "BOOKMARK", "object": {"kind": req.resource.kind, "apiVersion": req.resource.api_version,
                                                      "metadata": {"resourceVersion": str(rv)}}})

    def _watch(self, req: _Request, query: dict[str, str], labels: Any, fields: Any) -> None:
        api, store = self.api, self.api.store
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else api.watch_timeout
        deadline = time.monotonic() + timeout
        epoch = api._epoch
        compactions = store.compactions

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.close_connection = True
        api.watches += 1
        try:
            rv_param = query.get("resourceVersion", "")
            if rv_param in ("", "0"):
                last, items = store.items(req.resource, req.namespace, labels, fields)
                for o in items:
                    self._chunk({"type": "ADDED", "object": o})
            else:
                try:
                    last = int(rv_param)
                except ValueError:
                    self._chunk({"type": "ERROR", "object": status(400, "BadRequest", f"invalid resourceVersion {rv_param!r}")})
                    return
            next_bookmark = time.monotonic() + api.bookmark_interval
            while True:
                try:
                    if store.compactions != compactions:
                        raise Gone(f"too old resource version: {last} ({store.rv})")
                    events, upto = store.events_since(last, req.resource, req.namespace)
                except Gone as e:
                    self._chunk({"type": "ERROR", "object": status(410, "Expired", str(e))})
                    return
                for ev in events:
                    if selected(ev.obj, labels, fields):
                        self._chunk({"type": ev.type, "object": ev.obj})
                last = upto
                now = time.monotonic()
                if api._stopped or api._epoch != epoch:
                    break  # close-watches ends streams cleanly; an outage has cut the socket already
                if now >= deadline:
                    if bookmarks:
                        self._bookmark(req, last)
                    break
                if bookmarks and now >= next_bookmark:
                    self._bookmark(req, last)
                    next_bookmark = now + api.bookmark_interval
                with store.cond:
                    if store.rv <= last and api._epoch == epoch:
                        wait = min(deadline, next_bookmark if bookmarks else deadline) - time.monotonic()
                        store.cond.wait(max(0.0, min(wait, 1.0)))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass
        finally:
            api.watches -= 1

    # --- the control API ---------------------------------------------------------------------------

    def _control(self, what: str, query: dict[str, str]) -> None:
        api = self.api
        try:
            handler = _CONTROL.get((self.command, what))
            if handler is None:
                self._send_json(404, {"error": f"no control endpoint {self.command} /_fake/{what}"})
                return
            self._send_json(200, handler(self, query))
        except (fixtures.FixtureError, StoreError, ValueError) as e:
            self._send_json(400, {"error": str(e)})
        del api

    def _docs(self) -> list[Obj]:
        return fixtures.parse_documents(self._body().decode("utf-8"), "request body")

    def c_apply(self, query: dict[str, str]) -> Any:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for o in self._docs():
            what, _ = self.api.store.apply(o)
            counts[what] += 1
        return dict(counts, resourceVersion=str(self.api.store.rv))

    def c_delete(self, query: dict[str, str]) -> Any:
        deleted, missing = 0, []
        for o in self._docs():
            try:
                self.api.store.delete_object(o)
                deleted += 1
            except StoreError:
                missing.append(f"{o.get('kind')} {(o.get('metadata') or {}).get('name')}")
        return {"deleted": deleted, "missing": missing, "resourceVersion": str(self.api.store.rv)}

    def c_load(self, query: dict[str, str]) -> Any:
        self.api.store.replace_all(self._docs())
        return {"resourceVersion": str(self.api.store.rv), "counts": self.api.store.counts()}

    def c_failures(self, query: dict[str, str]) -> Any:
        spec = json.loads(self._body() or b"{}")
        if not isinstance(spec, dict):
            raise ValueError("expected a JSON object")
        self.api.failures.set(spec)
        return self.api.failures.as_dict()

    def c_outage(self, query: dict[str, str]) -> Any:
        seconds = float(query.get("seconds", "30"))
        # Answer first: the outage cuts this connection too.
        threading.Timer(0.05, self.api.outage, args=(seconds,)).start()
        return {"outage": seconds}

    def c_close_watches(self, query: dict[str, str]) -> Any:
        self.api.close_watches()
        return {"closed": True}

    def c_compact(self, query: dict[str, str]) -> Any:
        self.api.store.compact()
        return {"resourceVersion": str(self.api.store.rv)}

    def c_tokens(self, query: dict[str, str]) -> Any:
        spec = json.loads(self._body() or b"{}")
        self.api.tokens = frozenset(str(t) for t in spec.get("tokens") or ())
        return {"tokens": len(self.api.tokens)}

    def c_requests(self, query: dict[str, str]) -> Any:
        out = list(self.api.requests)
        if query.get("clear") in ("1", "true"):
            self.api.requests.clear()
        return out

    def c_state(self, query: dict[str, str]) -> Any:
        return {"resourceVersion": str(self.api.store.rv), "counts": self.api.store.counts(),
                "watches": self.api.watches, "failures": self.api.failures.as_dict()}


_CONTROL: dict[tuple[str, str], Callable[[_Handler, dict[str, str]], Any]] = {
    ("POST", "apply"): _Handler.c_apply,
    ("POST", "delete"): _Handler.c_delete,
    ("POST", "load"): _Handler.c_load,
    ("POST", "failures"): _Handler.c_failures,
    ("POST", "outage"): _Handler.c_outage,
    ("POST", "close-watches"): _Handler.c_close_watches,
    ("POST", "compact"): _Handler.c_compact,
    ("POST", "tokens"): _Handler.c_tokens,
    ("GET", "requests"): _Handler.c_requests,
    ("GET", "state"): _Handler.c_state,
}


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    vs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": vs, "preferredVersion": vs[0]}
