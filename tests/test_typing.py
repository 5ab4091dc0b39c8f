"""skipperd is typed throughout: strict mypy over the package (configured in setup.cfg)."""

from __future__ import annotations

import subprocess
import sys

from harness import REPO


def test_mypy_strict() -> None:
    p = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=REPO,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
