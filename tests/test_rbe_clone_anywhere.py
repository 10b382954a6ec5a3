"""The local remote-execution cluster from a checkout that only root can enter.

Cloning into one's home directory (/root is mode 700 on Debian) or into a `mktemp -d`
folder is the common case. PostgreSQL runs as the postgres user, which cannot enter such
a checkout; tools/rbe keeps what that user must reach in a state directory under
/run/rules_pyuv-rbe instead (tools/rbe/lib.sh).

A copy of this checkout's files (tracked and new, as `git clone` of the working tree
would give) is put in a mode-700 folder; its own tools/rbe/up starts the cluster with
its default run directory, one real remote build runs on the arm64 worker, and
tools/rbe/down removes everything, the state directory included. The tools that
tools/rbe/setup prepares are taken from this checkout (RBE_CACHE_DIR), as a second
clone on the same machine may do.

Needs what tests/test_rbe.py needs: skipped without it, failed in CI (CI=true).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support.bazel import REPO_ROOT, WORKSPACE_PREAMBLE, BazelWorkspace, read_execution_log
from tests.support.prerequisites import require
from tools import rbe_example

pytestmark = [pytest.mark.rbe, pytest.mark.bazel]


@pytest.fixture(scope="module", autouse=True)
def _prerequisites():
    require(rbe_example.unavailable())


def _copy_checkout(dest: Path) -> None:
    """This checkout's files as git sees them (tracked and untracked, not ignored)."""
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(REPO_ROOT),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
        capture_output=True,
        check=True,
    ).stdout
    for rel in filter(None, listed.decode().split("\0")):
        src = REPO_ROOT / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the working tree
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel, follow_symlinks=False)


def _as_postgres(*argv: str) -> int:
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=False).returncode


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A folder only root can enter, holding a checkout."""
    home = tmp_path_factory.mktemp("home")
    home.chmod(0o700)
    _copy_checkout(home / "rules_pyuv")
    return home


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RBE_RUN_DIR"}
    env["RBE_CACHE_DIR"] = str(rbe_example.tools_dir())
    return env


def _rbe(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(checkout / "tools" / "rbe" / args[0]), *args[1:]],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"tools/rbe/{' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_cluster_up_build_down_from_a_checkout_only_root_can_enter(home, bazel_caches, tmp_path):
    checkout = home / "rules_pyuv"
    # The premise: the postgres user cannot enter the checkout.
    assert home.stat().st_mode & 0o777 == 0o700
    assert _as_postgres("test", "-x", str(home)) != 0
    run = checkout / ".cache" / "rbe" / "run"
    state = rbe_example.state_dir(run)

    up = _rbe(checkout, "up")
    try:
        endpoint = up.stdout.strip().splitlines()[-1]
        assert endpoint.startswith("grpc://127.0.0.1:"), up.stdout
        assert (run / "state").resolve() == state
        assert (state / "pgdata").stat().st_uid == _uid("postgres")
        assert _as_postgres("test", "-w", str(state / "pgdata")) == 0

        ws = BazelWorkspace(home / "ws", tmp_path / "output_base", bazel_caches)
        ws.write("WORKSPACE", WORKSPACE_PREAMBLE.format(name="ws", repo=checkout))
        ws.append("WORKSPACE", 'register_toolchains("//platforms:all")\n')
        for name in ("BUILD.bazel", "probe.bzl"):
            ws.write(name, (checkout / "tests" / "testdata" / "rbe" / name).read_text())
        ws.write(
            "platforms/BUILD.bazel",
            (checkout / "e2e" / "example" / "platforms" / "BUILD.bazel").read_text(),
        )
        salt = uuid.uuid4().hex[:8]
        ws.write("salt.bzl", f'SALT = "{salt}"\n')
        try:
            ws.run(
                "build",
                "//:probe",
                "--platforms=//platforms:linux_arm64",
                f"--remote_executor={endpoint}",
                "--spawn_strategy=remote",
                "--remote_timeout=120",
                "--disk_cache=",
                "--extra_execution_platforms=//platforms:linux_amd64,//platforms:linux_arm64",
                f"--execution_log_json_file={tmp_path / 'exec.json'}",
            )
        finally:
            ws.close()
        (spawn,) = [
            s
            for s in read_execution_log(tmp_path / "exec.json")
            if s["mnemonic"] == "PlatformProbe"
        ]
        assert (spawn["runner"], spawn["remoteCacheHit"]) == ("remote", False)
        assert ws.bin_path("probe.txt").read_text().split()[:4] == ["linux"] + ["aarch64"] * 3
        # The cluster is new: the probe is the only action any worker ran.
        logs = {a: (run / f"worker-{a}.log").read_text() for a in ("amd64", "arm64")}
        runs = {a: [x for x in text.splitlines() if " INFO run " in x] for a, text in logs.items()}
        assert (len(runs["arm64"]), runs["amd64"]) == (1, []), logs
    finally:
        down = _rbe(checkout, "down")

    assert "stopped" in down.stdout, down.stdout
    assert not state.exists(), sorted(p.name for p in state.iterdir())
    assert not (run / "state").is_symlink()
    assert not list(run.glob("*.pid")), sorted(p.name for p in run.iterdir())
    assert not (run / "arm64-rootfs").exists()


def _uid(user: str) -> int:
    return pwd.getpwnam(user).pw_uid
