"""The request path compiled to C with mypyc, and the guard that keeps a stale build out.

The modules in ``MODULES`` carry every proxied request (the connection loop, the proxy, the
matcher, the HTTP types). They are plain typed Python, compiled with mypyc into extension
modules beside their sources, which Python then imports instead of the ``.py`` files: in a
source tree by ``scripts/compile`` (run by ``scripts/run``, ``scripts/test`` and
``scripts/bench``; the build itself is ``scripts/lib/compile.py``), and by ``setup.py`` in
``pip install .`` and ``pip wheel .``. Compiled,
a proxied request costs about a third less CPU (``scripts/bench`` prints which kind it ran).

A build is all or nothing and must match the sources exactly, and nothing else it once built may
remain (a module that left ``MODULES`` would still be imported from its old extension): both builds record a digest of
the sources of ``MODULES`` in ``skipperd/_compiled.stamp`` (an installed wheel carries the
sources, the extensions and the stamp side by side); ``guard()``, run when the ``skipperd``
package is imported, compares it with the sources on disk. When they differ (a source edited after the
build), when there is no complete build, or when ``SKIPPERD_INTERPRETED=1`` is set, it
installs an import hook that loads all of ``MODULES`` from their ``.py`` files, so that an edit
is never shadowed by old machine code. ``status()`` says which kind is running and why.

mypyc compiles a subset of Python's semantics; the listed modules keep to it (no monkey
patching of their functions, no interpreted subclasses of their classes, one name per
``except ... as`` handler).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType
from typing import Sequence

#: The request path, compiled together as one group (mypyc calls between them natively).
MODULES: tuple[str, ...] = (
    "skipperd.http.body",
    "skipperd.http.context",
    "skipperd.http.fields",
    "skipperd.http.headers",
    "skipperd.http.request",
    "skipperd.http.response",
    "skipperd.metrics.collector",
    "skipperd.metrics.request",
    "skipperd.metrics.statsd",
    "skipperd.proxy.exchange",
    "skipperd.proxy.handler",
    "skipperd.proxy.netio",
    "skipperd.proxy.pool",
    "skipperd.proxy.respond",
    "skipperd.proxy.upstream",
    "skipperd.routing.matcher",
    "skipperd.worker.conn",
)
GROUP = "skipperd._compiled"  # mypyc's shared library: skipperd/_compiled__mypyc.*.so
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # holds skipperd/
ENV_INTERPRETED = "SKIPPERD_INTERPRETED"

_state: dict[str, str] = {}
_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def source_path(module: str, root: str = ROOT) -> str:
    return os.path.join(root, *module.split(".")) + ".py"


def source_digest(root: str = ROOT, modules: Sequence[str] = MODULES) -> str:
    """A digest of the sources of ``modules`` (and of this list itself)."""
    h = hashlib.sha256()
    for m in modules:
        h.update(m.encode() + b"\0")
        with open(source_path(m, root), "rb") as f:
            h.update(f.read())
        h.update(b"\0")
    return h.hexdigest()


def extension_path(module: str, root: str = ROOT) -> str | None:
    """The compiled extension of ``module`` beside its source, if there is one."""
    base = os.path.join(root, *module.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            return base + suffix
    return None


def extension_files(root: str = ROOT) -> list[str]:
    """Every compiled extension inside the package: the build's products, current or stale (the
    package ships no extension of its own)."""
    found = []
    for d, _, files in os.walk(os.path.join(root, "skipperd")):
        for f in files:
            if f.endswith(_SUFFIXES):
                found.append(os.path.join(d, f))
    return sorted(found)


def stray_modules(root: str = ROOT) -> list[str]:
    """Modules with an extension beside their source that ``MODULES`` no longer lists: left by an
    older build, they would shadow their ``.py`` files."""
    base = os.path.join(root, "")
    known = {*MODULES, GROUP + "__mypyc"}
    stray = []
    for path in extension_files(root):
        rel = path[len(base):]
        for suffix in _SUFFIXES:
            if rel.endswith(suffix):
                name = rel[:-len(suffix)].replace(os.sep, ".")
                if name not in known:
                    stray.append(name)
                break
    return stray


def stamp_path(root: str = ROOT) -> str:
    """Where the build records the digest of the sources it compiled."""
    return os.path.join(root, "skipperd", "_compiled.stamp")


def check(root: str = ROOT) -> str:
    """``""`` when the compiled build can be used, else why not."""
    if os.environ.get(ENV_INTERPRETED, "") not in ("", "0"):
        return f"{ENV_INTERPRETED} is set"
    missing = [m for m in MODULES if extension_path(m, root) is None]
    if len(missing) == len(MODULES):
        return "not compiled (scripts/compile builds it in a source tree; pip builds it when mypy and a C compiler are there)"
    if missing:
        return f"incomplete build: {', '.join(missing)} not compiled"
    stray = stray_modules(root)
    if stray:
        return (f"stale build products of {', '.join(stray)}, no longer compiled "
                "(scripts/compile removes them)")
    try:
        with open(stamp_path(root), encoding="ascii") as f:
            recorded = f.read().strip()
    except OSError:
        return "the build has no stamp"
    try:
        current = source_digest(root)
    except OSError as e:
        return f"cannot read the sources: {e}"
    if recorded != current:
        return "the sources changed since the build (scripts/compile rebuilds it)"
    return ""


class _SourceOnly(importlib.abc.MetaPathFinder):
    """Loads the compiled modules from their ``.py`` files."""

    def __init__(self, root: str, also: Sequence[str] = ()) -> None:
        self.root = root
        self.names = frozenset((*MODULES, *also))

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        src = source_path(fullname, self.root)
        if not os.path.exists(src):
            return None  # a stray extension whose source is gone: nothing to load instead
        return importlib.util.spec_from_file_location(fullname, src)


def guard(root: str = ROOT) -> str:
    """Run once at package import: keep a stale or partial build out. Returns ``status()``."""
    if _state:
        return status()
    why = check(root)
    if why:
        loaded = [m for m in MODULES if m in sys.modules]
        if loaded:  # too late to choose; cannot happen when the package imports this first
            why += f" (but {', '.join(loaded)} already imported)"
        sys.meta_path.insert(0, _SourceOnly(root, stray_modules(root)))
    _state["why"] = why
    return status()


def status() -> str:
    """``"compiled"`` or ``"interpreted: <why>"``."""
    why = _state.get("why", "guard() not run")
    return "compiled" if not why else f"interpreted: {why}"


def build_ignored(root: str = ROOT, why: str | None = None) -> bool:
    """Interpreted although a build is there (stale, partial), not by choice; ``why`` is the
    guard's reason (``check()``) unless given."""
    why = _state.get("why", "") if why is None else why
    return (why != "" and os.environ.get(ENV_INTERPRETED, "") in ("", "0")
            and any(extension_path(m, root) is not None for m in MODULES))
