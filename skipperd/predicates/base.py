"""The predicate spec interface (Skipper's ``routing.PredicateSpec``).

A spec has a ``name`` and ``create(args)``, which validates the arguments (raising
``InvalidArguments``) and returns an instance. Instances are built once per route, shared by
every request, and hold no request state. ``match(request)`` must be cheap: it runs per request.

Path, PathSubtree and Host-in-exact-form are consumed by the matcher's indexes, so their
instances are not asked to ``match`` when the index already decided.
"""

from __future__ import annotations

from typing import Protocol

from skipperd.eskip.route import Arg
from skipperd.http.request import Request


class PredicateInstance(Protocol):
    def match(self, request: Request) -> bool: ...


class PredicateSpec(Protocol):
    name: str

    def create(self, args: tuple[Arg, ...]) -> PredicateInstance: ...
