"""PyWheelInstall runs as a persistent worker in real Bazel 4.2.3, and without one the same.

A lock made by real `uv lock` against the local index; `bazel build` of an app that needs a
few packages. The execution log must show every PyWheelInstall spawn run by the worker
strategy, and the app must run. Then, after `bazel clean`, with
--strategy=PyWheelInstall=sandboxed (what remote execution and users who opt out get),
the same command line runs the tool once per action from its params file, and the app
prints the same.
"""

from __future__ import annotations

import pytest

from tests.support.bazel import BazelWorkspace, hub_workspace, read_execution_log
from tests.support.uvlock import make_project, uv_lock

pytestmark = pytest.mark.bazel

WORKSPACE = hub_workspace(
    """

uv_lock(
    name = "pypi",
    lockfile = "//:uv.lock",
    python_version = "3.11",
)

"""
)

APP_BUILD = """\
load("@rules_pyuv//py:defs.bzl", "py_binary")

py_binary(
    name = "main",
    srcs = ["main.py"],
    deps = ["@pypi//purepkg", "@pypi//pytest"],
)
"""

APP_MAIN = """\
import purepkg
import pytest

print(purepkg.hello())
print("pytest", pytest.__version__)
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("worker")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    make_project(ws.root, "app", ["PurePkg", "pytest"], requires_python=">=3.11")
    uv_lock(ws.root, package_index.url, cache_dir=uv_cache_dir)
    ws.append("WORKSPACE", WORKSPACE)
    ws.write("app/BUILD.bazel", APP_BUILD)
    ws.write("app/main.py", APP_MAIN)
    yield ws
    ws.close()


def _installs(ws: BazelWorkspace, *flags: str) -> list[dict]:
    log = ws.root.parent / "exec.json"
    # No disk cache: every install must really run.
    ws.run("build", "--disk_cache=", f"--execution_log_json_file={log}", *flags, "//app:main")
    return [s for s in read_execution_log(log) if s.get("mnemonic") == "PyWheelInstall"]


def test_wheel_installs_run_in_a_persistent_worker(ws):
    ws.run("clean")
    installs = _installs(ws)
    assert len(installs) >= 3  # purepkg, pytest and pytest's own dependencies
    assert {s["runner"] for s in installs} == {"worker"}, [s["runner"] for s in installs]
    for spawn in installs:
        # The command line Bazel logs: the worker script, the tool, the params file.
        args = spawn["commandArgs"]
        assert args[2].endswith("py/private/worker.py"), args
        assert args[3].endswith("uv/private/whl_install.py"), args
        assert args[4].startswith("@") and len(args) == 5, args
    with_worker = ws.run("run", "//app:main").stdout

    ws.run("clean")
    installs = _installs(ws, "--strategy=PyWheelInstall=sandboxed")
    assert installs and "worker" not in {s["runner"] for s in installs}
    assert ws.run("run", "//app:main").stdout == with_worker
    assert with_worker.splitlines()[0].startswith("purepkg 1.0.0")
