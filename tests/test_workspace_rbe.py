"""The uv workspace example (e2e/workspace) for linux_arm64 on the local REAPI cluster.

Both local builds — the sdist-only C extension of the tool member and the directory
source — run as PySdistBuild on the arm64 worker (read from the worker's own log); the
app and the tool then run inside the emulated arm64 root. Needs what tests/test_rbe.py
needs: skipped without it, failed in CI (CI=true).
"""

from __future__ import annotations

import pytest

from tests.support.bazel import REPO_ROOT, BazelWorkspace, spawn_properties
from tests.support.prerequisites import require
from tests.support.workspace_e2e import lock_workspace
from tests.test_example_rbe import ARCHS, WorkerLog, _ran_on, _remote_build, _sdist_builds
from tests.test_workspace_e2e import copy_workspace, expected_app_lines
from tools import rbe_example

pytestmark = [pytest.mark.rbe, pytest.mark.bazel]

# Its own cluster, apart from the example's tests and one you may have started.
RUN = REPO_ROOT / ".cache" / "rbe" / "workspace-test-run"


@pytest.fixture(scope="module", autouse=True)
def _prerequisites():
    require(rbe_example.unavailable())


@pytest.fixture(scope="module")
def endpoint(_prerequisites):
    mp = pytest.MonkeyPatch()
    mp.setenv("RBE_RUN_DIR", str(RUN))
    try:
        with rbe_example.cluster() as url:
            yield url
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, bazel_caches, package_index, uv_cache_dir, endpoint):
    base = tmp_path_factory.mktemp("workspace-rbe")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches, name="workspace")
    copy_workspace(ws.root)
    lock_workspace(ws.root, package_index.url, uv_cache_dir)
    yield ws
    ws.close()


def test_the_workspace_builds_on_the_arm64_worker_and_runs_there(workspace, endpoint, tmp_path):
    logs = {a: WorkerLog(a) for a in ARCHS}
    # WorkerLog reads the run directory of test_example_rbe; point it at ours.
    for log in logs.values():
        log.path = RUN / log.path.name
        log.offset = log.path.stat().st_size if log.path.exists() else 0
    spawns = _remote_build(
        workspace,
        endpoint,
        tmp_path / "log.json",
        "//apps/app:run",
        "linux_arm64",
        "//tools/wstool:run",
    )
    builds = _sdist_builds(spawns)
    sources = sorted(
        "directory" if "--source-root" in s["commandArgs"] else "sdist" for s in builds
    )
    assert sources == ["directory", "sdist"], sources
    for spawn in builds:
        assert spawn_properties(spawn) == {"Arch": "arm64", "OSFamily": "Linux"}
        assert _ran_on(spawn, logs) == ["arm64"], {a: w.commands() for a, w in logs.items()}
    out = rbe_example.run_in_arm64_root(workspace.root / "bazel-bin", "apps/app/run")
    assert out.splitlines() == expected_app_lines("aarch64", [])
    tool = rbe_example.run_in_arm64_root(workspace.root / "bazel-bin", "tools/wstool/run")
    assert tool.splitlines() == ["wstool: 2 + 3 = 5 (compiled for aarch64)"], tool
