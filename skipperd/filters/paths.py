"""Path, query and redirect filters: setPath, modPath, setQuery, dropQuery, redirectTo, redirectToLower.

``setPath(path)`` replaces the path sent to the backend (a template: placeholders that do not
resolve become empty). ``modPath(regexp, replacement)`` replaces every match in the path, with
``$1``/``${name}`` expanded as Go's ``ReplaceAllString``. ``setQuery(key[, value])`` sets one
query parameter (templates both), or with one argument replaces the whole raw query;
``dropQuery(key)`` removes a parameter; the query is then re-encoded with sorted keys, as Go's
``url.Values.Encode`` does. ``redirectTo(code[, location])`` answers with a redirect before the
backend, the location completed from the request (scheme ``https`` when it has none, the
request's host, path and query for the parts it leaves out); ``redirectToLower`` lower-cases
the path of the location.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.query import go_encode
from skipperd.filters.redirect import location, redirect_args
from skipperd.filters.spec import Spec
from skipperd.filters.template import Template, has_placeholders
from skipperd.filters.values import header_value_ok
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.params import INT, REGEXP, STRING, Param
from skipperd.regexp import Regexp, compile_re2


def _text(t: Template | str, ctx: FilterContext) -> str:
    if isinstance(t, str):
        return t
    return t.apply(ctx)[0]


def _template(text: str) -> Template | str:
    return Template(text) if has_placeholders(text) else text


class SetPath:
    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = _template(path)

    def request(self, ctx: FilterContext) -> None:
        ctx.request.set_path(_text(self.path, ctx))


class SetPathSpec(Spec):
    name = names.SET_PATH
    summary = "replaces the path sent to the backend (a template)"
    params = (Param("path", STRING, "the new path; placeholders that do not resolve become empty"),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return SetPath(str(args[0]))


class ModPath:
    __slots__ = ("rx", "replacement")

    def __init__(self, rx: Regexp, replacement: str) -> None:
        self.rx = rx
        self.replacement = replacement

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        path = self.rx.sub(self.replacement, req.path)
        if path != req.path:
            req.set_path(path)


class ModPathSpec(Spec):
    name = names.MOD_PATH
    summary = "replaces every match of a regexp in the path"
    params = (Param("expression", REGEXP, "what to match"),
              Param("replacement", STRING, "what to put instead; $1 and ${name} are expanded"))

    def make(self, args: tuple[Arg, ...]) -> Any:
        return ModPath(compile_re2(self.name, str(args[0]), capture=True), str(args[1]))


class SetQuery:
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str | None) -> None:
        self.key = _template(key)
        self.value = None if value is None else _template(value)

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        key = _text(self.key, ctx)
        if self.value is None:
            req.set_query(key)
            return
        value = _text(self.value, ctx)
        pairs = [(k, v) for k, v in parse_qsl(req.query, keep_blank_values=True) if k != key]
        pairs.append((key, value))
        req.set_query(go_encode(pairs))


class SetQuerySpec(Spec):
    name = names.SET_QUERY
    summary = "sets a query parameter; with one argument, the whole query"
    params = (Param("key", STRING, "parameter name (a template), or the whole query"),
              Param("value", STRING, "its value (a template)", optional=True))

    def make(self, args: tuple[Arg, ...]) -> Any:
        return SetQuery(str(args[0]), str(args[1]) if len(args) == 2 else None)


class DropQuery:
    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = _template(key)

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        if not req.query:
            return
        key = _text(self.key, ctx)
        pairs = parse_qsl(req.query, keep_blank_values=True)
        req.set_query(go_encode([(k, v) for k, v in pairs if k != key]))


class DropQuerySpec(Spec):
    name = names.DROP_QUERY
    summary = "removes a query parameter"
    params = (Param("key", STRING, "parameter name (a template)"),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return DropQuery(str(args[0]))


class RedirectTo:
    __slots__ = ("code", "target", "lower")

    def __init__(self, code: int, target: Any, lower: bool) -> None:
        self.code = code
        self.target = target
        self.lower = lower

    def request(self, ctx: FilterContext) -> None:
        loc = location(self.target, ctx, self.lower)
        if not header_value_ok(loc):
            ctx.serve(Response(400, Headers(), b""))
            return
        ctx.serve(Response(self.code, Headers([("location", "Location", loc)]), b""))


class RedirectToSpec(Spec):
    name = names.REDIRECT_TO
    summary = "answers with a redirect; parts of the location left out come from the request"
    params = (Param("code", INT, "status code, e.g. 301 or 308"),
              Param("location", STRING, "where to", optional=True))
    lower = False

    def make(self, args: tuple[Arg, ...]) -> Any:
        code, target = redirect_args(self.name, args)
        return RedirectTo(code, target, self.lower)


class RedirectToLowerSpec(RedirectToSpec):
    name = names.REDIRECT_TO_LOWER
    summary = "redirectTo with the path of the location in lower case"
    lower = True
