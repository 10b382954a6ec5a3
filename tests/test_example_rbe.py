"""The example app on the local REAPI cluster (tools/rbe): the issue's end-to-end checks.

- for linux_arm64 every PySdistBuild runs on the arm64 worker and the C extension's
  shared object is an aarch64 ELF; the app runs inside the emulated arm64 root;
- for linux_amd64 the same on the amd64 worker, x86-64 ELF;
- both platforms in one build (split transition);
- `bazel clean` then rebuild with the same remote cache: every action is a cache hit and
  no worker runs anything.

Where an action ran is read from the workers' own logs (each logs the command line of
every action it runs), not inferred from the execution log's properties.
Killed workers and a missing arm64 worker are covered by tests/test_rbe.py.
Needs what tests/test_rbe.py needs: skipped without it, failed in CI (CI=true).
"""

from __future__ import annotations

import os
import struct
import zipfile

import pytest

from tests.support.bazel import REPO_ROOT, BazelWorkspace, read_execution_log, spawn_properties
from tests.support.prerequisites import require
from tests.support.uvlock import uv_lock
from tests.test_example_e2e import _copy_example
from tools import rbe_example

pytestmark = [pytest.mark.rbe, pytest.mark.bazel]

RUN = REPO_ROOT / ".cache" / "rbe" / "example-test-run"
ARCHS = ("amd64", "arm64")
# e_machine of an ELF header, by `uname -m`.
ELF_MACHINE = {"aarch64": 183, "x86_64": 62}  # EM_AARCH64, EM_X86_64
# `uname -m` of each worker: the amd64 one runs on this machine.
CPU = {"amd64": os.uname().machine, "arm64": "aarch64"}
BOTH_LOAD = 'load("@rules_pyuv//py:image.bzl", "multi_platform_files")\n'
BOTH_BUILD = """
multi_platform_files(
    name = "both",
    platforms = ["//platforms:linux_amd64", "//platforms:linux_arm64"],
    srcs = [":app"],
)
"""


@pytest.fixture(scope="module", autouse=True)
def _prerequisites():
    require(rbe_example.unavailable())


@pytest.fixture(scope="module")
def endpoint(_prerequisites):
    mp = pytest.MonkeyPatch()
    # The module's own cluster, apart from one you may have started in .cache/rbe/run.
    mp.setenv("RBE_RUN_DIR", str(RUN))
    try:
        with rbe_example.cluster() as url:
            yield url
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def example(tmp_path_factory, bazel_caches, package_index, uv_cache_dir, endpoint):
    base = tmp_path_factory.mktemp("example-rbe")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches, name="example")
    _copy_example(ws.root)
    uv_lock(ws.root, package_index.url, cache_dir=uv_cache_dir)
    # In the app's package: //app:app is private to it.
    build = ws.root / "app" / "BUILD.bazel"
    build.write_text(BOTH_LOAD + build.read_text() + BOTH_BUILD)
    yield ws
    ws.close()


class WorkerLog:
    """The command lines a worker ran since it was created ("... INFO run <id> (...): argv")."""

    def __init__(self, arch: str):
        self.path = RUN / f"worker-{arch}.log"
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def commands(self) -> list[str]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            lines = f.read().decode(errors="replace").splitlines()
        return [line.split("): ", 1)[1] for line in lines if " INFO run " in line]


def _ran_on(spawn: dict, logs: dict[str, WorkerLog]) -> list[str]:
    """The workers whose log shows the spawn's command line (the log cuts it at 300)."""
    argv = " ".join(spawn["commandArgs"])[:300]
    return [arch for arch, log in logs.items() if argv in log.commands()]


def _remote_build(ws, endpoint, log, target, platform, *extra):
    ws.run(
        "build",
        target,
        *rbe_example.remote_flags(endpoint, platform),
        # The session-wide disk cache would answer before the cluster is asked.
        "--disk_cache=",
        f"--execution_log_json_file={log}",
        *extra,
    )
    return read_execution_log(log)


def _sdist_builds(spawns):
    return [s for s in spawns if s.get("mnemonic") == "PySdistBuild"]


def _so_machine(wheel_dir) -> int:
    (wheel,) = sorted(wheel_dir.glob("nativepkg-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        (so,) = [n for n in zf.namelist() if n.endswith(".so")]
        header = zf.read(so)[:20]
    assert header[:4] == b"\x7fELF", so
    return struct.unpack("<H", header[18:20])[0]


@pytest.mark.parametrize("arch", ["arm64", "amd64"])
def test_sdist_is_built_on_the_worker_of_the_target(example, endpoint, tmp_path, arch):
    logs = {a: WorkerLog(a) for a in ARCHS}
    spawns = _remote_build(example, endpoint, tmp_path / "log.json", "//app:app", f"linux_{arch}")
    builds = _sdist_builds(spawns)
    assert builds, "no PySdistBuild ran"
    for spawn in builds:
        assert spawn_properties(spawn) == {"Arch": arch, "OSFamily": "Linux"}
        # Executed now, by the worker of that architecture (not a cache hit).
        assert (spawn["runner"], spawn["remoteCacheHit"]) == ("remote", False), spawn["runner"]
        assert _ran_on(spawn, logs) == [arch], {a: w.commands() for a, w in logs.items()}
    wheels = example.bin_path("external/pypi/nativepkg/_build_1_0_0")
    assert _so_machine(wheels) == ELF_MACHINE[CPU[arch]]
    if arch == "arm64":
        out = rbe_example.run_in_arm64_root(example.root / "bazel-bin", "app/app")
        assert out.splitlines()[0] == "machine: aarch64"
        assert "nativepkg: 2 + 3 = 5 (compiled for aarch64)" in out
        assert "splitpkg: splitpkg 2.0.0 py3-none-any" in out


def test_both_platforms_in_one_build(example, endpoint, tmp_path):
    # Earlier tests built each half alone; without a clean Bazel's local action cache
    # would skip it here and the log would not show it.
    example.run("clean")
    spawns = _remote_build(example, endpoint, tmp_path / "log.json", "//app:both", "linux_amd64")
    archs = sorted(spawn_properties(s)["Arch"] for s in _sdist_builds(spawns))
    assert archs == ["amd64", "arm64"]


def test_clean_rebuild_is_served_from_the_remote_cache(example, endpoint, tmp_path):
    _remote_build(example, endpoint, tmp_path / "first.json", "//app:app", "linux_arm64")
    example.run("clean")
    logs = {a: WorkerLog(a) for a in ARCHS}
    spawns = _remote_build(example, endpoint, tmp_path / "again.json", "//app:app", "linux_arm64")
    remote = [s for s in spawns if s.get("remotable", True)]
    assert remote, "nothing was rebuilt"
    misses = [s.get("mnemonic") for s in remote if not s.get("remoteCacheHit")]
    assert misses == [], misses
    assert {a: w.commands() for a, w in logs.items()} == {a: [] for a in ARCHS}
