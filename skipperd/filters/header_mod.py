"""``modRequestHeader`` and ``modResponseHeader``: regexp replacement in a header's value.

Every match in the (first) value is replaced, Go's ``ReplaceAllString`` way (``$1``, ``${name}``;
``skipperd.regexp``), and the result replaces all values of the field. A header that
is absent is left alone, except the request's ``Host``: there the request's host is rewritten
and becomes the outgoing host, so ``modRequestHeader("Host", "^zalando\\.(\\w+)$",
"www.zalando.$1")`` works as in Skipper. A result holding CR, LF or NUL is not set.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.header_ops import NAME, header_name
from skipperd.filters.spec import Spec
from skipperd.filters.values import header_value_ok
from skipperd.http.context import FilterContext
from skipperd.params import REGEXP, STRING, Param
from skipperd.regexp import Regexp, compile_re2


class ModRequestHeader:
    __slots__ = ("name", "lower", "rx", "template", "is_host")

    def __init__(self, name: str, rx: Regexp, template: str) -> None:
        self.name = name
        self.lower = name.lower()
        self.rx = rx
        self.template = template
        self.is_host = self.lower == "host"

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        if self.is_host:
            value = self.rx.sub(self.template, req.headers.get("host") or req.host)
            if header_value_ok(value):
                req.headers.set_field(self.lower, self.name, value)
                ctx.outgoing_host = value
            return
        current = req.headers.get(self.name)
        if current is None:
            return
        value = self.rx.sub(self.template, current)
        if header_value_ok(value):
            req.headers.set_field(self.lower, self.name, value)


class ModResponseHeader:
    __slots__ = ("name", "lower", "rx", "template")

    def __init__(self, name: str, rx: Regexp, template: str) -> None:
        self.name = name
        self.lower = name.lower()
        self.rx = rx
        self.template = template

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        if resp is None:
            return
        current = resp.headers.get(self.name)
        if current is None:
            return
        value = self.rx.sub(self.template, current)
        if header_value_ok(value):
            resp.headers.set_field(self.lower, self.name, value)


_PARAMS = (NAME, Param("expression", REGEXP, "what to replace, every match"),
           Param("replacement", STRING, "the replacement; $1, ${1}, $name refer to groups"))


class ModRequestHeaderSpec(Spec):
    name = names.MOD_REQUEST_HEADER
    summary = "replaces every match of a regexp in a request header (Host: also the outgoing host)"
    params = _PARAMS

    def make(self, args: tuple[Arg, ...]) -> Any:
        return ModRequestHeader(header_name(self.name, args[0]), compile_re2(self.name, str(args[1]), capture=True),
                                str(args[2]))


class ModResponseHeaderSpec(Spec):
    name = names.MOD_RESPONSE_HEADER
    summary = "replaces every match of a regexp in a response header"
    params = _PARAMS

    def make(self, args: tuple[Arg, ...]) -> Any:
        return ModResponseHeader(header_name(self.name, args[0]), compile_re2(self.name, str(args[1]), capture=True),
                                 str(args[2]))
