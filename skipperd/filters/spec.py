"""A base for filter specs that declare their arguments (``skipperd.params``).

``create(args)`` checks the arguments against ``params`` and hands them to ``make``, which does
the spec's own checks and builds the instance. ``summary`` and ``params`` also render the
reference (``skipperd filters``, docs/filters.md).
"""

from __future__ import annotations

from typing import Any

from skipperd.eskip.route import Arg
from skipperd.params import Param, check


class Spec:
    name: str = ""
    summary: str = ""
    params: tuple[Param, ...] = ()

    def create(self, args: tuple[Arg, ...]) -> Any:
        return self.make(check(self.name, self.params, args))

    def make(self, args: tuple[Arg, ...]) -> Any:
        raise NotImplementedError(self.name)
