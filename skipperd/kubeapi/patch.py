"""The PATCH bodies a Kubernetes API server accepts, applied to a JSON object (pure).

* ``application/merge-patch+json``: RFC 7386 JSON merge patch (``null`` removes a member,
  objects merge recursively, anything else replaces, lists included);
* ``application/json-patch+json``: RFC 6902 JSON patch (add, remove, replace, move, copy,
  test) with RFC 6901 pointers (``~0``/``~1`` escapes, ``-`` for the end of a list);
* ``application/strategic-merge-patch+json``: applied as a merge patch. A real server merges
  some lists by key (a container list by name, say); the kinds served here (Ingress, Service,
  Endpoints, EndpointSlice, Secret) are patched by clients almost only in maps and whole lists,
  where both agree. A real server refuses it for custom resources (RouteGroups) with 415, and so
  does the fake one.

``PatchError.code`` is what a real server answers: 400 for a body that is not a patch, 422 for a
JSON patch that does not apply (a failed ``test``, a missing path).
"""

from __future__ import annotations

import copy
from typing import Any

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
MAX_OPERATIONS = 10000


class PatchError(ValueError):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(message)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: the result of applying ``patch`` to ``target`` (neither is changed)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(422, f"invalid JSON pointer {path!r}: it must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(container: list[Any], token: str, path: str, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(422, f"invalid index {token!r} in {path!r}")
    i = int(token)
    if i > len(container) or (i == len(container) and not allow_end):
        raise PatchError(422, f"index {i} out of range in {path!r}")
    return i


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict):
            if t not in cur:
                raise PatchError(422, f"missing path: {path!r} ({t!r} does not exist)")
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, path, False)]
        else:
            raise PatchError(422, f"missing path: {path!r} ({t!r} is inside a scalar)")
    return cur


def _get(doc: Any, path: str) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent, last = _parent(doc, tokens, path), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(422, f"missing path: {path!r}")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, path, False)]
    raise PatchError(422, f"missing path: {path!r}")


def _remove(doc: Any, path: str) -> tuple[Any, Any]:
    tokens = _pointer(path)
    if not tokens:
        raise PatchError(422, "cannot remove the whole document")
    parent, last = _parent(doc, tokens, path), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(422, f"cannot remove {path!r}: it does not exist")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, last, path, False))
    raise PatchError(422, f"cannot remove {path!r}: missing path")


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent, last = _parent(doc, tokens, path), tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(422, f"cannot replace {path!r}: it does not exist")
        parent[last] = value
    elif isinstance(parent, list):
        i = _index(parent, last, path, not replace)
        if replace:
            parent[i] = value
        else:
            parent.insert(i, value)
    else:
        raise PatchError(422, f"cannot add {path!r}: missing path")
    return doc


def _same(a: Any, b: Any) -> bool:
    """JSON equality (``1`` is not ``true``, ``1`` is ``1.0``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b) and (isinstance(a, (int, float)) == isinstance(b, (int, float)))


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902: the result of applying the operations ``ops`` to ``target`` (unchanged)."""
    if not isinstance(ops, list):
        raise PatchError(400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    if len(ops) > MAX_OPERATIONS:
        raise PatchError(413, f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, got {len(ops)}")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("op"), str):
            raise PatchError(400, "a JSON patch operation must be an object with an op")
        name, path = op["op"], op.get("path")
        if not isinstance(path, str):
            raise PatchError(422, f"operation {name!r} has no path")
        if name in ("add", "replace", "test") and "value" not in op:
            raise PatchError(422, f"operation {name!r} on {path!r} has no value")
        if name == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif name == "replace":
            doc = _add(doc, path, copy.deepcopy(op["value"]), replace=True)
        elif name == "remove":
            doc, _ = _remove(doc, path)
        elif name in ("move", "copy"):
            src = op.get("from")
            if not isinstance(src, str):
                raise PatchError(422, f"operation {name!r} has no from")
            if name == "move":
                if path.startswith(src + "/"):
                    raise PatchError(422, f"cannot move {src!r} into itself")
                doc, value = _remove(doc, src)
            else:
                value = copy.deepcopy(_get(doc, src))
            doc = _add(doc, path, value)
        elif name == "test":
            if not _same(_get(doc, path), op["value"]):
                raise PatchError(422, f"testing value {path!r} failed: test failed")
        else:
            raise PatchError(400, f"Unexpected kind: {name}")
    return doc
