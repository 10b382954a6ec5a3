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

The queue is read from the scheduler's own database (BuildGrid's `jobs` table) and what
ran where from the workers' logs, never from timing alone.

Needs root, binfmt_misc with qemu-aarch64, and tools/rbe/setup: skipped without them,
failed in CI (CI=true), where tools/setup provides them.
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
from tests.support.prerequisites import require
from tools import rbe_example

TESTDATA = Path(__file__).parent / "testdata" / "rbe"
RBE = REPO_ROOT / "tools" / "rbe"
# The module's own cluster (tools/rbe honours RBE_RUN_DIR), apart from one you may have
# started yourself in .cache/rbe/run.
RUN = REPO_ROOT / ".cache" / "rbe" / "test-run"
PSQL = Path("/usr/lib/postgresql/15/bin/psql")
# BuildGrid's job stages (REAPI ExecutionStage values).
QUEUED, EXECUTING, COMPLETED = 2, 3, 4


def _cpus() -> dict[str, str]:
    """`uname -m` of each worker's machine, by the Arch it advertises: the host's own
    for amd64, the arm64 root's (run under qemu-user) for arm64."""
    return {"amd64": os.uname().machine, "arm64": "aarch64"}


CPU = _cpus()


def _python_version() -> str:
    """major.minor of /usr/bin/python3, the interpreter of the example's platforms (the
    arm64 root is the same Debian release)."""
    out = subprocess.run(
        ["/usr/bin/python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


PY = _python_version()

pytestmark = [pytest.mark.rbe, pytest.mark.bazel]


@pytest.fixture(scope="module", autouse=True)
def _prerequisites():
    require(rbe_example.unavailable())


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
    """The endpoint of the module's cluster with both workers; stopped after the module
    (also when `up` fails half-way, so nothing it started leaks)."""
    try:
        out = rbe("up")
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
    assert facts(ws, "probe.txt") == ["linux", cpu, cpu, cpu, PY, ws.salt]
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
        assert by_arch[arch] == ["linux", cpu, cpu, cpu, PY, ws.salt]
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


def jobs(salt: str) -> list[dict]:
    """The scheduler's jobs whose command names `salt`, read from BuildGrid's database:
    stage, assigned, worker_name and the platform properties the job must match."""
    port = (RUN / "postgres.port").read_text().strip()
    query = (
        "SELECT j.name, j.stage, j.assigned, coalesce(j.worker_name, ''), "
        "string_agg(p.key || '=' || p.value, ',' ORDER BY p.key) "
        "FROM jobs j "
        "LEFT JOIN job_platforms jp ON jp.job_name = j.name "
        "LEFT JOIN platform_properties p ON p.id = jp.platform_id "
        f"WHERE j.command LIKE '%{salt}%' GROUP BY j.name"
    )
    proc = subprocess.run(
        [str(PSQL), "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-At", "-F", "\t"]
        + ["-c", query],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    rows = []
    for line in proc.stdout.splitlines():
        name, stage, assigned, worker, platform = line.split("\t")
        rows.append(
            {
                "name": name,
                "stage": int(stage),
                "assigned": assigned == "t",
                "worker": worker,
                "platform": dict(kv.split("=", 1) for kv in platform.split(",") if kv),
            }
        )
    return rows


def action_processes(salt: str) -> list[int]:
    """PIDs of processes whose command line carries the salt: the probe's action (under
    the arm64 root, qemu-user runs it with its argv, so it shows in the host's /proc)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        if salt.encode() in _read(cmdline) and int(cmdline.parent.name) != os.getpid():
            pids.append(int(cmdline.parent.name))
    return pids


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
    # Mid-action: the worker logged the run, its process is alive (in /proc) and the
    # scheduler has the job executing.
    wait_until(lambda: log.runs(), 120, "the arm64 worker to start the action")
    wait_until(lambda: action_processes(ws.salt), 30, "the action's process to appear")
    (job,) = jobs(ws.salt)
    assert job["stage"] == EXECUTING, job
    assert not ws.bin_path("slow_probe.txt").exists()
    pid = int((RUN / "worker-arm64.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), 10, "the worker to die")
    # The action dies with its worker (setpriv --pdeathsig): nothing is left behind.
    wait_until(lambda: not action_processes(ws.salt), 10, "the action to die with the worker")
    assert thread.is_alive(), outcome
    assert not ws.bin_path("slow_probe.txt").exists()
    rbe("up", "--workers", "arm64")
    thread.join(timeout=300)
    assert not thread.is_alive(), "the build did not finish after the worker came back"
    assert "error" not in outcome, outcome.get("error")
    assert facts(ws, "slow_probe.txt")[:4] == ["linux", "aarch64", "aarch64", "aarch64"]
    # Ran twice: the killed attempt and the requeued one; one job in the scheduler.
    assert len(log.runs()) == 2, log.new_lines()
    (job,) = jobs(ws.salt)
    assert job["stage"] == COMPLETED, job


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_without_an_arm64_worker_the_arm64_action_waits(rbe_workspace, tmp_path):
    """With only the amd64 worker connected, an arm64 action stays queued in the
    scheduler (it never runs on amd64); it runs as soon as an arm64 worker connects."""
    ws = rbe_workspace
    rbe("down", "--workers", "arm64")
    amd64 = WorkerLog("amd64")
    amd64.mark()
    thread, outcome = in_background(
        remote_build, ws, tmp_path / "exec.json", "//:probe", "--platforms=//platforms:linux_arm64"
    )
    wait_until(
        lambda: jobs(ws.salt) or not thread.is_alive(), 120, "the scheduler to queue the job"
    )
    assert thread.is_alive(), f"the build ended without an arm64 worker: {outcome}"
    (job,) = jobs(ws.salt)
    assert job["platform"] == {"Arch": "arm64", "OSFamily": "Linux"}, job
    # An idle amd64 worker polls the scheduler all along: the job is still queued and
    # unassigned after several of its polls.
    for _ in range(10):
        (job,) = jobs(ws.salt)
        assert (job["stage"], job["assigned"], job["worker"]) == (QUEUED, False, ""), job
        time.sleep(0.5)
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
    (job,) = jobs(ws.salt)
    assert job["stage"] == COMPLETED and "arm64" in job["worker"], job
