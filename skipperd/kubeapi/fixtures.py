"""Objects from the conformance fixture YAML format (multi-document; pure, no I/O but the read).

The rules of the format: documents are decoded in order and decoding stops at the first empty
document; a ``kind: List`` contributes its ``items``; objects are grouped by ``kind`` alone (the
``apiVersion`` is ignored: some fixtures give EndpointSlices ``apiVersion: v1``); kinds that are
not served (Deployments, ...) are left out; a missing or empty namespace means ``default``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator

import yaml

from skipperd.kubeapi.resources import by_kind

Obj = dict[str, Any]


class FixtureError(ValueError):
    pass


def parse_documents(text: str, source: str = "<text>") -> list[Obj]:
    """The served objects of one YAML (or JSON) text, in document order."""
    out: list[Obj] = []
    try:
        for doc in yaml.safe_load_all(text):
            if not doc:
                break
            out.extend(_flatten(doc, source))
    except yaml.YAMLError as e:
        raise FixtureError(f"{source}: {e}") from None
    return out


def _flatten(doc: Any, source: str) -> Iterator[Obj]:
    if not isinstance(doc, dict):
        raise FixtureError(f"{source}: a document must be a mapping, not {type(doc).__name__}")
    if doc.get("kind") == "List" or (isinstance(doc.get("kind"), str) and doc["kind"].endswith("List")
                                     and isinstance(doc.get("items"), list)):
        item_kind = doc["kind"][:-4] if doc["kind"] != "List" else ""
        for item in doc.get("items") or ():
            if isinstance(item, dict) and item_kind and "kind" not in item:
                item = dict(item, kind=item_kind)
            yield from _flatten(item, source)
        return
    if by_kind(str(doc.get("kind", ""))) is None:
        return
    meta = doc.get("metadata")
    if isinstance(meta, dict) and not meta.get("namespace"):
        doc = dict(doc, metadata=dict(meta, namespace="default"))
    yield doc


def load_paths(paths: list[str]) -> list[Obj]:
    """Objects from files and directories (every ``*.yaml``, ``*.yml`` and ``*.json`` in a
    directory, in name order)."""
    out: list[Obj] = []
    for p in paths:
        if os.path.isdir(p):
            files = sorted(os.path.join(p, f) for f in os.listdir(p)
                           if f.endswith((".yaml", ".yml", ".json")))
        else:
            files = [p]
        for f in files:
            try:
                with open(f, encoding="utf-8") as fh:
                    out.extend(parse_documents(fh.read(), f))
            except OSError as e:
                raise FixtureError(f"{f}: {e.strerror}") from None
    return out


def load_api_behaviour(path: str) -> dict[str, Any]:
    """A fixture's ``.api`` file: ``failOn``, ``findNot``, ``disableRouteGroups``."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as e:
        raise FixtureError(f"{path}: {e}") from None
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: expected a mapping")
    return data


def dumps(objs: list[Obj]) -> str:
    return json.dumps(objs)
