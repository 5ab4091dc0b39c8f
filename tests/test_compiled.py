"""The mypyc build of the request path (``skipperd/compiled.py``): the guard and both kinds serving.

``./scripts/test`` compiles the request path before the suite runs and sets
``SKIPPERD_EXPECT_COMPILED=1``, so the rest of the suite exercises the compiled build; the
tests here check that it is really the one in use, that a stale or partial build is never
imported, and that the interpreted request path (``SKIPPERD_INTERPRETED=1``) serves the same.
"""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import Options, Skipperd
from skipperd import compiled

EXPECT_COMPILED = os.environ.get("SKIPPERD_EXPECT_COMPILED") == "1"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _tree(root: Path, *, build: bool = True, skip: str = "") -> None:
    """A fake source tree with the modules of ``compiled.MODULES``, built or not."""
    for m in compiled.MODULES:
        src = Path(compiled.source_path(m, str(root)))
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(f"# {m}\n")
        if build and m != skip:
            src.with_suffix(SUFFIX).write_bytes(b"\x7fELF")
    if build:
        Path(compiled.stamp_path(str(root))).write_text(compiled.source_digest(str(root)) + "\n")


def test_a_complete_current_build_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled.ENV_INTERPRETED, raising=False)
    _tree(tmp_path)
    assert compiled.check(str(tmp_path)) == ""


def test_no_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled.ENV_INTERPRETED, raising=False)
    _tree(tmp_path, build=False)
    assert compiled.check(str(tmp_path)).startswith("not compiled")


def test_an_edited_source_makes_the_build_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled.ENV_INTERPRETED, raising=False)
    _tree(tmp_path)
    Path(compiled.source_path("skipperd.proxy.upstream", str(tmp_path))).write_text("# edited\n")
    assert "sources changed" in compiled.check(str(tmp_path))


def test_a_partial_build_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled.ENV_INTERPRETED, raising=False)
    _tree(tmp_path, skip="skipperd.worker.conn")
    assert compiled.check(str(tmp_path)) == "incomplete build: skipperd.worker.conn not compiled"


def test_a_build_without_stamp_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled.ENV_INTERPRETED, raising=False)
    _tree(tmp_path)
    Path(compiled.stamp_path(str(tmp_path))).unlink()
    assert compiled.check(str(tmp_path)) == "the build has no stamp"


def test_the_environment_forces_interpreted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    monkeypatch.setenv(compiled.ENV_INTERPRETED, "1")
    assert compiled.check(str(tmp_path)) == "SKIPPERD_INTERPRETED is set"


def test_only_an_unused_build_counts_as_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled.ENV_INTERPRETED, raising=False)
    root = str(tmp_path)
    _tree(tmp_path, build=False)
    assert not compiled.build_ignored(root, compiled.check(root))  # nothing built
    _tree(tmp_path)
    assert not compiled.build_ignored(root, compiled.check(root))  # built and used
    Path(compiled.source_path("skipperd.http.headers", root)).write_text("# edited\n")
    assert compiled.build_ignored(root, compiled.check(root))      # stale: logged as a warning
    monkeypatch.setenv(compiled.ENV_INTERPRETED, "1")
    assert not compiled.build_ignored(root, compiled.check(root))  # interpreted by choice


def _loaded_files(env: dict[str, str]) -> tuple[str, list[str]]:
    code = ("import importlib, skipperd.compiled as c\n"
            "print(c.status())\n"
            "for m in c.MODULES: print(importlib.import_module(m).__file__)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd="/").stdout.splitlines()
    return out[0], out[1:]


def test_the_guard_loads_every_module_from_source_when_told() -> None:
    env = dict(os.environ, SKIPPERD_INTERPRETED="1")
    status, files = _loaded_files(env)
    assert status == "interpreted: SKIPPERD_INTERPRETED is set"
    assert len(files) == len(compiled.MODULES)
    assert all(f.endswith(".py") for f in files), files


@pytest.mark.skipif(not EXPECT_COMPILED, reason="./scripts/test compiles the request path first")
def test_the_suite_runs_the_compiled_build() -> None:
    env = {k: v for k, v in os.environ.items() if k != compiled.ENV_INTERPRETED}
    status, files = _loaded_files(env)
    assert status == "compiled"
    assert all(f.endswith(SUFFIX) for f in files), files


KINDS = ["interpreted"] + (["compiled"] if EXPECT_COMPILED else [])


@pytest.mark.parametrize("kind", KINDS)
def test_both_kinds_proxy_the_same(kind: str, tmp_path: Path) -> None:
    """A proxied route with filters, through a real worker of each kind."""
    env = {compiled.ENV_INTERPRETED: "1" if kind == "interpreted" else "0"}
    s = Skipperd(Options(env=env, args=["-application-log-level=INFO"]), tmp_path)
    s.opts.routes = (
        'origin: Host("^origin$") && Path("/p/:id") -> setResponseHeader("X-Origin", "yes") -> inlineContent("hello") -> <shunt>;\n'
        f'front: Path("/p/:id") -> setRequestHeader("Host", "origin") -> setResponseHeader("X-Front", "1")'
        f' -> "http://127.0.0.1:{s.port}";\n')
    with s.start():
        for _ in range(3):  # a new backend connection, then pooled ones
            status, headers, body = s.request("GET", "/p/1")
            assert (status, body) == (200, b"hello")
            assert headers["x-origin"] == "yes" and headers["x-front"] == "1"
        status, _, _ = s.request("GET", "/nothing")
        assert status == 404
        expected = "compiled" if kind == "compiled" else "interpreted: SKIPPERD_INTERPRETED is set"
        assert f"request path: {expected}" in s.log()


def _compile_script() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("compile_script", compiled.ROOT + "/scripts/lib/compile.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_module_that_left_the_list_keeps_no_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module dropped from MODULES after a build: its old extension would shadow its source.
    The guard does not use such a build and loads that module from source; clean removes it."""
    monkeypatch.delenv(compiled.ENV_INTERPRETED, raising=False)
    root = str(tmp_path)
    _tree(tmp_path)
    old = tmp_path / "skipperd" / "proxy" / "gone.py"
    old.write_text("WHERE = 'source'\n")
    old.with_suffix(SUFFIX).write_bytes(b"\x7fELF")
    (tmp_path / "skipperd" / "orphan").mkdir()
    orphan = tmp_path / "skipperd" / "orphan" / ("mod" + SUFFIX)  # its source deleted as well
    orphan.write_bytes(b"\x7fELF")
    assert compiled.stray_modules(root) == ["skipperd.orphan.mod", "skipperd.proxy.gone"]
    assert compiled.check(root).startswith("stale build products of skipperd.orphan.mod, skipperd.proxy.gone")
    finder = compiled._SourceOnly(root, compiled.stray_modules(root))
    spec = finder.find_spec("skipperd.proxy.gone", None)
    assert spec is not None and spec.origin == str(old)
    assert finder.find_spec("skipperd.orphan.mod", None) is None
    _compile_script().clean(root)  # type: ignore[attr-defined]
    assert compiled.extension_files(root) == []
    assert old.exists() and not Path(compiled.stamp_path(root)).exists()
    assert compiled.check(root).startswith("not compiled")
