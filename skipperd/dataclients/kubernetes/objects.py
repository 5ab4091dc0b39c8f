"""Reading raw Kubernetes objects the way Skipper's typed decoding sees them.

Skipper decodes the API's JSON into Go structs: a missing field is its zero value, and a field
of the wrong type is a decoding error. These helpers give the zero value for what is missing
and raise ``Malformed`` for what has the wrong type, so that the converter skips that one
object with a log line instead of failing.
"""

from __future__ import annotations

from typing import Any

from skipperd.dataclients.kubernetes.model import KubeObject


class Malformed(ValueError):
    """An object has a field of the wrong type."""


def get(obj: Any, key: str) -> Any:
    """A field as Go's ``encoding/json`` finds it: the exact key, else one that differs only in case."""
    if not isinstance(obj, dict):
        return None
    v = obj.get(key)
    if v is not None or key in obj:
        return v
    n = len(key)
    folded = ""
    for k, v in obj.items():
        if isinstance(k, str) and len(k) == n:
            folded = folded or key.casefold()
            if k.casefold() == folded:
                return v
    return None


def mapping(obj: Any, key: str) -> dict[str, Any]:
    v = get(obj, key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise Malformed(f"{key}: expected an object")
    return v


def opt_mapping(obj: Any, key: str) -> dict[str, Any] | None:
    """A nested object, or None when absent (Go's nil pointer)."""
    v = get(obj, key)
    if v is None:
        return None
    if not isinstance(v, dict):
        raise Malformed(f"{key}: expected an object")
    return v


def items(obj: Any, key: str) -> list[Any]:
    v = get(obj, key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise Malformed(f"{key}: expected a list")
    return v


def string(obj: Any, key: str) -> str:
    v = get(obj, key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise Malformed(f"{key}: expected a string")
    return v


def integer(obj: Any, key: str) -> int:
    v = get(obj, key)
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
        raise Malformed(f"{key}: expected an integer")
    return int(v)


def strings(obj: Any, key: str) -> list[str]:
    out = []
    for v in items(obj, key):
        if v is None:
            v = ""  # a JSON null leaves Go's string at its zero value
        if not isinstance(v, str):
            raise Malformed(f"{key}: expected a list of strings")
        out.append(v)
    return out


def str_map(obj: Any, key: str) -> dict[str, str]:
    m = mapping(obj, key)
    for k, v in m.items():
        if not isinstance(v, str):
            raise Malformed(f"{key}.{k}: expected a string")
    return m


def int_or_string(obj: Any, key: str) -> int | str | None:
    """Kubernetes' IntOrString (a target port): None when absent."""
    v = get(obj, key)
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
        raise Malformed(f"{key}: expected an integer or a string")
    return int(v)


def port_string(p: int | str | None) -> str:
    if p is None:
        return ""
    return p if isinstance(p, str) else str(p)


class Meta:
    """An object's metadata, as Skipper's ``definitions.Metadata``."""

    __slots__ = ("namespace", "name", "annotations", "labels")

    def __init__(self, obj: KubeObject) -> None:
        m = mapping(obj, "metadata")
        self.namespace = string(m, "namespace")
        self.name = string(m, "name")
        self.annotations = str_map(m, "annotations")
        self.labels = str_map(m, "labels")


def has_metadata(obj: KubeObject) -> bool:
    return isinstance(obj.get("metadata"), dict)


def resource_namespace(ns: str) -> str:
    return ns or "default"
