"""The example app on the local remote-execution cluster, run inside the arm64 root.

Used by tools/run_example.py (the main job) and tests/test_example_rbe.py:

- unavailable(): why the cluster cannot run here (root, binfmt, tools/rbe/setup), or None;
- cluster(): tools/rbe/up ... tools/rbe/down around a block, yielding the endpoint;
- remote_flags(endpoint, platform): the flags of a build that sends every action to
  the cluster, with the example's execution platforms (the arm64 worker takes what must
  run on arm64, the amd64 worker the rest);
- run_in_arm64_root(app_dir, rootfs): copies a built app with its runfiles into the
  emulated arm64 Debian root and runs it there with the root's own /usr/bin/python3.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RBE = REPO / "tools" / "rbe"
BINFMT = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
# Where tools/rbe/lib.sh keeps what the postgres user must reach.
STATE_ROOT = Path("/run/rules_pyuv-rbe")


def run_dir() -> Path:
    """Where tools/rbe keeps the running cluster (RBE_RUN_DIR, as tools/rbe/lib.sh)."""
    return Path(os.environ.get("RBE_RUN_DIR", REPO / ".cache" / "rbe" / "run")).resolve()


def tools_dir() -> Path:
    """Where tools/rbe/setup keeps the venv and the arm64 rootfs (RBE_CACHE_DIR, as
    tools/rbe/lib.sh)."""
    return Path(os.environ.get("RBE_CACHE_DIR", REPO / ".cache" / "rbe")).resolve()


def state_dir(run: Path) -> Path:
    """The state directory of the cluster of run directory `run` (as tools/rbe/lib.sh)."""
    digest = hashlib.sha256(str(run.resolve()).encode()).hexdigest()[:16]
    return STATE_ROOT / digest


def unavailable() -> str | None:
    """Why the cluster cannot run on this machine, or None."""
    if os.geteuid() != 0:
        return "needs root (the arm64 worker chroots; PostgreSQL runs as the postgres user)"
    if not BINFMT.exists():
        return f"no qemu-aarch64 binfmt handler ({BINFMT}); run tools/rbe/setup"
    flags = [line for line in BINFMT.read_text().splitlines() if line.startswith("flags:")]
    if not flags or "F" not in flags[0]:
        return f"the qemu-aarch64 binfmt handler lacks flag F ({flags}); run tools/rbe/setup"
    for need in ("venv/bin/bgd", "arm64-rootfs.tar.zst"):
        if not (tools_dir() / need).exists():
            return f"{tools_dir() / need} is missing; run tools/rbe/setup"
    return None


def _rbe(*args: str) -> str:
    proc = subprocess.run(
        [str(RBE / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"tools/rbe/{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


@contextlib.contextmanager
def cluster() -> Iterator[str]:
    """Brings the cluster (both workers) up for the block; yields its grpc:// endpoint.

    `down` runs even when `up` fails half-way, so no database or worker it started leaks.
    """
    try:
        out = _rbe("up")
        yield out.strip().splitlines()[-1]
    finally:
        _rbe("down")


def remote_flags(endpoint: str, platform: str) -> list[str]:
    return [
        f"--platforms=//platforms:{platform}",
        f"--remote_executor={endpoint}",
        "--spawn_strategy=remote",
        "--remote_timeout=600",
        # The amd64 worker serves actions any machine can run (wheel installs); sdist
        # builds for arm64 can only be placed on the arm64 one.
        "--extra_execution_platforms=//platforms:linux_amd64,//platforms:linux_arm64",
    ]


def run_in_arm64_root(bazel_bin: Path, target: str, rootfs: Path | None = None) -> str:
    """Copies bazel-bin/<target> and its runfiles into the arm64 root and runs it there."""
    rootfs = rootfs or run_dir() / "arm64-rootfs"
    if not (rootfs / "usr" / "bin" / "python3").exists():
        raise RuntimeError(f"no arm64 root at {rootfs}: is the cluster up?")
    inside = Path("/tmp/rules_pyuv-example")
    dest = rootfs / inside.relative_to("/")
    shutil.rmtree(dest, ignore_errors=True)
    launcher = bazel_bin / target
    dest.mkdir(parents=True)
    shutil.copy2(launcher, dest / launcher.name)
    # Runfiles are links into Bazel's output base, which the root cannot see: copy files.
    shutil.copytree(f"{launcher}.runfiles", dest / f"{launcher.name}.runfiles", symlinks=False)
    try:
        proc = subprocess.run(
            ["/usr/sbin/chroot", str(rootfs), str(inside / launcher.name)],
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{target} failed in the arm64 root:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def build_and_run_arm64(bazel, more=None) -> None:
    """The main job's arm64 half; `bazel(*args)` runs Bazel in e2e/example.

    `more(endpoint)`, when given, runs further builds on the same cluster.
    """
    reason = unavailable()
    if reason:
        # In CI tools/setup has provided all of it: a gap there is a broken setup.
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            raise SystemExit(f"run_example: cannot build for arm64 in CI: {reason}")
        print(f"skipping the arm64 build: {reason}")
        return
    with cluster() as endpoint:
        print(f"cluster: {endpoint}")
        bazel("build", "//app:app", *remote_flags(endpoint, "linux_arm64"))
        print("\n=== the arm64 app, run inside the emulated arm64 Debian root")
        print(run_in_arm64_root(REPO / "e2e" / "example" / "bazel-bin", "app/app"), end="")
        if more is not None:
            more(endpoint)
