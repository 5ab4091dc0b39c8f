"""``skipperd webhook``: the admission webhook's HTTP(S) server (upstream cmd/webhook).

Flags as Skipper's webhook has them: ``-address`` (default ``:9443``, or ``:9080`` without
TLS), ``-tls-cert-file``/``-tls-key-file`` (default ``$CERT_FILE``/``$KEY_FILE``; both or
neither), ``-debug``. Routes: ``POST /routegroups``, ``POST /ingresses``, ``GET /healthz``
(``ok``), ``GET /metrics`` (Prometheus text). SIGTERM stops it after the requests in flight.
A body over 3 MiB is refused with 413, a body without Content-Length with 411.
"""

from __future__ import annotations

import logging
import os
import signal
import ssl
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Sequence, TextIO

from skipperd.config import parse_address
from skipperd.webhook.admission import ADMITTERS, MAX_BODY_SIZE, admit

DEFAULT_HTTPS_ADDRESS = ":9443"
DEFAULT_HTTP_ADDRESS = ":9080"
USAGE = ("usage: skipperd webhook [-address=HOST:PORT] [-tls-cert-file=FILE -tls-key-file=FILE] [-debug]\n"
         "  Skipper's validating admission webhook for Ingresses (POST /ingresses) and RouteGroups\n"
         "  (POST /routegroups); GET /healthz, GET /metrics.\n")

log = logging.getLogger("skipperd.webhook")


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    address: str
    cert_file: str
    key_file: str
    debug: bool


class UsageError(Exception):
    pass


def parse_flags(argv: Sequence[str], env: dict[str, str]) -> WebhookConfig:
    values = {"address": DEFAULT_HTTPS_ADDRESS, "tls-cert-file": env.get("CERT_FILE", ""),
              "tls-key-file": env.get("KEY_FILE", "")}
    debug = False
    args = list(argv)
    while args:
        a = args.pop(0)
        if not a.startswith("-"):
            raise UsageError(f"unexpected argument {a!r}")
        name, eq, value = a.lstrip("-").partition("=")
        if name == "debug":
            debug = value.lower() not in ("false", "0") if eq else True
            continue
        if name not in values:
            raise UsageError(f"unknown flag -{name}")
        if not eq:
            if not args:
                raise UsageError(f"flag -{name} needs a value")
            value = args.pop(0)
        values[name] = value
    cert, key = values["tls-cert-file"], values["tls-key-file"]
    if bool(cert) != bool(key):
        raise UsageError("both of TLS cert & key must be provided or neither (for testing)")
    address = values["address"]
    if not cert and address == DEFAULT_HTTPS_ADDRESS:
        address = DEFAULT_HTTP_ADDRESS
    try:
        parse_address(address)
    except ValueError as e:
        raise UsageError(str(e)) from None
    return WebhookConfig(address, cert, key, debug)


class Metrics:
    """Request counters by admitter, shown at /metrics with the upstream webhook's names."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def inc(self, name: str, admitter: str) -> None:
        with self._lock:
            self._counts[(name, admitter)] += 1

    def text(self) -> str:
        with self._lock:
            items = sorted(self._counts.items())
        out = []
        for name in ("requests", "invalid_requests", "rejected_admissions", "successful_admissions"):
            metric = f"routegroup_admission_admitter_{name}"
            out.append(f"# TYPE {metric} counter")
            out.extend(f'{metric}{{admitter="{a}"}} {n}' for (m, a), n in items if m == name)
        return "\n".join(out) + "\n"


class _Handler(BaseHTTPRequestHandler):
    server_version = "skipperd-webhook"
    protocol_version = "HTTP/1.1"
    metrics: Metrics

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json") -> None:
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._send(200, b"ok", "text/plain; charset=utf-8")
            return
        if path == "/metrics":
            self._send(200, self.metrics.text().encode(), "text/plain; version=0.0.4")
            return
        admitter = ADMITTERS.get(path)
        if admitter is None:
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return
        self.metrics.inc("requests", admitter)
        body = b""
        if self.command == "POST":
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                self.metrics.inc("invalid_requests", admitter)
                self.close_connection = True
                self._send(411)
                return
            if int(length) > MAX_BODY_SIZE:
                self.metrics.inc("invalid_requests", admitter)
                self.close_connection = True
                self._send(413)
                return
            body = self.rfile.read(int(length))
        answer = admit(admitter, self.command, self.headers.get("Content-Type"), body)
        if answer.allowed is None:
            self.metrics.inc("invalid_requests", admitter)
            log.error("%s admitter: %s", admitter, answer.reason)
        elif answer.allowed:
            self.metrics.inc("successful_admissions", admitter)
            log.debug("%s admitter: allowed", admitter)
        else:
            self.metrics.inc("rejected_admissions", admitter)
            log.debug("%s admitter: rejected", admitter)
        self._send(answer.status, answer.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _route


def serve(cfg: WebhookConfig, ready: threading.Event | None = None) -> None:
    host, port = parse_address(cfg.address)
    handler = type("Handler", (_Handler,), {"metrics": Metrics()})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    if cfg.cert_file:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cfg.cert_file, cfg.key_file)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)

    def stop(signum: int, frame: object) -> None:
        log.info("Shutting down...")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    log.info("Starting server on %s", cfg.address)
    if ready is not None:
        ready.set()
    try:
        server.serve_forever()
    finally:
        server.server_close()


def main(argv: Sequence[str], err: TextIO = sys.stderr) -> int:
    if argv and argv[0] in ("-h", "-help", "--help"):
        sys.stdout.write(USAGE)
        return 0
    try:
        cfg = parse_flags(argv, dict(os.environ))
    except UsageError as e:
        err.write(f"skipperd webhook: {e}\n{USAGE}")
        return 2
    logging.basicConfig(level=logging.DEBUG if cfg.debug else logging.INFO, stream=err,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(cfg)
    except OSError as e:
        err.write(f"skipperd webhook: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
