"""``static(prefix, root)``: files from a directory, as Go's ``http.FileServer`` serves them.

The request path must start with ``prefix`` (else 404); the rest, cleaned like Go's
``path.Clean("/" + rest)`` (``..`` cannot climb above ``/``), names a file under ``root``. The
file's real path must stay inside the root's real path: a symbolic link that leads out is 404,
so nothing outside the root is ever served.

As Go's file server: a request for ``.../index.html`` is redirected (301) to its directory; a
directory without the trailing slash is redirected to it, a file with one to the name without;
a directory serves its ``index.html`` or, without one, a listing of its entries. Files have
``Content-Type`` from their extension (else sniffed from the first 512 bytes), ``Content-Length``,
``Last-Modified`` and ``Accept-Ranges: bytes``; ``If-Modified-Since`` answers 304, a single
``Range`` 206. Bodies stream from the file in 64 KiB pieces. A missing file is 404, an
unreadable one 403. The root must exist when the route is built.
"""

from __future__ import annotations

import html
import mimetypes
import os
import posixpath
import stat
from email.utils import formatdate, parsedate_to_datetime
from typing import Any, BinaryIO
from urllib.parse import quote

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.sniff import detect_content_type
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.params import STRING, Param

PIECE = 64 * 1024
# Go's built-in table (mime.builtinTypesLower) where it differs from Python's guesses.
_GO_TYPES = {
    ".avif": "image/avif", ".css": "text/css; charset=utf-8", ".gif": "image/gif",
    ".htm": "text/html; charset=utf-8", ".html": "text/html; charset=utf-8", ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg", ".js": "text/javascript; charset=utf-8", ".json": "application/json",
    ".mjs": "text/javascript; charset=utf-8", ".pdf": "application/pdf", ".png": "image/png",
    ".svg": "image/svg+xml", ".wasm": "application/wasm", ".webp": "image/webp",
    ".xml": "text/xml; charset=utf-8",
}


def content_type(name: str, head: bytes) -> str:
    ext = posixpath.splitext(name)[1].lower()
    t = _GO_TYPES.get(ext)
    if t is None and ext:
        guessed = mimetypes.guess_type("x" + ext, strict=False)[0]
        if guessed:
            t = guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")
    return t or detect_content_type(head)


def _text(status: int, text: str) -> Response:
    body = text.encode()
    h = Headers([("content-type", "Content-Type", "text/plain; charset=utf-8"),
                 ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
                 ("content-length", "Content-Length", str(len(body)))])
    return Response(status, h, body)


def not_found() -> Response:
    return _text(404, "404 page not found\n")


def _redirect(target: str, query: str) -> Response:
    if query:
        target += "?" + query
    return Response(301, Headers([("location", "Location", target)]), b"")


class FileStream:
    """A ``BodyStream`` over an open file, ``length`` bytes from where it stands."""

    __slots__ = ("f", "length", "left")

    def __init__(self, f: BinaryIO, length: int) -> None:
        self.f = f
        self.length = length
        self.left = length

    def buffered(self) -> bytes:
        return self.read()

    def read(self) -> bytes:
        if self.left <= 0:
            self.close()
            return b""
        data = self.f.read(min(PIECE, self.left))
        if not data:
            self.left = 0
            self.close()
            return b""
        self.left -= len(data)
        return data

    def exhausted(self) -> bool:
        return self.left <= 0

    def close(self) -> None:
        self.left = 0
        self.f.close()


def listing(directory: str) -> bytes:
    entries = []
    for e in sorted(os.scandir(directory), key=lambda e: e.name):
        name = e.name + ("/" if e.is_dir() else "")
        entries.append(f'<a href="{quote(name, safe="/")}">{html.escape(name)}</a>\n')
    page = '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n' + \
        "".join(entries) + "</pre>\n"
    return page.encode("utf-8")


def _range(spec: str, size: int) -> tuple[int, int] | None:
    """A single ``bytes=a-b`` range as ``(start, end exclusive)``; None when not satisfiable."""
    if not spec.startswith("bytes=") or "," in spec:
        return None
    first, _, last = spec[6:].strip().partition("-")
    try:
        if not first:
            n = int(last)
            return (max(size - n, 0), size) if n > 0 else None
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        return None
    if start >= size or start < 0 or end <= start:
        return None
    return start, min(end, size)


