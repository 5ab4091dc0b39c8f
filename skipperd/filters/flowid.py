"""``flowId([reuse])``: an ``X-Flow-Id`` request header for tracing a request across services.

Skipper's standard generator: 16 characters, each drawn uniformly from the 64 of
``[0-9a-zA-Z+-]`` (6 random bits a character). Without an argument every request gets a new id;
with ``"reuse"`` (any case) a valid id the client sent is kept: 8 to 64 characters of that
alphabet. Any other string argument means "do not reuse", as in Skipper; more than one argument
is Skipper's deprecated syntax, accepted with a warning.
"""

from __future__ import annotations

import binascii
import logging
import random
import re
from typing import Any, Callable

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import STRING, Param

HEADER = "X-Flow-Id"
_LOWER = "x-flow-id"
LENGTH = 16
MIN_LENGTH = 8
MAX_LENGTH = 64
_VALID = re.compile(r"[0-9a-zA-Z+\-]+")
# base64 of 12 random bytes is 16 characters of A-Za-z0-9+/; '/' becomes '-' to give Skipper's
# alphabet (the same 64 characters, each as likely).
_TO_ALPHABET = bytes.maketrans(b"/", b"-")

log = logging.getLogger("skipperd.filters")


def generate(randbytes: Callable[[int], bytes] = random.randbytes) -> str:
    return binascii.b2a_base64(randbytes(12), newline=False).translate(_TO_ALPHABET).decode("ascii")


_BATCH = 256
_ready: list[str] = []


def next_id() -> str:
    """A new id; made 256 at a time from one draw of random bytes, which costs a request a
    list pop instead of an encoding of its own."""
    if not _ready:
        text = binascii.b2a_base64(random.randbytes(12 * _BATCH), newline=False).translate(_TO_ALPHABET)
        s = text.decode("ascii")
        _ready.extend(s[i:i + LENGTH] for i in range(0, len(s), LENGTH))
    return _ready.pop()


def is_valid(flow_id: str | None) -> bool:
    return flow_id is not None and MIN_LENGTH <= len(flow_id) <= MAX_LENGTH and \
        _VALID.fullmatch(flow_id) is not None


class FlowId:
    __slots__ = ("reuse",)

    def __init__(self, reuse: bool) -> None:
        self.reuse = reuse

    def request(self, ctx: FilterContext) -> None:
        h = ctx.request.headers
        current = h.get(_LOWER)
        if current is None:
            h.raw().append((_LOWER, HEADER, next_id()))  # absent: no scan to replace
        elif not (self.reuse and is_valid(current)):
            h.set_field(_LOWER, HEADER, next_id())


class FlowIdSpec(Spec):
    name = names.FLOW_ID
    summary = "sets X-Flow-Id to a new id; with \"reuse\", keeps a valid id the request has"
    params = (Param("reuse", STRING, '"reuse": keep a valid X-Flow-Id of the request', optional=True,
                    variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        if len(args) > 1:
            log.warning("flowId: more than one argument is a deprecated syntax; only the first counts")
        return FlowId(bool(args) and str(args[0]).lower() == "reuse")
