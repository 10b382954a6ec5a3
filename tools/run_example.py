"""The main job: lock, build, run and test the example app (e2e/example) with Bazel.

1. Build the example's packages (a pure one, a marker-only dependency with an extra,
   hand-tagged platform wheels, a version fork, and a C-extension sdist) and serve them,
   with pytest and the build backends, as a package index on 127.0.0.1.
2. `uv lock` e2e/example against that index (the lock is git-ignored: it names the port).
3. `bazel build`, `bazel run` and `bazel test` the app for the host.
3b. The same for the uv workspace example (e2e/workspace: an app, a library and a tool
   as members, dependency groups, a path wheel and a directory source).
4. Build the app (and the workspace's app and tool) for linux_arm64 on the local
   remote-execution cluster (tools/rbe), so the C extension is compiled on the arm64
   worker, and run them inside the emulated arm64 root (skipped with the reason where the
   machine cannot emulate arm64; --host-only skips it on purpose).

Run it through tools/main, which sets the machine up first.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.index_fixtures import build_standard_packages, serve  # noqa: E402
from tests.support.uvlock import uv_lock  # noqa: E402
from tests.support.workspace_e2e import WORKSPACE, lock_workspace  # noqa: E402
from tools.rbe_example import build_and_run_arm64, remote_flags, run_in_arm64_root  # noqa: E402

EXAMPLE = REPO / "e2e" / "example"
BAZEL = REPO / "tools" / "bazel4" / "bazel"


def step(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def bazel(*args: str, check: bool = True, cwd: Path = EXAMPLE) -> subprocess.CompletedProcess:
    """Runs Bazel 4.2.3 in the example workspace (or cwd), echoing the command."""
    print("$ bazel " + " ".join(args), flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    proc = subprocess.run([str(BAZEL), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise SystemExit(f"run_example: bazel {' '.join(args)} failed ({proc.returncode})")
    return proc


def workspace_arm64(endpoint: str) -> None:
    """e2e/workspace for linux_arm64 on the cluster, run inside the emulated arm64 root."""
    step("build e2e/workspace for linux_arm64 on the local remote-execution cluster")
    targets = ["//apps/app:run", "//tools/wstool:run"]
    bazel("build", *targets, *remote_flags(endpoint, "linux_arm64"), cwd=WORKSPACE)
    print("\n=== the workspace's app and tool, run inside the emulated arm64 Debian root")
    print(run_in_arm64_root(WORKSPACE / "bazel-bin", "apps/app/run"), end="")
    print(run_in_arm64_root(WORKSPACE / "bazel-bin", "tools/wstool/run"), end="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host-only", action="store_true", help="skip the arm64 build")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="rules_pyuv-example-") as tmp:
        step("building the example's packages and serving them on 127.0.0.1")
        index = serve(build_standard_packages(Path(tmp) / "packages"))
        try:
            print(f"index: {index.url}")
            step("uv lock e2e/example")
            lock = uv_lock(EXAMPLE, index.url, cache_dir=Path(tmp) / "uv-cache")
            print(f"wrote {lock.relative_to(REPO)}")

            step("build, run and test the example for the host")
            bazel("build", "//app:app", "//app:report_test")
            bazel("run", "//app:app")
            bazel("test", "//app:report_test", "--test_output=errors")
            step("the app, run directly from bazel-bin")
            subprocess.run([str(EXAMPLE / "bazel-bin" / "app" / "app")], check=True)

            step("uv lock e2e/workspace (a uv workspace), then build, run and test it")
            lock = lock_workspace(WORKSPACE, index.url, cache_dir=Path(tmp) / "uv-cache")
            print(f"wrote {lock.relative_to(REPO)}")
            bazel("run", "//apps/app:run", cwd=WORKSPACE)
            bazel("run", "//tools/wstool:run", "--", "2", "3", cwd=WORKSPACE)
            bazel("test", "//...", "--test_output=errors", cwd=WORKSPACE)

            if not args.host_only:
                step("build for linux_arm64 on the local remote-execution cluster")
                build_and_run_arm64(bazel, more=workspace_arm64)
        finally:
            index.stop()
            bazel("shutdown", check=False)
            bazel("shutdown", check=False, cwd=WORKSPACE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
