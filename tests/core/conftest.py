"""Test ids in tests/core are plain printable ASCII without backslashes.

mutmut (scripts/mutation) hands test ids back to pytest; an id holding a backslash (as pytest
writes escapes) is not found again, and the mutation run stops at its clean-test step.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_make_parametrize_id(config: pytest.Config, val: Any, argname: str) -> str | None:
    if isinstance(val, str):
        return "".join(c if " " <= c <= "~" and c != "\\" else "_" for c in val)
    return None
