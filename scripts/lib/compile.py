"""Build, remove or report the mypyc build of skipperd's request path (``skipperd.compiled``).

    python scripts/lib/compile.py build     compile skipperd.compiled.MODULES in place
    python scripts/lib/compile.py clean     remove the extensions (stale ones too) and the stamp
    python scripts/lib/compile.py status    "compiled" or "interpreted: <why>"

The build needs mypy (mypyc) and a C compiler with Python's headers; serving needs neither. A
failed build leaves nothing behind, and skipperd then runs interpreted.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from skipperd import compiled


def clean(root: str) -> None:
    """Remove every extension in the package, those of modules that left ``MODULES`` too."""
    for ext in compiled.extension_files(root):
        os.unlink(ext)
    if os.path.exists(compiled.stamp_path(root)):
        os.unlink(compiled.stamp_path(root))


def build(root: str, jobs: int = 2) -> None:
    digest = compiled.source_digest(root)
    clean(root)
    from mypyc.build import mypycify
    from setuptools import setup

    paths = [os.path.relpath(compiled.source_path(m, root), root) for m in compiled.MODULES]
    cwd = os.getcwd()
    tmp = tempfile.mkdtemp(prefix="skipperd-compile.")
    try:
        os.chdir(root)
        setup(name="skipperd-compiled",
              ext_modules=mypycify(paths, opt_level="3", group_name=compiled.GROUP),
              script_args=["-q", "build_ext", "--inplace", "--build-temp", tmp, "--parallel", str(jobs)])
    except BaseException as e:
        clean(root)
        raise RuntimeError(f"mypyc build failed: {e}") from e
    finally:
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(os.path.join(root, "build"), ignore_errors=True)
    if compiled.source_digest(root) != digest:
        clean(root)
        raise RuntimeError("the sources changed during the build")
    with open(compiled.stamp_path(root), "w", encoding="ascii") as f:
        f.write(digest + "\n")


def main(argv: list[str]) -> int:
    root = compiled.ROOT
    cmd = argv[0] if argv else "status"
    if cmd == "build":
        try:
            build(root)
        except Exception as e:
            print(f"skipperd: {e}; the request path stays interpreted", file=sys.stderr)
            return 1
        return 0
    if cmd == "clean":
        clean(root)
        return 0
    if cmd == "status":
        why = compiled.check(root)
        print("compiled" if not why else f"interpreted: {why}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
