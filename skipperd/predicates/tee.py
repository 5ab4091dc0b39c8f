"""``Tee(label)``: the request is a shadow copy made by ``teeLoopback(label)``.

teeLoopback marks its copies with the ``X-Tee-Loopback-Key`` header; the predicate compares the
(first) value with its label.
"""

from __future__ import annotations

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.http.request import Request
from skipperd.params import STRING, Param, check

HEADER = "X-Tee-Loopback-Key"


class TeePredicate:
    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label

    def match(self, request: Request) -> bool:
        return request.headers.get("x-tee-loopback-key") == self.label


class TeeSpec:
    name = names.TEE
    summary = "the request is a shadow copy made by teeLoopback with this label"
    params = (Param("label", STRING, "the teeLoopback label"),)

    def create(self, args: tuple[Arg, ...]) -> TeePredicate:
        check(self.name, self.params, args)
        if not args[0]:
            raise InvalidArguments(self.name, "the label must not be empty")
        return TeePredicate(str(args[0]))
