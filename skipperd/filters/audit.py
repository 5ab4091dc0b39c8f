"""``auditLog()`` and ``unverifiedAuditLog([claim, ...])`` (Skipper's ``filters/log``).

``auditLog()`` writes one JSON line per request to stderr: ``{"method", "path", "status"}`` and
the first ``-max-audit-body`` bytes of the request body that went to the backend
(``requestBody``; 0 omits it, a negative value keeps it whole).

``unverifiedAuditLog()`` adds ``X-Unverified-Audit`` to the request with the ``sub`` claim of the
bearer token (unverified; or the first of the given claims that is a string);
a value outside ``[a-zA-Z0-9_/:?=&%@.#-]*`` becomes ``<invalid-sub>``.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import ANY, STRING, Param
from skipperd.predicates.auth import jwt_claims

AUDIT_HEADER = "X-Unverified-Audit"
_CLEAN = re.compile(r"[a-zA-Z0-9_/:?=&%@.#-]*")
_BAG = "auditLog:body"


class _Keep:
    """A same-length ``Transform`` keeping the first ``left`` bytes (all when negative)."""

    __slots__ = ("left", "parts")

    def __init__(self, left: int) -> None:
        self.left = left
        self.parts: list[bytes] = []

    def feed(self, data: bytes) -> bytes:
        if self.left < 0:
            self.parts.append(data)
        elif self.left > 0:
            piece = data[:self.left]
            self.left -= len(piece)
            self.parts.append(piece)
        return data

    def flush(self) -> bytes:
        return b""


class AuditLog:
    __slots__ = ("max_body",)

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body

    def request(self, ctx: FilterContext) -> None:
        if self.max_body != 0 and ctx.request_body is not None:
            keep = _Keep(self.max_body)
            ctx.state_bag[_BAG] = keep
            ctx.wrap_request_body(keep, same_length=True)

    def response(self, ctx: FilterContext) -> None:
        doc: dict[str, Any] = {"method": ctx.request.method, "path": ctx.request.path,
                               "status": ctx.response.status if ctx.response is not None else 0}
        keep = ctx.state_bag.get(_BAG)
        if isinstance(keep, _Keep) and keep.parts:
            doc["requestBody"] = b"".join(keep.parts).decode("utf-8", "replace")
        sys.stderr.write(json.dumps(doc) + "\n")


class AuditLogSpec(Spec):
    name = names.AUDIT_LOG
    summary = "writes method, path, status and the first -max-audit-body bytes of the request body as JSON to stderr"
    params = ()

    def __init__(self, max_body: int = 1024) -> None:
        self.max_body = max_body

    def make(self, args: tuple[Arg, ...]) -> Any:
        return AuditLog(self.max_body)


class UnverifiedAuditLog:
    __slots__ = ("claims",)

    def __init__(self, claims: tuple[str, ...]) -> None:
        self.claims = claims

    def request(self, ctx: FilterContext) -> None:
        auth = ctx.request.headers.get("authorization")
        if not auth or not auth.startswith("Bearer "):
            return
        claims = jwt_claims(auth[7:])
        if claims is None:
            return
        for key in self.claims:
            v = claims.get(key)
            if isinstance(v, str):
                value = v if _CLEAN.fullmatch(v) else "<invalid-sub>"
                ctx.request.headers.add(AUDIT_HEADER, value)
                return


class UnverifiedAuditLogSpec(Spec):
    name = names.UNVERIFIED_AUDIT_LOG
    summary = "adds X-Unverified-Audit with the bearer token's sub claim (or the first string claim named)"
    params = (Param("claim", STRING, 'claims to try in order; "sub" when none', optional=True, variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return UnverifiedAuditLog(tuple(str(a) for a in args) or ("sub",))
