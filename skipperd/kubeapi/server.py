"""The fake API server's HTTP side: the Kubernetes wire format, auth, failures, its control API.

What a client sees is what a real API server sends for the same requests:

* lists (``GET /api/v1/services``, ``/apis/networking.k8s.io/v1/namespaces/NS/ingresses``)
  as ``<Kind>List`` objects with ``metadata.resourceVersion``, items without kind/apiVersion,
  ``labelSelector``/``fieldSelector`` (the fields the API supports), ``limit``/``continue``
  paging over one snapshot, and the resourceVersion rules (``0``, ``resourceVersionMatch``
  ``NotOlderThan``/``Exact``; see ``_list``);
* objects (``GET .../namespaces/NS/services/NAME``), create (POST), replace (PUT, with the
  resourceVersion as a precondition), PATCH (``patch``: merge and JSON patch, strategic merge
  as merge) and delete (preconditions; a ``Status`` of Success);
* watches (``?watch=1``): a chunked stream of ``{"type": ..., "object": ...}`` lines from
  ``resourceVersion`` on (or synthetic ADDED events for the current state without one, or with
  ``sendInitialEvents``), ADDED/DELETED when an object starts/stops matching the selectors,
  BOOKMARK events with ``allowWatchBookmarks``, ``timeoutSeconds``, and for a version the
  history no longer holds an ``ERROR`` event with a 410 ``Expired`` Status, as a real server
  after etcd compaction;
* discovery (``/api``, ``/apis``, ``/api/v1``, ``/apis/zalando.org/v1``, ``/version``);
* errors as ``Status`` objects with a real server's reasons, messages and ``details``; 401
  without a known bearer token (when tokens are configured);
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
import re
import select
import socket
import ssl
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from skipperd.kubeapi import fixtures, patch
from skipperd.kubeapi.patch import PatchError
from skipperd.kubeapi.rbac import Rbac
from skipperd.kubeapi.resources import RESOURCES, Resource, field_labels, group_versions
from skipperd.kubeapi.selectors import SelectorError
from skipperd.kubeapi.selectors import parse as parse_selector
from skipperd.kubeapi.store import Event, Gone, Obj, Store, StoreError, invalid, not_found, selected
from skipperd.kubeapi.tlscert import CertFiles

log = logging.getLogger("skipperd.kubeapi")

ROUTEGROUPS_PREFIX = "/apis/zalando.org/v1"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                          "message": message, "reason": reason}
    if details:
        st["details"] = details
    st["code"] = code
    return st


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
    _request_body: bytes | None = None

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

    def _send_status(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        self._send_json(code, status(code, reason, message, details))

    def _body(self) -> bytes:
        """The request body, read once (by ``_dispatch``, before any answer: a body left unread
        would be parsed as the next request on a kept-alive connection)."""
        if self._request_body is not None:
            return self._request_body
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)
            body = b"".join(parts)
        else:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n > 0 else b""
        self._request_body = body
        return body

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

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        self._request_body = None
        try:
            self._body()
        except ValueError:
            self.close_connection = True
            self._send_status(400, "BadRequest", "malformed request body framing")
            return
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
        elif method == "PATCH" and req.name:
            verb = "patch"
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
                              f'"{group}" {scope}',
                              {"group": group, "kind": req.resource.plural} if group else {"kind": req.resource.plural})
            return
        try:
            labels = parse_selector(query["labelSelector"]) if query.get("labelSelector") else None
            fields = parse_selector(query["fieldSelector"], set_based=False) if query.get("fieldSelector") else None
            for r in fields.requirements if fields else ():
                if r.key not in field_labels(req.resource):
                    raise SelectorError(f'"{r.key}" is not a known field selector: only '
                                        f'{", ".join(repr(f) for f in field_labels(req.resource))}')
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
                    raise not_found(req.resource, req.name)
                self._send_json(200, obj)
            elif verb == "list":
                self._list(req, query, labels, fields)
            elif verb == "watch":
                self._watch(req, query, labels, fields)
            elif verb in ("create", "update"):
                self._write(req, verb, self._json_body())
            elif verb == "patch":
                self._patch(req)
            else:
                self._delete(req)
        except StoreError as e:
            self._send_status(e.code, e.reason, str(e), e.details)
        except PatchError as e:
            reasons = {400: "BadRequest", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType", 422: "Invalid"}
            self._send_status(e.code, reasons.get(e.code, "BadRequest"), str(e))

    def _json_body(self) -> Any:
        try:
            return json.loads(self._body() or b"null")
        except ValueError as e:
            raise StoreError(400, "BadRequest", f"the body of the request is not JSON: {e}") from None

    def _write(self, req: _Request, verb: str, obj: Any, precondition: str = "") -> None:
        """Create (POST), replace (PUT) or store a patched object, checked as a real server checks."""
        r = req.resource
        if not isinstance(obj, dict):
            raise StoreError(400, "BadRequest", f"the body of the request must be a {r.kind} object")
        if obj.get("kind", r.kind) != r.kind or obj.get("apiVersion", r.api_version) != r.api_version:
            raise StoreError(400, "BadRequest", f"the API version in the data ({obj.get('apiVersion')}) and kind "
                             f"({obj.get('kind')}) do not match the expected {r.api_version} {r.kind}")
        obj = dict(obj, kind=r.kind, apiVersion=r.api_version)
        meta = obj.get("metadata")
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise StoreError(400, "BadRequest", "metadata must be an object")
        meta = obj["metadata"] = dict(meta)
        ns = meta.get("namespace")
        if ns and ns != req.namespace:
            raise StoreError(400, "BadRequest", "the namespace of the provided object does not match the "
                             "namespace sent on the request")
        meta["namespace"] = req.namespace
        name = meta.get("name")
        if verb != "create" and name != req.name:
            raise StoreError(400, "BadRequest", f"the name of the object ({name}) does not match the name on "
                             f"the URL ({req.name})")
        if verb == "create" and isinstance(name, str) and name and not _DNS_SUBDOMAIN.fullmatch(name):
            raise invalid(r, name, "metadata.name", "FieldValueInvalid",
                          f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                          "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
        rv = str(meta.get("resourceVersion") or "")
        if verb == "update" and not rv and r.group == "zalando.org":
            # custom resources allow no unconditional update
            raise invalid(r, str(name), "metadata.resourceVersion", "FieldValueInvalid",
                          "Invalid value: 0x0: must be specified for an update")
        if verb == "create":
            meta.pop("resourceVersion", None)
        what, stored = self.api.store.apply(obj, create_only=verb == "create", update_only=verb != "create",
                                            precondition=precondition or rv)
        self._send_json(201 if what == "created" else 200, stored)

    def _patch(self, req: _Request) -> None:
        assert req.namespace is not None and req.name is not None
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        types = [patch.JSON_PATCH, patch.MERGE] + ([] if req.resource.group == "zalando.org" else [patch.STRATEGIC])
        if ctype not in types:
            # no server-side apply (application/apply-patch+yaml) in the fake
            raise PatchError(415, f"the body of the request was in an unknown format - accepted media types "
                             f"include: {', '.join(types)}")
        body = self._json_body()
        if ctype == patch.MERGE or ctype == patch.STRATEGIC:
            if not isinstance(body, dict):
                raise PatchError(400, "invalid JSON document: a merge patch must be an object")
        current = self.api.store.get(req.resource, req.namespace, req.name)
        if current is None:
            raise not_found(req.resource, req.name)
        new = patch.json_patch(current, body) if ctype == patch.JSON_PATCH else patch.merge_patch(current, body)
        if not isinstance(new, dict):
            raise invalid(req.resource, req.name, "patch", "FieldValueInvalid", "the patched object is not an object")
        m = new.get("metadata")
        meta: dict[str, Any] = dict(m) if isinstance(m, dict) else {}
        # A resourceVersion in the patch is a precondition; none (or the current one kept by the
        # patch) is an unconditional patch.
        rv = str(meta.get("resourceVersion") or "")
        if rv == current["metadata"].get("resourceVersion"):
            rv = ""
        for k in ("uid", "creationTimestamp", "generation"):
            if k in current["metadata"]:
                meta[k] = current["metadata"][k]
        self._write(req, "patch", dict(new, metadata=dict(meta, resourceVersion=rv)), precondition=rv)

    def _delete(self, req: _Request) -> None:
        assert req.namespace is not None and req.name is not None
        opts = self._json_body() if int(self.headers.get("Content-Length") or 0) else None
        pre = opts.get("preconditions") if isinstance(opts, dict) else None
        rv = str(pre.get("resourceVersion") or "") if isinstance(pre, dict) else ""
        uid = str(pre.get("uid") or "") if isinstance(pre, dict) else ""
        store = self.api.store
        if uid:
            cur = store.get(req.resource, req.namespace, req.name)
            if cur is not None and cur["metadata"].get("uid") != uid:
                raise StoreError(409, "Conflict", f'Operation cannot be fulfilled on {req.resource.qualified} '
                                 f'"{req.name}": Precondition failed: UID in precondition: {uid}, UID in object '
                                 f'meta: {cur["metadata"].get("uid")}')
        gone = store.delete(req.resource, req.namespace, req.name, precondition=rv)
        if req.resource.kind == "Service":
            self._send_json(200, gone)  # services answer with the deleted object
            return
        details: dict[str, Any] = {"name": req.name}
        if req.resource.group:
            details["group"] = req.resource.group
        details.update(kind=req.resource.plural, uid=gone["metadata"].get("uid"))
        self._send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                              "details": details})

    def _list(self, req: _Request, query: dict[str, str], labels: Any, fields: Any) -> None:
        """A list with the API's resourceVersion semantics:

        * none: the current state; ``0``: any state (the current one; ``limit`` is ignored, as a
          real server serving from its watch cache does);
        * ``N`` with ``resourceVersionMatch=NotOlderThan``: the current state, after waiting up to
          3 s for the store to reach N (504 Timeout "Too large resource version" otherwise);
        * ``N`` with ``resourceVersionMatch=Exact``, or with ``limit`` and no match (the legacy
          rule): the state at N exactly, 410 Expired once the history no longer holds it;
        * ``continue``: the next page of the state the first page was taken at (410 once
          compacted), as a real server's consistent paging.
        """
        store = self.api.store
        rv_param, match = query.get("resourceVersion", ""), query.get("resourceVersionMatch", "")
        limit = int(query.get("limit") or 0) if (query.get("limit") or "0").isdigit() else -1
        if limit < 0:
            raise StoreError(400, "BadRequest", f'invalid limit {query.get("limit")!r}')
        errs = []
        if match and match not in ("Exact", "NotOlderThan"):
            errs.append(f'resourceVersionMatch: Unsupported value: "{match}": supported values: "Exact", "NotOlderThan"')
        elif match and not rv_param:
            errs.append("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")
        elif match and query.get("continue"):
            errs.append("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided")
        elif match == "Exact" and rv_param == "0":
            errs.append('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
        if errs:
            raise StoreError(422, "Invalid", f'ListOptions.meta.k8s.io "" is invalid: {errs[0]}',
                             {"group": "meta.k8s.io", "kind": "ListOptions",
                              "causes": [{"reason": "FieldValueInvalid", "message": errs[0].split(": ", 1)[1],
                                          "field": errs[0].split(":", 1)[0]}]})
        after: tuple[str, str] | None = None
        if query.get("continue"):
            if rv_param not in ("", "0"):
                raise StoreError(400, "BadRequest", "specifying resource version is not allowed when using continue")
            try:
                token = json.loads(base64.urlsafe_b64decode(query["continue"].encode()))
                rv, after = int(token["rv"]), (str(token["start"][0]), str(token["start"][1]))
            except (ValueError, KeyError, TypeError, IndexError):
                raise StoreError(400, "BadRequest", "continue key is not valid: invalid continue token") from None
            try:
                items = store.items_at(rv, req.resource, req.namespace, labels, fields)
            except Gone:
                raise StoreError(410, "Expired", "The provided continue parameter is too old to display a "
                                 "consistent list result. You can start a new list without the continue "
                                 "parameter.") from None
        elif rv_param not in ("", "0"):
            try:
                wanted = int(rv_param)
            except ValueError:
                raise StoreError(400, "BadRequest", f'resourceVersion: Invalid value: "{rv_param}": '
                                 "must be an integer") from None
            if match == "Exact" or (not match and limit > 0):
                if wanted > store.rv:
                    store.wait_for(wanted, 3.0)
                rv, items = wanted, store.items_at(wanted, req.resource, req.namespace, labels, fields)
            else:
                store.wait_for(wanted, 3.0)
                rv, items = store.items(req.resource, req.namespace, labels, fields)
        else:
            rv, items = store.items(req.resource, req.namespace, labels, fields)
            if rv_param == "0":
                limit = 0
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if after is not None:
            items = [o for o in items if _key(o) > after]
        if limit > 0 and len(items) > limit:
            last = _key(items[limit - 1])
            meta["continue"] = base64.urlsafe_b64encode(_dumps({"rv": rv, "start": list(last)})).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        body = {"kind": req.resource.kind + "List", "apiVersion": req.resource.api_version, "metadata": meta,
                "items": [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in items]}
        self._send_json(200, body)

    # --- watches -----------------------------------------------------------------------------------

    def _chunk(self, value: Any) -> None:
        data = _dumps(value) + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _bookmark(self, req: _Request, rv: int, initial_end: bool = False) -> None:
        meta: dict[str, Any] = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        self._chunk({"type": "BOOKMARK", "object": {"kind": req.resource.kind, "apiVersion": req.resource.api_version,
                                                      "metadata": meta}})

    def _client_gone(self) -> bool:
        """The client closed the connection (or sent something, which a watch client never does
        until it is done)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def _watch(self, req: _Request, query: dict[str, str], labels: Any, fields: Any) -> None:
        """A watch stream. With a selector, an object that stops matching is DELETED (its last
        matching state with the new version) and one that starts matching is ADDED, as a real
        server's watch cache sends them. ``sendInitialEvents=true`` (client-go's streaming list)
        sends the current state as ADDED, then a BOOKMARK annotated
        ``k8s.io/initial-events-end``."""
        api, store = self.api, self.api.store
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        initial = query.get("sendInitialEvents") in ("1", "true")
        match = query.get("resourceVersionMatch", "")
        rv_param = query.get("resourceVersion", "")
        if initial and (match != "NotOlderThan" or not bookmarks):
            raise StoreError(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: '
                             'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan and '
                             'allowWatchBookmarks', {"group": "meta.k8s.io", "kind": "ListOptions"})
        if match and not initial:
            raise StoreError(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: '
                             'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
                             {"group": "meta.k8s.io", "kind": "ListOptions"})
        last = 0
        if rv_param not in ("", "0"):
            try:
                last = int(rv_param)
            except ValueError:
                raise StoreError(400, "BadRequest", f'resourceVersion: Invalid value: "{rv_param}": '
                                 "must be an integer") from None
        try:
            timeout = float(query.get("timeoutSeconds") or api.watch_timeout)
        except ValueError:
            raise StoreError(400, "BadRequest", f'invalid timeoutSeconds {query.get("timeoutSeconds")!r}') from None
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
            if last:
                store.wait_for(last, 3.0)  # a version from the future: an ERROR (504) after 3 s
            if rv_param in ("", "0") or initial:
                # synthetic ADDED events for the current state (with initial events: also from N on)
                last, items = store.items(req.resource, req.namespace, labels, fields)
                for o in items:
                    self._chunk({"type": "ADDED", "object": o})
                if initial:
                    self._bookmark(req, last, initial_end=True)
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
                    out = _watch_event(ev, labels, fields)
                    if out is not None:
                        self._chunk(out)
                last = upto
                now = time.monotonic()
                if api._stopped or api._epoch != epoch:
                    break  # close-watches ends streams cleanly; an outage has cut the socket already
                if self._client_gone():
                    return  # as a real server ends a watch whose client went away
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
        except StoreError as e:
            self._chunk({"type": "ERROR", "object": status(e.code, e.reason, str(e), e.details)})
            self.wfile.write(b"0\r\n\r\n")
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


_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _key(o: Obj) -> tuple[str, str]:
    meta = o.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def _watch_event(ev: Event, labels: Any, fields: Any) -> dict[str, Any] | None:
    """What a watcher with these selectors sees of one change, or None (cacheWatcher's rules)."""
    now = ev.type != "DELETED" and selected(ev.obj, labels, fields)
    before = ev.prev is not None and selected(ev.prev, labels, fields)
    if now and not before:
        return {"type": "ADDED", "object": ev.obj}
    if now and before:
        return {"type": "MODIFIED", "object": ev.obj}
    if before:
        assert ev.prev is not None
        last = dict(ev.prev, metadata=dict(ev.prev["metadata"], resourceVersion=str(ev.rv)))
        return {"type": "DELETED", "object": last}
    return None


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    vs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": vs, "preferredVersion": vs[0]}
