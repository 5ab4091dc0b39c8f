"""Kubernetes label and field selectors: ``a=b,c!=d,e in (f,g),h notin (i),j,!k``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping


class SelectorError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op in ("=", "in"):
            return self.key in labels and labels[self.key] in self.values
        return self.key not in labels or labels[self.key] not in self.values  # != and notin


@dataclass(frozen=True, slots=True)
class Selector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


_SET = re.compile(r"\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|!=|=)\s*([A-Za-z0-9_.-]*))?\s*")


def parse(text: str, set_based: bool = True) -> Selector:
    reqs: list[Requirement] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _SET.match(text, pos)
        if m is None or m.end() == pos:
            raise SelectorError(f"unable to parse requirement at {text[pos:]!r}")
        neg, key, setop, setvals, op, value = m.groups()
        if setop:
            if neg or not set_based:
                raise SelectorError(f"invalid selector {text!r}")
            vals = tuple(v.strip() for v in setvals.split(",") if v.strip())
            reqs.append(Requirement(key, setop, vals))
        elif op:
            if neg:
                raise SelectorError(f"invalid selector {text!r}")
            reqs.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
        else:
            if not set_based:
                raise SelectorError(f"invalid field selector {text!r}")
            reqs.append(Requirement(key, "!exists" if neg else "exists"))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise SelectorError(f"unable to parse requirement at {text[pos:]!r}")
            pos += 1
    return Selector(tuple(reqs))
