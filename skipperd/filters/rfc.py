"""``rfcPath()`` and ``rfcHost()``: Skipper's alternative readings of RFC 3986 and RFC 7230.

``rfcPath`` keeps reserved characters escaped in the path when the client sent them escaped:
``/api/foo%2Fbar`` is then ``/api/foo%2Fbar`` to the routes after a ``<loopback>`` and to path
templates, not ``/api/foo/bar``. Only these escapes count: ``%2F`` ``%3B`` ``%3F`` ``%3A``
``%40`` ``%26`` ``%3D`` ``%2B`` ``%24`` ``%2C``; when the decoded path no longer matches the raw
one (a filter changed it), nothing is patched. The path forwarded to the backend is the one the
client sent, unless a filter sets a new one.

``rfcHost`` removes the optional trailing dot of the host (``example.org.`` and
``example.org.:8080``), on the request and on the outgoing host.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import ANY, Param

_RESERVED = {"%3B": ";", "%2F": "/", "%3F": "?", "%3A": ":", "%40": "@", "%26": "&", "%3D": "=",
             "%2B": "+", "%24": "$", "%2C": ","}


def patch_path(parsed: str, raw: str) -> str:
    """Skipper's ``rfc.PatchPath``: the decoded path with the reserved escapes of ``raw`` kept."""
    out: list[str] = []
    pi = 0
    patched = False
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if pi >= len(parsed):
            return parsed
        if c != "%":
            if parsed[pi] != c:
                return parsed
            out.append(c)
            pi += 1
            i += 1
            continue
        if n < i + 3:
            return parsed
        seq = raw[i:i + 3]
        i += 3
        unescaped = _RESERVED.get(seq.upper())
        if unescaped is None:
            out.append(parsed[pi])
            pi += 1
            continue
        if parsed[pi] != unescaped:
            return parsed
        out.append(seq)
        patched = True
        pi += 1
    if not patched or pi < len(parsed):
        return parsed
    return "".join(out)


def patch_host(host: str) -> str:
    return host.replace(".:", ":").removesuffix(".")


class RfcPath:
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        if "%" in req.raw_path:
            # Routing and templates see the patched path; the forwarded path stays raw_path.
            req.path = patch_path(req.path, req.raw_path)


class RfcHost:
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        if req.host.endswith(".") or ".:" in req.host:
            req.host = patch_host(req.host)
            if "host" in req.headers:
                req.headers.set_field("host", "Host", req.host)
        if ctx.outgoing_host:
            ctx.outgoing_host = patch_host(ctx.outgoing_host)


_NONE = (Param("ignored", ANY, "arguments are ignored", optional=True, variadic=True),)


class RfcPathSpec(Spec):
    name = names.RFC_PATH
    summary = "keeps reserved characters escaped in the path when the client sent them escaped"
    params = _NONE

    def make(self, args: tuple[Arg, ...]) -> Any:
        return RfcPath()


class RfcHostSpec(Spec):
    name = names.RFC_HOST
    summary = "removes the optional trailing dot of the host"
    params = _NONE

    def make(self, args: tuple[Arg, ...]) -> Any:
        return RfcHost()
