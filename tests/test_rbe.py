"""Remote execution for real: Bazel 4.2.3 against the local REAPI cluster of tools/rbe.

The module brings the cluster up (tools/rbe/up: PostgreSQL, BuildGrid, an amd64 worker
running actions on this machine and an arm64 worker running them in a Debian arm64
chroot under qemu-user) and down again. The workspace's tiny rule
(tests/testdata/rbe/probe.bzl) runs one action in rules_pyuv's target-platform exec
group that reports `uname -m` and Python's machine from wherever it ran.

What is checked: an arm64 target's action runs on the arm64 worker and an amd64 one on
the amd64 worker, also both in one build; a clean rebuild is served from the remote
cache; a worker killed mid-action is replaced and the build completes (BuildGrid
requeues the lost job when the bot id reconnects); with no arm64 worker the arm64 action
waits in the queue (never runs on amd64) and completes once one connects.

Needs root, binfmt_misc with qemu-aarch64, and tools/rbe/setup; skipped otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.support.bazel import REPO_ROOT, read_execution_log, spawn_properties

TESTDATA = Path(__file__).parent / "testdata" / "rbe"
RBE = REPO_ROOT / "tools" / "rbe"
# The module's own cluster (tools/rbe honours RBE_RUN_DIR), apart from one you may have
# started yourself in .cache/rbe/run.
RUN = REPO_ROOT / ".cache" / "rbe" / "test-run"
BINFMT = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
CPU = {"amd64": "x86_64", "arm64": "aarch64"}


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (the arm64 worker chroots; PostgreSQL runs as the postgres user)"
    if not BINFMT.exists():
        return f"no qemu-aarch64 binfmt handler ({BINFMT}); run tools/rbe/setup"
    flags = [line for line in BINFMT.read_text().splitlines() if line.startswith("flags:")]
    if not flags or "F" not in flags[0]:
        return f"the qemu-aarch64 binfmt handler lacks flag F ({flags}); run tools/rbe/setup"
    for need in (".cache/rbe/venv/bin/bgd", ".cache/rbe/arm64-rootfs.tar.zst"):
        if not (REPO_ROOT / need).exists():
            return f"{need} is missing; run tools/rbe/setup"
    return None


pytestmark = [
    pytest.mark.rbe,
    pytest.mark.bazel,
    pytest.mark.skipif(_unavailable() is not None, reason=str(_unavailable())),
]


def rbe(*args: str) -> str:
    proc = subprocess.run(
        [str(RBE / args[0]), *args[1:]],
        env={**os.environ, "RBE_RUN_DIR": str(RUN)},
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"tools/rbe/{' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


class WorkerLog:
    """Lines a worker logged since mark()."""

    def __init__(self, arch: str):
        self.path = RUN / f"worker-{arch}.log"
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def new_lines(self) -> list[str]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return f.read().decode(errors="replace").splitlines()

    def runs(self) -> list[str]:
        """Actions started since mark() ("... INFO run <id> ...")."""
        return [line for line in self.new_lines() if " INFO run " in line]


@pytest.fixture(scope="module")
def cluster():
    """The endpoint of the module's cluster with both workers; stopped after the module."""
    out = rbe("up")
    try:
        yield out.strip().splitlines()[-1]
    finally:
        rbe("down")


@pytest.fixture
def rbe_workspace(bazel_workspace, cluster):
    ws = bazel_workspace
    for name in ("BUILD.bazel", "probe.bzl"):
        ws.write(name, (TESTDATA / name).read_text())
    ws.write("platforms/BUILD.bazel", (REPO_ROOT / "e2e/example/platforms/BUILD.bazel").read_text())
    # A salt per test: each test's actions are new to the cluster's action cache.
    ws.salt = uuid.uuid4().hex[:8]
    ws.write("salt.bzl", f'SALT = "{ws.salt}"\n')
    ws.append("WORKSPACE", 'register_toolchains("//platforms:all")\n')
    ws.endpoint = cluster
    rbe("up")  # both workers, whatever an earlier test did to them
    return ws


def remote_build(ws, log: Path, *args: str, check: bool = True):
    return ws.run(
        "build",
        f"--remote_executor={ws.endpoint}",
        "--spawn_strategy=remote",
        "--remote_timeout=60",
        # The session-wide disk cache would answer before the remote executor is asked.
        "--disk_cache=",
        "--extra_execution_platforms=//platforms:linux_amd64,//platforms:linux_arm64",
        f"--execution_log_json_file={log}",
        *args,
        check=check,
    )


def probe_spawns(log: Path) -> list[dict]:
    return [s for s in read_execution_log(log) if s.get("mnemonic") == "PlatformProbe"]


def facts_by_arch(ws, log: Path) -> dict[str, list[str]]:
    """facts() of each probe the execution log shows, by the Arch it was sent to."""
    out = {}
    for spawn in probe_spawns(log):
        (output,) = spawn["actualOutputs"]
        path = ws.output_base / "execroot" / "ws" / output["path"]
        out[spawn_properties(spawn)["Arch"]] = path.read_text().split()
    return out


def facts(ws, relpath: str) -> list[str]:
    """target os, target cpu, `uname -m`, Python's machine, Python version, salt."""
    return ws.bin_path(relpath).read_text().split()


