"""Access log control per route: ``disableAccessLog``, ``enableAccessLog``, ``maskAccessLogQuery``.

As in Skipper (filters/accesslog): the filter puts its ``AccessLogControl`` into the request's
state bag and the access log (``skipperd.worker.accesslog``) obeys the last one set, over
``-access-log-disabled``. With status-code prefixes (``enableAccessLog(1, 301, 20)``: 1xx, 301
and 20x) only matching responses are logged (enable) or left out (disable): a prefix below 10
names a class of a hundred, below 100 one of ten, else one code. ``maskAccessLogQuery("k", ...)``
replaces the values of those query parameters in the logged URI by a hash of them; like
Skipper's it also turns the log on for its route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import INT, STRING, Param

CONTROL_KEY = "statebag:access_log:proxy:enabled"
ADDITIONAL_KEY = "statebag:access_log:additional"
MASKED_QUERY = "maskedQueryParams"
AUTH_USER_KEY = "auth-user"


@dataclass(frozen=True, slots=True)
class AccessLogControl:
    enable: bool
    prefixes: tuple[int, ...] = ()
    masked: frozenset[str] = frozenset()


def should_log(status: int, ctl: AccessLogControl) -> bool:
    """Skipper's shouldLog."""
    if not ctl.prefixes:
        return ctl.enable
    match = False
    for p in ctl.prefixes:
        if p < 10:
            match = p * 100 <= status < (p + 1) * 100
        elif p < 100:
            match = p * 10 <= status < (p + 1) * 10
        else:
            match = status == p
        if match:
            break
    return match == ctl.enable


class AccessLogFilter:
    __slots__ = ("ctl",)

    def __init__(self, ctl: AccessLogControl) -> None:
        self.ctl = ctl

    def request(self, ctx: FilterContext) -> None:
        bag = ctx.state_bag
        bag[CONTROL_KEY] = self.ctl
        if self.ctl.masked:
            extra: Any = bag.get(ADDITIONAL_KEY)
            if extra is None:
                extra = bag[ADDITIONAL_KEY] = {}
            masked = extra.get(MASKED_QUERY)
            extra[MASKED_QUERY] = self.ctl.masked if masked is None else masked | self.ctl.masked


_PREFIXES = (Param("prefix", INT, "status code prefix: 1-9 a class of 100, 10-99 of 10, else one code",
                   optional=True, variadic=True),)


def _prefixes(args: tuple[Arg, ...]) -> tuple[int, ...]:
    return tuple(int(a) for a in args)  # Skipper truncates numbers, as Go's int(v)


class DisableAccessLogSpec(Spec):
    name = names.DISABLE_ACCESS_LOG
    summary = "no access log for this route (or only not for the given status code prefixes)"
    params = _PREFIXES

    def make(self, args: tuple[Arg, ...]) -> AccessLogFilter:
        return AccessLogFilter(AccessLogControl(False, _prefixes(args)))


class EnableAccessLogSpec(Spec):
    name = names.ENABLE_ACCESS_LOG
    summary = "an access log for this route (or only for the given status code prefixes)"
    params = _PREFIXES

    def make(self, args: tuple[Arg, ...]) -> AccessLogFilter:
        return AccessLogFilter(AccessLogControl(True, _prefixes(args)))


class MaskAccessLogQuerySpec(Spec):
    name = names.MASK_ACCESS_LOG_QUERY
    summary = "the access log shows a hash instead of the values of these query parameters"
    params = (Param("key", STRING, "query parameter name", variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> AccessLogFilter:
        if any(not a for a in args):
            raise InvalidArguments(self.name, "query parameter names must not be empty")
        return AccessLogFilter(AccessLogControl(True, (), frozenset(str(a) for a in args)))