class Static:
    __slots__ = ("prefix", "root", "real_root")

    def __init__(self, prefix: str, root: str) -> None:
        self.prefix = prefix
        self.root = root
        self.real_root = os.path.realpath(root)

    def request(self, ctx: FilterContext) -> None:
        ctx.serve(self.answer(ctx.request.method, ctx.request.path, ctx.request.query, ctx.request.headers))

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.real_root or real.startswith(self.real_root.rstrip("/") + "/")

    def answer(self, method: str, url_path: str, query: str, headers: Any) -> Response:
        if not url_path.startswith(self.prefix):
            return not_found()
        upath = url_path[len(self.prefix):]
        if not upath.startswith("/"):
            upath = "/" + upath
        if "\0" in upath:
            return not_found()
        if upath.endswith("/index.html"):
            return _redirect("./", query)
        name = posixpath.normpath(upath)
        if name.startswith("//"):
            name = "/" + name.lstrip("/")
        fs_path = os.path.join(self.root, name.lstrip("/"))
        if not self._inside(fs_path):
            return not_found()
        try:
            st = os.stat(fs_path)
        except PermissionError:
            return _text(403, "403 Forbidden\n")
        except OSError:
            return not_found()
        if stat.S_ISDIR(st.st_mode):
            if not upath.endswith("/"):
                return _redirect(posixpath.basename(upath.rstrip("/")) + "/", query)
            index = os.path.join(fs_path, "index.html")
            try:
                ist = os.stat(index)
            except OSError:
                ist = None
            if ist is not None and stat.S_ISREG(ist.st_mode) and self._inside(index):
                return self._file(method, index, ist, headers)
            try:
                body = listing(fs_path)
            except PermissionError:
                return _text(403, "403 Forbidden\n")
            return Response(200, Headers([("content-type", "Content-Type", "text/html; charset=utf-8")]),
                            b"" if method == "HEAD" else body)
        if upath.endswith("/"):
            return _redirect("../" + posixpath.basename(upath.rstrip("/")), query)
        return self._file(method, fs_path, st, headers)

    def _file(self, method: str, path: str, st: os.stat_result, headers: Any) -> Response:
        modified = formatdate(st.st_mtime, usegmt=True)
        since = headers.get("if-modified-since")
        if since and not headers.get("range"):
            try:
                if int(st.st_mtime) <= parsedate_to_datetime(since).timestamp():
                    return Response(304, Headers([("last-modified", "Last-Modified", modified)]), b"")
            except (TypeError, ValueError, OverflowError):
                pass
        try:
            f = open(path, "rb")
        except PermissionError:
            return _text(403, "403 Forbidden\n")
        except OSError:
            return not_found()
        head = f.read(512)
        f.seek(0)
        size = st.st_size
        h = Headers([("content-type", "Content-Type", content_type(path, head)),
                     ("last-modified", "Last-Modified", modified),
                     ("accept-ranges", "Accept-Ranges", "bytes")])
        status, start, end = 200, 0, size
        rng = headers.get("range")
        if rng:
            r = _range(rng, size)
            if r is None and rng.startswith("bytes=") and "," not in rng:
                f.close()
                h.set("Content-Range", f"bytes */{size}")
                return Response(416, h, b"")
            if r is not None:
                status, (start, end) = 206, r
                h.set("Content-Range", f"bytes {start}-{end - 1}/{size}")
        h.set("Content-Length", str(end - start))
        resp = Response(status, h)
        if method == "HEAD":
            f.close()
            resp.body = b""
            return resp
        f.seek(start)
        resp.stream = FileStream(f, end - start)
        return resp


class StaticSpec(Spec):
    name = names.STATIC
    summary = "serves files from a directory below a path prefix (Go's file server; never outside the root)"
    params = (Param("prefix", STRING, "request path prefix to strip, e.g. \"/.well-known/acme-challenge/\""),
              Param("root", STRING, "directory to serve from; must exist"))

    def make(self, args: tuple[Arg, ...]) -> Any:
        prefix, root = str(args[0]), str(args[1])
        if not os.path.exists(root):
            raise InvalidArguments(self.name, f"the root {root!r} does not exist or is not accessible")
        return Static(prefix, root)