def in_background(fn, *args, **kwargs) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            outcome["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


@pytest.mark.parametrize("arch", ["arm64", "amd64"])
def test_action_runs_on_the_worker_of_the_target_arch(rbe_workspace, tmp_path, arch):
    ws = rbe_workspace
    other = "amd64" if arch == "arm64" else "arm64"
    logs = {a: WorkerLog(a) for a in CPU}
    for wl in logs.values():
        wl.mark()
    proc = remote_build(
        ws, tmp_path / "exec.json", "//:probe", f"--platforms=//platforms:linux_{arch}"
    )
    assert "1 remote" in proc.stderr, proc.stderr
    cpu = CPU[arch]
    assert facts(ws, "probe.txt") == ["linux", cpu, cpu, cpu, "3.11", ws.salt]
    (spawn,) = probe_spawns(tmp_path / "exec.json")
    assert spawn["runner"] == "remote"
    assert spawn["remoteCacheHit"] is False
    assert spawn_properties(spawn) == {"Arch": arch, "OSFamily": "Linux"}
    assert len(logs[arch].runs()) == 1, logs[arch].new_lines()
    assert logs[other].runs() == [], logs[other].new_lines()


def test_both_platforms_in_one_build(rbe_workspace, tmp_path):
    ws = rbe_workspace
    remote_build(ws, tmp_path / "exec.json", "//:probe_both")
    by_arch = facts_by_arch(ws, tmp_path / "exec.json")
    for arch, cpu in CPU.items():
        assert by_arch[arch] == [
            "linux",
            cpu,
            cpu,
            cpu,
            "3.11",
            ws.salt,
        ]
    spawns = probe_spawns(tmp_path / "exec.json")
    assert sorted(spawn_properties(s)["Arch"] for s in spawns) == ["amd64", "arm64"]
    assert {s["runner"] for s in spawns} == {"remote"}


def test_clean_rebuild_is_served_by_the_remote_cache(rbe_workspace, tmp_path):
    ws = rbe_workspace
    remote_build(ws, tmp_path / "first.json", "//:probe_both")
    assert {s["remoteCacheHit"] for s in probe_spawns(tmp_path / "first.json")} == {False}
    ws.run("clean")
    logs = {a: WorkerLog(a) for a in CPU}
    for wl in logs.values():
        wl.mark()
    proc = remote_build(ws, tmp_path / "second.json", "//:probe_both")
    assert "2 remote cache hit" in proc.stderr, proc.stderr
    spawns = probe_spawns(tmp_path / "second.json")
    assert len(spawns) == 2
    assert {s["remoteCacheHit"] for s in spawns} == {True}
    assert {s["runner"] for s in spawns} == {"remote cache hit"}
    assert facts_by_arch(ws, tmp_path / "second.json")["arm64"][2] == "aarch64"
    for wl in logs.values():
        assert wl.runs() == [], wl.new_lines()


def test_killed_worker_is_replaced_and_the_build_completes(rbe_workspace, tmp_path):
    """SIGKILL the arm64 worker while it runs a 20 s action; `tools/rbe/up` starts a new
    one with the same bot id, BuildGrid requeues the lost job to it, and Bazel's build
    (still waiting on the same operation) completes."""
    ws = rbe_workspace
    log = WorkerLog("arm64")
    log.mark()
    thread, outcome = in_background(
        remote_build,
        ws,
        tmp_path / "exec.json",
        "//:slow_probe",
        "--platforms=//platforms:linux_arm64",
    )
    wait_until(lambda: log.runs(), 120, "the arm64 worker to start the action")
    time.sleep(2)
    pid = int((RUN / "worker-arm64.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), 10, "the worker to die")
    # The action died with its worker (setpriv --pdeathsig): nothing is left behind.
    time.sleep(1)
    salt = ws.salt.encode()
    assert not [p for p in Path("/proc").glob("[0-9]*/cmdline") if salt in _read(p)]
    assert thread.is_alive(), outcome
    rbe("up", "--workers", "arm64")
    thread.join(timeout=300)
    assert not thread.is_alive(), "the build did not finish after the worker came back"
    assert "error" not in outcome, outcome.get("error")
    assert facts(ws, "slow_probe.txt")[:4] == ["linux", "aarch64", "aarch64", "aarch64"]
    # Ran twice: the killed attempt and the requeued one.
    assert len(log.runs()) == 2, log.new_lines()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_without_an_arm64_worker_the_arm64_action_waits(rbe_workspace, tmp_path):
    """With only the amd64 worker connected, an arm64 action stays queued (it never runs
    on amd64); it runs as soon as an arm64 worker connects."""
    ws = rbe_workspace
    rbe("down", "--workers", "arm64")
    amd64 = WorkerLog("amd64")
    amd64.mark()
    thread, outcome = in_background(
        remote_build, ws, tmp_path / "exec.json", "//:probe", "--platforms=//platforms:linux_arm64"
    )
    thread.join(timeout=20)
    assert thread.is_alive(), f"the build ended without an arm64 worker: {outcome}"
    assert not ws.bin_path("probe.txt").exists()
    assert amd64.runs() == [], amd64.new_lines()
    arm64 = WorkerLog("arm64")
    arm64.mark()
    rbe("up", "--workers", "arm64")
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert facts(ws, "probe.txt")[:4] == ["linux", "aarch64", "aarch64", "aarch64"]
    assert len(arm64.runs()) == 1
    assert amd64.runs() == [], amd64.new_lines()
