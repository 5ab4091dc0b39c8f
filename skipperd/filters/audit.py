"""Audit logging: ``auditLog()`` and ``unverifiedAuditLog([key...])`` (Skipper's filters/log).

``auditLog()`` writes one JSON document per response of its route to standard error, as
Skipper does: ``{"method", "path", "status", "authStatus"?, "requestBody"?}``. The request body
is included up to ``-max-audit-body`` bytes (0: never; -1: all), copied as it streams to the
backend; the user or the reject reason come from the state bag keys that authentication
filters set.

``unverifiedAuditLog()`` reads the claims of a bearer JWT without verifying it and adds
``X-Unverified-Audit`` with the first of the given claims (``sub`` by default) that is a string,
or ``<invalid-sub>`` when that value has characters outside ``[a-zA-Z0-9_/:?=&%@.#-]``; the
access log shows it in its last field.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import STRING, Param

AUTH_USER_KEY = "auth-user"
AUTH_REJECT_REASON_KEY = "auth-reject-reason"
UNVERIFIED_AUDIT_HEADER = "X-Unverified-Audit"
_VALID_SUB = re.compile(r"[a-zA-Z0-9_/:?=&%@.#-]*")
_INVALID_SUB = "<invalid-sub>"


def _write_stderr(data: bytes) -> None:
    try:
        os.write(2, data)
    except OSError:
        pass


BODY_KEY = "auditLog:body"


class _Tee:
    """Copies up to ``limit`` bytes (-1: all) of the request body as it streams by."""

    __slots__ = ("data", "limit")

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit

    def feed(self, data: bytes) -> bytes:
        room = len(data) if self.limit < 0 else self.limit - len(self.data)
        if room > 0:
            self.data += data[:room]
        return data

    def flush(self) -> bytes:
        return b""

    def full(self) -> bool:
        return 0 <= self.limit <= len(self.data)


class AuditLogFilter:
    __slots__ = ("max_body", "write")

    def __init__(self, max_body: int, write: Any = _write_stderr) -> None:
        self.max_body = max_body
        self.write = write

    def request(self, ctx: FilterContext) -> None:
        if self.max_body != 0 and ctx.request_body is not None:
            tee = _Tee(self.max_body)
            ctx.state_bag[BODY_KEY] = tee
            ctx.wrap_request_body(tee, same_length=True)

    def response(self, ctx: FilterContext) -> None:
        req = ctx.request
        doc: dict[str, Any] = {"method": req.method, "path": req.path,
                               "status": ctx.response.status if ctx.response is not None else 0}
        bag = ctx.state_bag
        user = bag.get(AUTH_USER_KEY) or ""
        reason = bag.get(AUTH_REJECT_REASON_KEY) or ""
        if user or reason:
            status: dict[str, Any] = {}
            if user:
                status["user"] = user
            status["rejected"] = bool(reason)
            if reason:
                status["reason"] = reason
            doc["authStatus"] = status
        tee = bag.get(BODY_KEY)
        if tee is not None:
            # As Skipper: what the backend did not read is read now, up to the limit (a shunt
            # route's body, say); the worker discards the rest as for any unread body.
            body = ctx.request_body
            try:
                while body is not None and not tee.full() and body.read():
                    pass
            except Exception:  # a client that stops sending: log what came
                pass
            if tee.data:
                doc["requestBody"] = tee.data.decode("utf-8", "replace")
        self.write((json.dumps(doc, separators=(",", ":")) + "\n").encode())


class AuditLogSpec(Spec):
    name = names.AUDIT_LOG
    summary = "writes method, path, status and up to -max-audit-body bytes of the body as JSON to stderr"
    params = ()

    def __init__(self, max_body: int = 1024) -> None:
        self.max_body = max_body

    def make(self, args: tuple[Arg, ...]) -> AuditLogFilter:
        return AuditLogFilter(self.max_body)


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a compact JWT, unverified; None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    seg = parts[1]
    try:
        raw = base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


class UnverifiedAuditLogFilter:
    __slots__ = ("keys",)

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys

    def request(self, ctx: FilterContext) -> None:
        h = ctx.request.headers
        auth = h.get("Authorization")
        if not auth or not auth.startswith("Bearer "):
            return
        claims = jwt_claims(auth[7:])
        if claims is None:
            return
        for k in self.keys:
            v = claims.get(k)
            if isinstance(v, str):
                h.add(UNVERIFIED_AUDIT_HEADER, v if _VALID_SUB.fullmatch(v) else _INVALID_SUB)
                return


class UnverifiedAuditLogSpec(Spec):
    name = names.UNVERIFIED_AUDIT_LOG
    summary = "X-Unverified-Audit from the bearer JWT's sub (or the given claims), unverified"
    params = (Param("claim", STRING, "claim names tried in order; sub by default", optional=True, variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> UnverifiedAuditLogFilter:
        return UnverifiedAuditLogFilter(tuple(str(a) for a in args) or ("sub",))
