"""skipperd's packaging: the declarations live in setup.cfg; this file adds the compiled request path.

``pip install .`` and ``pip wheel .`` compile the modules of ``skipperd.compiled.MODULES`` with
mypyc's setuptools integration (``mypycify``) into extension modules beside their sources, and
record the digest of those sources in ``skipperd/_compiled.stamp``, which the guard in
``skipperd/compiled.py`` checks at start (the same guard as for the in-tree build of
``scripts/compile``). mypy comes from the build requirements of ``pyproject.toml``, and
skipperd's own dependencies (``setup_requires``, read from setup.cfg): mypyc type-checks the
modules it compiles against them.

The installation is pure Python, and says so at build time, when mypy is not importable, when
there is no C compiler or no Python headers, or when ``SKIPPERD_INTERPRETED=1`` is set; skipperd
then runs the request path interpreted (``skipperd -version`` says which). A type error that
mypyc reports is not such a case: it fails the build. Editable installs (``pip install -e .``)
compile nothing; in a source tree ``scripts/compile`` builds in place.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import sysconfig
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def _compiled_module() -> Any:
    # skipperd/compiled.py on its own (importing the package would run its guard).
    spec = importlib.util.spec_from_file_location("_skipperd_compiled", os.path.join(HERE, "skipperd", "compiled.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _no_compiler() -> str:
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        return f"no C compiler ({cc})"
    if not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
        return "no Python headers (Python.h)"
    return ""


def _warn(text: str) -> None:
    print(f"skipperd: {text}", file=sys.stderr)


class BuildRequestPath(build_ext):  # type: ignore[misc]
    """build_ext for the mypyc build: all of the request path, or none of it."""

    # mypyc runs in run(), not in finalize_options(): setuptools finalizes build_ext for every
    # egg_info (the manifest asks it for its sources), and that must stay cheap.

    def _why_not(self) -> str:
        if self.inplace or getattr(self, "editable_mode", False):
            return "an editable install (scripts/compile builds in place)"
        if os.environ.get("SKIPPERD_INTERPRETED", "") not in ("", "0"):
            return "SKIPPERD_INTERPRETED is set"
        if importlib.util.find_spec("mypyc") is None:
            return "mypy (mypyc) is not installed"
        return _no_compiler()

    def run(self) -> None:
        why = self._why_not()
        if why:
            _warn(f"the request path is not compiled: {why}; installing pure Python")
            self.extensions = []
            self.distribution.ext_modules = []
            return
        from mypyc.build import mypycify

        compiled = _compiled_module()
        digest = compiled.source_digest(HERE)
        paths = [os.path.relpath(compiled.source_path(m, HERE), HERE) for m in compiled.MODULES]
        cwd = os.getcwd()
        os.chdir(HERE)  # mypy reads its settings (setup.cfg) from here
        try:
            extensions = mypycify(paths, opt_level="3", group_name=compiled.GROUP)
        finally:
            os.chdir(cwd)
        # A plain build_ext, finalized over mypyc's extensions instead of the placeholder.
        self.distribution.ext_modules = extensions
        plain = build_ext(self.distribution)
        for option in ("build_lib", "build_temp", "parallel", "force", "debug", "compiler", "plat_name"):
            setattr(plain, option, getattr(self, option))
        plain.ensure_finalized()
        plain.run()
        self.extensions = plain.extensions
        if compiled.source_digest(HERE) != digest:
            raise RuntimeError("skipperd: the sources changed during the build")
        stamp = os.path.join(self.build_lib, "skipperd", "_compiled.stamp")
        with open(stamp, "w", encoding="ascii") as f:
            f.write(digest + "\n")


def _install_requires() -> list[str]:
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(HERE, "setup.cfg"))
    return [line.strip() for line in cfg["options"]["install_requires"].splitlines() if line.strip()]


# A placeholder, so that setuptools runs build_ext and tags the wheel for this platform;
# BuildRequestPath replaces it with mypyc's extensions, or with none. setup_requires: pip's
# isolated build environment gets skipperd's dependencies too (setuptools' build backend asks
# for them), because mypyc type-checks the compiled modules against them.
setup(ext_modules=[Extension("skipperd._compiled__mypyc", sources=[])],
      cmdclass={"build_ext": BuildRequestPath},
      setup_requires=_install_requires())
