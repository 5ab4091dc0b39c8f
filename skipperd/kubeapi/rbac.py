"""A ClusterRole enforced by the fake API server, so tests prove a role grants what is used.

Only resource rules are read (``apiGroups``, ``resources``, ``verbs``, with ``*``); discovery
paths are allowed to every authenticated client, as the ``system:discovery`` role does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class RbacError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Rule:
    groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]

    def allows(self, verb: str, group: str, resource: str) -> bool:
        return ((group in self.groups or "*" in self.groups) and (resource in self.resources or "*" in self.resources)
                and (verb in self.verbs or "*" in self.verbs))


@dataclass(frozen=True, slots=True)
class Rbac:
    rules: tuple[Rule, ...]
    user: str = "system:serviceaccount:kube-system:skipper-ingress"

    def allows(self, verb: str, group: str, resource: str) -> bool:
        return any(r.allows(verb, group, resource) for r in self.rules)


def cluster_role(text: str, name: str = "") -> Rbac:
    """The ClusterRole (the one called ``name``, or the only one) of a YAML text."""
    roles = [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and d.get("kind") == "ClusterRole"
             and (not name or (d.get("metadata") or {}).get("name") == name)]
    if len(roles) != 1:
        raise RbacError(f"expected one ClusterRole{' named ' + name if name else ''}, found {len(roles)}")
    rules: list[Rule] = []
    for r in roles[0].get("rules") or ():
        if not isinstance(r, dict) or "resources" not in r:
            continue
        rules.append(Rule(_set(r.get("apiGroups")), _set(r.get("resources")), _set(r.get("verbs"))))
    return Rbac(tuple(rules))


def _set(v: Any) -> frozenset[str]:
    return frozenset(str(x) for x in (v or ()))
