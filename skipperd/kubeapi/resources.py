"""The resources the fake API server serves, with their API groups and discovery entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Resource:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    singular: str
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def prefix(self) -> str:
        """The URL path of the group version: /api/v1 or /apis/<group>/<version>."""
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def discovery(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.plural, "singularName": self.singular, "namespaced": True, "kind": self.kind,
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        return entry


RESOURCES = (
    Resource("Ingress", "networking.k8s.io", "v1", "ingresses", "ingress", ("ing",)),
    Resource("RouteGroup", "zalando.org", "v1", "routegroups", "routegroup", ("rg", "rgs")),
    Resource("Service", "", "v1", "services", "service", ("svc",)),
    Resource("Endpoints", "", "v1", "endpoints", "endpoints", ("ep",)),
    Resource("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", "endpointslice"),
    Resource("Secret", "", "v1", "secrets", "secret"),
)

_BY_KIND = {r.kind: r for r in RESOURCES}


def by_kind(kind: str) -> Resource | None:
    return _BY_KIND.get(kind)


def group_versions() -> dict[str, list[Resource]]:
    """Resources by their URL prefix."""
    out: dict[str, list[Resource]] = {}
    for r in RESOURCES:
        out.setdefault(r.prefix, []).append(r)
    return out
