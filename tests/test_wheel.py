"""A deployment outside the source tree: ``pip wheel .`` builds the compiled request path with
mypyc (setup.py), the wheel goes into a fresh virtualenv in a temporary directory, and the
installed skipperd proxies a request through the compiled modules.

The wheel is built from a copy of the sources (no build, no venv, no .git), without build
isolation: the suite's .venv already holds what the build needs (the "build" extra: mypy, the
PyYAML stubs, wheel), which keeps the test to about a minute. The fresh virtualenv gets the
wheel's dependencies from the package index pip is configured with.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
import venv
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from harness import REPO, Options, Skipperd

pytestmark = pytest.mark.slow

SKIP = {".venv", ".git", "build", "dist", "__pycache__", ".mypy_cache", ".pytest_cache", ".hypothesis"}


def _copy_sources(dst: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIP or n.endswith((".so", ".egg-info", ".stamp", ".pyc"))}

    shutil.copytree(REPO, dst, ignore=ignore)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SKIPPERD_INTERPRETED")}
    env.update(extra)
    return env


def _build_wheel(src: Path, out: Path, **env: str) -> tuple[Path, str]:
    """The wheel and pip's output (verbose: with the build's own messages)."""
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                        "--disable-pip-version-check", "-w", str(out), str(src)],
                       capture_output=True, text=True, timeout=600, env=_env(**env), cwd=src)
    assert p.returncode == 0, p.stdout + p.stderr
    wheels = list(out.glob("skipperd-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], p.stdout + p.stderr


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the compiled wheel, a fresh virtualenv with it installed), outside the source tree."""
    tmp = tmp_path_factory.mktemp("deploy")
    _copy_sources(tmp / "src")
    wheel, _ = _build_wheel(tmp / "src", tmp / "dist")
    env_dir = tmp / "opt" / "skipperd"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    p = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        str(wheel)], capture_output=True, text=True, timeout=600, env=_env(), cwd=tmp)
    assert p.returncode == 0, p.stdout + p.stderr
    yield wheel, env_dir


def test_the_wheel_carries_the_compiled_request_path(deployment: tuple[Path, Path]) -> None:
    from skipperd import compiled

    wheel, _ = deployment
    names = zipfile.ZipFile(wheel).namelist()
    assert "skipperd/_compiled.stamp" in names
    for m in compiled.MODULES:
        base = m.replace(".", "/")
        assert base + ".py" in names, m
        assert any(n.startswith(base + ".") and n.endswith(".so") for n in names), f"{m} is not compiled"


def test_installed_skipperd_runs_compiled_outside_the_source_tree(deployment: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    _, env_dir = deployment
    python = env_dir / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import skipperd; print(skipperd.__file__)"], capture_output=True,
                           text=True, timeout=60, env=_env(), cwd=tmp_path)
    assert where.stdout.startswith(str(env_dir)), where.stdout + where.stderr
    version = subprocess.run([str(env_dir / "bin" / "skipperd"), "-workers=1", "-version"], capture_output=True,
                             text=True, timeout=60, env=_env(), cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert "(request path compiled)" in version.stdout, version.stdout

    # An origin, and the installed skipperd in front of it.
    class Origin(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"origin saw {self.path} via {self.headers.get('X-Via')}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    route = f'r: Path("/hello") -> setRequestHeader("X-Via", "skipperd") -> "http://127.0.0.1:{origin.server_port}"'
    opts = Options(command=[str(env_dir / "bin" / "skipperd")], routes=None, args=[f"-inline-routes={route}"])
    try:
        with Skipperd(opts, tmp_path) as s:  # runs in tmp_path, outside the source tree
            status, _, body = s.request("GET", "/hello")
            assert (status, body) == (200, b"origin saw /hello via skipperd")
            assert "request path: compiled" in s.log()
    finally:
        origin.shutdown()
        origin.server_close()


def test_without_a_compiler_the_wheel_is_pure_python(deployment: tuple[Path, Path], tmp_path: Path) -> None:
    _, env_dir = deployment
    _copy_sources(tmp_path / "src")
    wheel, output = _build_wheel(tmp_path / "src", tmp_path / "dist", CC="/nonexistent/cc")
    assert "the request path is not compiled: no C compiler (/nonexistent/cc); installing pure Python" in output
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith(".so")] and "skipperd/_compiled.stamp" not in names
    # Installed over the compiled one, it runs interpreted and says so.
    other = tmp_path / "venv"
    shutil.copytree(env_dir, other, symlinks=True)
    p = subprocess.run([str(other / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                        "--disable-pip-version-check", str(wheel)], capture_output=True, text=True, timeout=300,
                       env=_env(), cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    version = subprocess.run([str(other / "bin" / "python"), "-m", "skipperd", "-version"], capture_output=True,
                             text=True, timeout=60, env=_env(), cwd=tmp_path)
    assert "(request path interpreted: not compiled" in version.stdout, version.stdout + version.stderr


def test_the_build_environment_has_what_mypyc_checks_against(tmp_path: Path) -> None:
    """pip's isolated build environment holds skipperd's dependencies, mypy and the stubs: what
    pyproject.toml requires plus what setuptools' build backend asks for (setup.py)."""
    import configparser
    import tomllib

    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    install = {d.strip() for d in cfg["options"]["install_requires"].splitlines() if d.strip()}
    build = {d.strip() for d in cfg["options.extras_require"]["build"].splitlines() if d.strip()}
    static = set(tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"])
    _copy_sources(tmp_path / "src")
    p = subprocess.run([sys.executable, "-c", "import setuptools.build_meta as b; "
                        "print('\\n'.join(b.get_requires_for_build_wheel()))"],
                       capture_output=True, text=True, timeout=120, env=_env(), cwd=tmp_path / "src")
    assert p.returncode == 0, p.stderr
    dynamic = set(p.stdout.split())
    assert install <= dynamic, sorted(install - dynamic)
    assert build - {"wheel"} <= static
