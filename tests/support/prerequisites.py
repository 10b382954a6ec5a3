"""Missing prerequisites: a skip on a developer's machine, a failure in CI.

tools/setup installs everything the suite needs and fails if it cannot, so in CI
(CI=true) a missing tool means a broken setup, which must not pass quietly as a skip.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    """True when the CI environment variable says so (CI=true, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(missing: str | None) -> None:
    """Does nothing when `missing` is None; else skips the test, or fails it in CI."""
    if missing is None:
        return
    if in_ci():
        pytest.fail(
            f"prerequisite missing in CI (tools/setup provides it): {missing}", pytrace=False
        )
    pytest.skip(missing)
