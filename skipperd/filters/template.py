"""Header-value templates with ``${name}`` placeholders (Skipper's ``eskip.Template``).

A placeholder names a path parameter (``Path("/users/:id")`` → ``${id}``) or a request or
response attribute: ``request.header.<Name>``, ``request.query.<name>``,
``request.cookie.<name>``, ``request.method``, ``request.host``, ``request.path``,
``request.rawQuery``, ``request.source``, ``request.sourceFromLast``, ``request.clientIP``,
``response.header.<Name>``. ``apply`` reports whether every placeholder resolved to a non-empty
value; Skipper's header filters leave the header alone when one did not.
"""

from __future__ import annotations

import re

from skipperd.http.context import FilterContext

_PLACEHOLDER = re.compile(r"\$\{([^{}]+)\}")


def has_placeholders(text: str) -> bool:
    return "${" in text and _PLACEHOLDER.search(text) is not None


def _forwarded_for(ctx: FilterContext) -> list[str]:
    value = ctx.request.headers.get("X-Forwarded-For") or ""
    return [p.strip() for p in value.split(",") if p.strip()]


def _lookup(ctx: FilterContext, key: str) -> str:
    req = ctx.request
    if key.startswith("request.header."):
        return req.headers.get(key[15:]) or ""
    if key.startswith("request.query."):
        values = req.query_params().get(key[14:])
        return values[0] if values else ""
    if key.startswith("request.cookie."):
        return req.cookie(key[15:]) or ""
    if key == "request.method":
        return req.method
    if key == "request.host":
        return req.host
    if key == "request.path":
        return req.path
    if key == "request.rawQuery":
        return req.query
    if key == "request.source":
        xff = _forwarded_for(ctx)
        return xff[0] if xff else req.remote_addr
    if key == "request.sourceFromLast":
        xff = _forwarded_for(ctx)
        return xff[-1] if xff else req.remote_addr
    if key == "request.clientIP":
        return req.remote_addr
    if key.startswith("response.header.") and ctx.response is not None:
        return ctx.response.headers.get(key[16:]) or ""
    return ctx.path_params.get(key, "")


class Template:
    __slots__ = ("text", "placeholders")

    def __init__(self, text: str) -> None:
        self.text = text
        self.placeholders = tuple(dict.fromkeys(_PLACEHOLDER.findall(text)))

    def apply(self, ctx: FilterContext) -> tuple[str, bool]:
        result = self.text
        ok = True
        for name in self.placeholders:
            value = _lookup(ctx, name)
            if not value:
                ok = False
            result = result.replace("${" + name + "}", value)
        return result, ok
