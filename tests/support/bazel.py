"""Throwaway Bazel workspaces that use this checkout of rules_pyuv, driven by real Bazel.

Every workspace gets its own output base (under the test's tmp dir) but shares the
install base, repository cache and disk cache of the session, so analysis is real and
repeated fetches and actions are cheap. The Bazel server a workspace starts is shut down
by the workspace's `close()`, in the background while the next test runs (reaped before
the process exits). Builds run with the forward-compatibility lane's --incompatible_*
flags on (tools/bazel4/bazelrc.in); RULES_PYUV_BAZEL4_DEFAULTS=1 runs them with Bazel
4.2.3's own defaults instead (tools/test does for a few tests).
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BAZEL = REPO_ROOT / "tools" / "bazel4" / "bazel"

# What every workspace's WORKSPACE starts with: the ruleset as a user would declare it.
WORKSPACE_PREAMBLE = """\
workspace(name = "{name}")

local_repository(
    name = "rules_pyuv",
    path = "{repo}",
)

load("@rules_pyuv//:repositories.bzl", "rules_pyuv_dependencies")

rules_pyuv_dependencies()

register_toolchains("@rules_pyuv//uv/toolchains:all")
"""


# The minor version of the interpreter python_host_toolchain finds (/usr/bin/python3 on
# the machines this suite runs on), for hubs whose python_version must match it.
HOST_PYTHON = subprocess.run(
    ["/usr/bin/python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
    capture_output=True,
    text=True,
    check=True,
).stdout.strip()

# The WORKSPACE lines that give a workspace the host's python3 as its interpreter.
HOST_TOOLCHAIN_TAIL = """
load("@rules_pyuv//py:repositories.bzl", "python_host_toolchain")

python_host_toolchain(name = "python_host")

register_toolchains("@python_host//:all")
"""


def hub_workspace(hubs: str) -> str:
    """WORKSPACE lines of a test hub: `hubs` (its uv_lock(...) calls), then @pypi's
    install_deps() and the host interpreter's toolchain."""
    return (
        '\nload("@rules_pyuv//uv:repositories.bzl", "uv_lock")\n'
        + hubs
        + '\nload("@pypi//:repositories.bzl", "install_deps")\n\ninstall_deps()\n'
        + HOST_TOOLCHAIN_TAIL
    )


@dataclass(frozen=True)
class BazelCaches:
    """Directories shared by all workspaces of one test session."""

    output_user_root: Path
    repository_cache: Path
    disk_cache: Path

    @classmethod
    def under(cls, base: Path) -> BazelCaches:
        caches = cls(base / "root", base / "repository-cache", base / "disk-cache")
        for d in (caches.output_user_root, caches.repository_cache, caches.disk_cache):
            d.mkdir(parents=True, exist_ok=True)
        return caches


# `bazel shutdown` of closed workspaces still under way; reaped before the session exits.
_SHUTDOWNS: list[subprocess.Popen] = []


@atexit.register
def _wait_for_shutdowns() -> None:
    while _SHUTDOWNS:
        proc = _SHUTDOWNS.pop()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()


class BazelError(AssertionError):
    """A Bazel command exited with an unexpected status; carries its output."""


class BazelWorkspace:
    """A Bazel workspace on disk plus the commands to drive it."""

    def __init__(self, root: Path, output_base: Path, caches: BazelCaches, name: str = "ws"):
        self.root = root
        self.output_base = output_base
        self.caches = caches
        self.root.mkdir(parents=True, exist_ok=True)
        self.write("WORKSPACE", WORKSPACE_PREAMBLE.format(name=name, repo=REPO_ROOT))
        self.write("BUILD.bazel", "")

    def write(self, relpath: str, content: str) -> Path:
        """Writes a file of the workspace (dedented), creating folders."""
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
        return path

    def append(self, relpath: str, content: str) -> None:
        """Appends dedented text to a file of the workspace."""
        with open(self.root / relpath, "a") as f:
            f.write(textwrap.dedent(content))

    def _startup(self) -> list[str]:
        return [
            f"--output_user_root={self.caches.output_user_root}",
            f"--output_base={self.output_base}",
            "--max_idle_secs=300",
            # Only the JVM's quick compiler: a test's server lives for a few commands,
            # and on 2 shared cores the optimising compiler's threads cost more than
            # they win back (tests/test_hub_e2e.py 126 s -> 61 s, the 400-lock
            # hostile test 185 s -> 128 s; docs/performance.md, "Test suite wall time").
            "--host_jvm_args=-XX:TieredStopAtLevel=1",
        ]

    def run(self, command: str, *args: str, check: bool = True, timeout: float = 900):
        """Runs `bazel <command> <args>` and returns the CompletedProcess.

        Build-like commands get the shared repository and disk caches. With check=True a
        non-zero exit raises BazelError with Bazel's output.
        """
        flags = []
        if command in ("build", "test", "run", "cquery", "aquery", "fetch", "coverage"):
            flags = [
                f"--repository_cache={self.caches.repository_cache}",
                f"--disk_cache={self.caches.disk_cache}",
                "--color=no",
                "--curses=no",
                "--show_progress_rate_limit=5",
            ]
            if os.environ.get("RULES_PYUV_BAZEL4_DEFAULTS") == "1" and command != "fetch":
                # The forward-compatibility lane's flags are on by default
                # (tools/bazel4/bazelrc.in); this runs with 4.2.3's own defaults.
                flags.append("--config=bazel4_defaults")
        argv = [str(BAZEL), *self._startup(), command, *flags, *args]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
        proc = subprocess.run(
            argv,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise BazelError(
                f"bazel {command} {' '.join(args)} exited {proc.returncode}\n"
                f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
            )
        return proc

    def bin_path(self, relpath: str) -> Path:
        """Path of an output under bazel-bin."""
        return self.root / "bazel-bin" / relpath

    def close(self, wait: bool = False) -> None:
        """Stops the Bazel server this workspace started (if any).

        Does not wait unless told to: the server winds down (2-3 s of mostly waiting) while
        the next test runs, and every shutdown is waited for before the Python process
        exits. A benchmark waits, so that no server is still writing into a folder it
        removes or competing with what it times next.
        """
        if not (self.output_base / "server").exists():
            return
        proc = subprocess.Popen(
            [str(BAZEL), *self._startup(), "shutdown"],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if wait:
            proc.wait(timeout=120)
            return
        _SHUTDOWNS[:] = [p for p in _SHUTDOWNS if p.poll() is None]
        _SHUTDOWNS.append(proc)


def read_execution_log(path: Path) -> list[dict]:
    """Parses a file written by --execution_log_json_file (concatenated JSON objects)."""
    text = path.read_text()
    decoder = json.JSONDecoder()
    spawns, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return spawns
        obj, pos = decoder.raw_decode(text, pos)
        spawns.append(obj)


def spawn_properties(spawn: dict) -> dict[str, str]:
    """The exec properties ("platform") a logged spawn was sent with."""
    props = spawn.get("platform", {}).get("properties", [])
    return {p["name"]: p["value"] for p in props}
