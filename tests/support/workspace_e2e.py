"""Prepares e2e/workspace (a uv workspace) for a build: its path wheel, then its lock.

The workspace's third-party packages come from the standard test packages
(tests/support/index_fixtures.py) served on 127.0.0.1; its path source is a wheel built
here into ``third_party/wheels`` (git-ignored), as a vendored wheel would sit in a
repository. ``uv lock`` then runs against the index, as tools/main and the tests do.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.pkgbuild import build_wheel
from tests.support.uvlock import uv_lock

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = REPO_ROOT / "e2e" / "workspace"

# The wheel libs/greet/pyproject.toml names as a path source.
VENDORED = ("vendored", "1.0.0")


def build_vendored_wheel(root: Path) -> Path:
    """Writes the workspace's path wheel under ``root/third_party/wheels``."""
    name, version = VENDORED
    return build_wheel(root / "third_party" / "wheels", name, version)


def lock_workspace(root: Path, index_url: str, cache_dir: Path | None = None) -> Path:
    """Builds the path wheel and ``uv lock``s the workspace at ``root``; returns the lock."""
    build_vendored_wheel(root)
    return uv_lock(root, index_url, cache_dir=cache_dir)
