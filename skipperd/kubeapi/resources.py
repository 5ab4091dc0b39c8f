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
    fields: tuple[str, ...] = ()  # field selector labels beside metadata.name and .namespace

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``ingresses.networking.k8s.io``, ``services``: how a real server's messages name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

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
    Resource("Service", "", "v1", "services", "service", ("svc",), ("spec.clusterIP", "spec.type")),
    Resource("Endpoints", "", "v1", "endpoints", "endpoints", ("ep",)),
    Resource("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", "endpointslice"),
    Resource("Secret", "", "v1", "secrets", "secret", (), ("type",)),
)

_BY_KIND = {r.kind: r for r in RESOURCES}


def by_kind(kind: str) -> Resource | None:
    return _BY_KIND.get(kind)


def field_labels(resource: Resource) -> tuple[str, ...]:
    """What a field selector may name for this resource (a real server answers 400 to others)."""
    return ("metadata.name", "metadata.namespace") + resource.fields


def field_values(obj: dict[str, Any]) -> dict[str, str]:
    """The field selector labels of one stored object and their values."""
    meta = obj.get("metadata") or {}
    out = {"metadata.name": str(meta.get("name", "")), "metadata.namespace": str(meta.get("namespace", ""))}
    r = _BY_KIND.get(str(obj.get("kind", "")))
    for f in r.fields if r else ():
        cur: Any = obj
        for part in f.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        out[f] = "" if cur is None else str(cur)
    return out


def group_versions() -> dict[str, list[Resource]]:
    """Resources by their URL prefix."""
    out: dict[str, list[Resource]] = {}
    for r in RESOURCES:
        out.setdefault(r.prefix, []).append(r)
    return out
