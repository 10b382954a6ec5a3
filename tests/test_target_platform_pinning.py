"""The target-platform exec group pins actions to a matching execution platform.

Runs real Bazel 4.2.3 on a workspace whose tiny rule (tests/testdata/pinning) runs one
action in rules_pyuv's target-platform exec group, and reads the execution log to see
which platform's exec_properties each spawn carried.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.bazel import BazelWorkspace, read_execution_log, spawn_properties

TESTDATA = Path(__file__).parent / "testdata" / "pinning"
PLATFORMS = Path(__file__).parents[1] / "e2e" / "example" / "platforms" / "BUILD.bazel"

pytestmark = pytest.mark.bazel
EXEC_PLATFORMS = "--extra_execution_platforms=//platforms:linux_amd64,//platforms:linux_arm64"


@pytest.fixture(scope="module")
def pinning_workspace(tmp_path_factory, bazel_caches):
    # One workspace (and Bazel server) for the module: the tests only build, each with
    # its own flags, and read fresh outputs.
    base = tmp_path_factory.mktemp("pinning")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    for name in ("BUILD.bazel", "pinned.bzl"):
        ws.write(name, (TESTDATA / name).read_text())
    ws.write("platforms/BUILD.bazel", PLATFORMS.read_text())
    ws.append(
        "WORKSPACE",
        'register_toolchains("//platforms:all")\n',
    )
    yield ws
    ws.close()


def _probe_spawns(ws, platform: str, log: Path) -> list[dict]:
    ws.run(
        "build",
        "//:probe",
        f"--platforms=//platforms:{platform}",
        EXEC_PLATFORMS,
        f"--execution_log_json_file={log}",
    )
    return [s for s in read_execution_log(log) if s.get("mnemonic") == "PinnedProbe"]


def test_action_carries_the_target_platforms_exec_properties(pinning_workspace, tmp_path):
    ws = pinning_workspace
    seen = {}
    for platform, arch, cpu in (
        ("linux_amd64", "amd64", "x86_64"),
        ("linux_arm64", "arm64", "aarch64"),
    ):
        spawns = _probe_spawns(ws, platform, tmp_path / f"{platform}.json")
        assert len(spawns) == 1, spawns
        props = spawn_properties(spawns[0])
        assert props == {"Arch": arch, "OSFamily": "Linux"}
        # The sentinel resolved for that platform names it, and the Python toolchain of
        # the same exec group ran the action.
        assert ws.bin_path("probe.txt").read_text().split() == ["linux", cpu, "3.11"]
        seen[platform] = props
    assert seen["linux_amd64"] != seen["linux_arm64"]


def test_no_matching_execution_platform_fails_at_analysis(pinning_workspace):
    ws = pinning_workspace
    # Only the host (x86_64) can execute: nothing matches an aarch64 target.
    proc = ws.run("build", "//:probe", "--platforms=//platforms:linux_arm64", check=False)
    assert proc.returncode != 0
    # Bazel names the first toolchain type of the group that no execution platform can
    # serve; either way the action never runs on the x86_64 host.
    assert "Analysis of target '//:probe' failed" in proc.stderr, proc.stderr
    assert "no matching toolchains found for types @rules_pyuv//" in proc.stderr, proc.stderr
