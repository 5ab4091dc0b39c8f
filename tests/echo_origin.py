"""An origin on loopback that answers every request with what it received, as JSON.

``{"method", "target", "headers": [[name, value], ...], "body"}``. A request header
``X-Respond-<Name>: value`` makes it answer with ``<Name>: value`` (repeat the request header
for several values), and ``X-Respond-Status: 404`` with that status: so response filters get a
backend response of the test's choosing. HTTP/1.1 with keep-alive, one thread per connection.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "EchoOrigin"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(n) if n else b""
        headers = [[k, v] for k, v in self.headers.items()]
        self.server.requests.append({"method": self.command, "target": self.path, "headers": headers, "body": body})
        data = json.dumps({"method": self.command, "target": self.path, "headers": headers,
                           "body": body.decode("latin-1")}).encode()
        status = int(self.headers.get("X-Respond-Status") or 200)
        self.send_response(status)
        for k, v in self.headers.items():
            if k.lower().startswith("x-respond-") and k.lower() != "x-respond-status":
                self.send_header(k[10:], v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer


class EchoOrigin(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> "EchoOrigin":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
