"""``consistentHashKey(template)`` and ``consistentHashBalanceFactor(factor)``: what the
``consistentHash`` load-balancing algorithm (``skipperd.proxy.lb``) reads from the state bag.

``consistentHashKey`` stores its template's value when every placeholder resolved; otherwise the
algorithm keeps its default key, the client's address (Skipper's ``${request.source}``).
``consistentHashBalanceFactor`` (a number >= 1) bounds an endpoint's requests in flight to that
factor times the average, so that one popular key cannot overload one endpoint.
"""

from __future__ import annotations

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.filters.template import Template
from skipperd.http.context import FilterContext
from skipperd.params import NUMBER, Param, STRING

#: State-bag keys, Skipper's ``loadbalancer.ConsistentHashKey`` and ``...BalanceFactor``.
KEY = "consistentHashKey"
BALANCE_FACTOR = "consistentHashBalanceFactor"


class ConsistentHashKey:
    __slots__ = ("template",)

    def __init__(self, template: Template) -> None:
        self.template = template

    def request(self, ctx: FilterContext) -> None:
        key, ok = self.template.apply(ctx)
        if ok:
            ctx.state_bag[KEY] = key


class ConsistentHashKeySpec:
    name = names.CONSISTENT_HASH_KEY
    summary = "the key consistentHash balances by (a template; the client address by default)"
    params = (Param("key", STRING, "e.g. \"${request.header.Authorization}\""),)

    def create(self, args: tuple[Arg, ...]) -> ConsistentHashKey:
        if len(args) != 1 or not isinstance(args[0], str):
            raise InvalidArguments(self.name, "expects one key template, as a string")
        return ConsistentHashKey(Template(args[0]))


class ConsistentHashBalanceFactor:
    __slots__ = ("factor",)

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def request(self, ctx: FilterContext) -> None:
        ctx.state_bag[BALANCE_FACTOR] = self.factor


class ConsistentHashBalanceFactorSpec:
    name = names.CONSISTENT_HASH_BALANCE_FACTOR
    summary = "bounds an endpoint's load to factor times the average (consistentHash)"
    params = (Param("factor", NUMBER, "at least 1"),)

    def create(self, args: tuple[Arg, ...]) -> ConsistentHashBalanceFactor:
        if len(args) != 1 or isinstance(args[0], str):
            raise InvalidArguments(self.name, "expects one balance factor, as a number")
        factor = float(args[0])
        if not factor >= 1:
            raise InvalidArguments(self.name, f"the balance factor must be >= 1, got {args[0]!r}")
        return ConsistentHashBalanceFactor(factor)
