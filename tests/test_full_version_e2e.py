"""A lock forked on python_full_version within a minor version, built by Bazel 4.2.3.

uv forks `splitpkg` on `python_full_version < '3.11.5'` (1.0.0 below, 2.0.0 from 3.11.5
on). A hub planned for "3.11" cannot tell which one a 3.11 interpreter needs, so the
package fails at analysis naming the fix; planned for the interpreter's full release it
picks the right version, and an interpreter toolchain that does not declare that release
is refused instead of silently running the other fork's packages.
"""

from __future__ import annotations

import platform
import subprocess

import pytest

from tests.support.bazel import BazelWorkspace
from tests.support.index_fixtures import LockProject
from tests.support.prerequisites import require

pytestmark = pytest.mark.bazel

SYSTEM_PYTHON = "/usr/bin/python3"

BUILD = """\
load("@rules_pyuv//py:defs.bzl", "py_binary")
load("@rules_pyuv//py:toolchains.bzl", "py_interpreter_toolchain")

HOST = ["@platforms//os:linux", "@platforms//cpu:{cpu}"]

py_interpreter_toolchain(
    name = "python",
    exec_compatible_with = HOST,
    interpreter_path = "{python}",
    python_version = "{toolchain_version}",
    target_compatible_with = HOST,
)

py_binary(
    name = "show",
    srcs = ["show.py"],
    deps = ["@pypi//splitpkg"],
)
"""

HUB = """
load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

uv_lock(name = "pypi", lockfile = "//:uv.lock", python_version = "{hub_version}")

load("@pypi//:repositories.bzl", "install_deps")

install_deps()

register_toolchains("//:python", "//:python_exec")
"""


def _release() -> str:
    out = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    release = _release()
    require(
        None
        if release.startswith("3.11.")
        else f"a CPython 3.11 at {SYSTEM_PYTHON}, found {release}"
    )
    base = tmp_path_factory.mktemp("full-version")
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        [
            "splitpkg==1.0.0; python_full_version < '3.11.5'",
            "splitpkg==2.0.0; python_full_version >= '3.11.5'",
        ]
    )
    assert "python_full_version < '3.11.5'" in lock.read_text()
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    ws.write("uv.lock", lock.read_text())
    ws.write("show.py", "import splitpkg\nprint(splitpkg.__version__)\n")
    ws.preamble = (ws.root / "WORKSPACE").read_text()
    ws.release = release
    try:
        yield ws
    finally:
        ws.close()


def _configure(ws, hub_version: str, toolchain_version: str) -> None:
    cpu = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine()]
    (ws.root / "WORKSPACE").write_text(ws.preamble + HUB.format(hub_version=hub_version))
    ws.write(
        "BUILD.bazel",
        BUILD.format(cpu=cpu, python=SYSTEM_PYTHON, toolchain_version=toolchain_version),
    )


def _expected(release: str) -> str:
    return "1.0.0" if int(release.split(".")[2]) < 5 else "2.0.0"


def test_a_minor_version_alone_fails_naming_the_marker_and_the_fix(ws):
    _configure(ws, "3.11", "3.11")
    proc = ws.run("build", "//:show", check=False)
    assert proc.returncode != 0
    assert (
        "splitpkg: the lock //:uv.lock chooses it by the exact CPython 3.11 release" in proc.stderr
    )
    assert "python_full_version < '3.11.5'" in proc.stderr
    assert 'Set python_version = "3.11.<patch>" on the hub' in proc.stderr


def test_the_full_release_picks_its_fork(ws):
    _configure(ws, ws.release, ws.release)
    assert ws.run("run", "//:show").stdout.split() == [_expected(ws.release)]


def test_an_interpreter_of_another_release_is_refused(ws):
    other = "3.11.9" if ws.release != "3.11.9" else "3.11.1"
    _configure(ws, other, ws.release)
    proc = ws.run("build", "//:show", check=False)
    assert proc.returncode != 0
    assert f"its packages were selected for CPython {other}" in proc.stderr
    assert f"the interpreter for this target platform is CPython {ws.release}" in proc.stderr


def test_an_interpreter_without_a_declared_release_is_refused(ws):
    _configure(ws, ws.release, "3.11")
    proc = ws.run("build", "//:show", check=False)
    assert proc.returncode != 0
    assert f"its packages were selected for CPython {ws.release}" in proc.stderr
    assert "declared only as CPython 3.11" in proc.stderr
