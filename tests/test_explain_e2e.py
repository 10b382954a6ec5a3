"""`bazel run @pypi//:explain --platforms=...` with real Bazel 4.2.3 on a real lock.

Per target platform the listing names the wheel chosen (the manylinux, musllinux or
macOS wheel of platpkg), the sdist to build and the execution platform it needs
(nativepkg), and why nothing fits (winonly off Windows). It runs without fetching any
artifact: the plan was rendered when the hub was made.
"""

from __future__ import annotations

import pytest

from tests.support.bazel import BazelWorkspace
from tests.support.index_fixtures import ALL_DEPENDENCIES, BUILD_GROUP, LockProject

pytestmark = pytest.mark.bazel

PLATFORMS_BUILD = """\
package(default_visibility = ["//visibility:public"])

[platform(
    name = name,
    constraint_values = constraints,
) for name, constraints in [
    ("linux_x86_64", ["@platforms//os:linux", "@platforms//cpu:x86_64"]),
    ("linux_aarch64_musl", [
        "@platforms//os:linux",
        "@platforms//cpu:aarch64",
        "@rules_pyuv//uv/constraints:musl",
    ]),
    ("linux_x86_64_musl", [
        "@platforms//os:linux",
        "@platforms//cpu:x86_64",
        "@rules_pyuv//uv/constraints:musl",
    ]),
    ("macos_aarch64", ["@platforms//os:macos", "@platforms//cpu:aarch64"]),
    ("windows_x86_64", ["@platforms//os:windows", "@platforms//cpu:x86_64"]),
    ("freebsd_x86_64", ["@platforms//os:freebsd", "@platforms//cpu:x86_64"]),
]]
"""

WORKSPACE_TAIL = """
load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

uv_lock(
    name = "pypi",
    lockfile = "//:uv.lock",
    python_version = "3.11",
)

load("@pypi//:repositories.bzl", "install_deps")

install_deps()
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("explain")
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        [*ALL_DEPENDENCIES, "winonly==1.0.0"], groups=BUILD_GROUP
    )
    workspace = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    workspace.write("uv.lock", lock.read_text())
    workspace.write("platforms/BUILD.bazel", PLATFORMS_BUILD)
    workspace.append("WORKSPACE", WORKSPACE_TAIL)
    yield workspace
    workspace.close()


def _explain(ws, platform, *flags):
    proc = ws.run("run", "@pypi//:explain", f"--platforms=//platforms:{platform}", *flags)
    return {line.split(":", 1)[0]: line for line in proc.stdout.splitlines() if line}, proc


def test_linux_glibc_lists_wheels_builds_and_what_does_not_fit(ws):
    lines, proc = _explain(ws, "linux_x86_64")
    assert (
        "target environment: cp311_linux_x86_64_glibc_2_28 (CPython 3.11, linux x86_64 glibc 2.28)"
        in proc.stdout
    )
    assert lines["purepkg 1.0.0"] == "purepkg 1.0.0: wheel purepkg-1.0.0-py3-none-any.whl"
    assert lines["platpkg 1.0.0"] == (
        "platpkg 1.0.0: wheel "
        "platpkg-1.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    assert lines["nativepkg 1.0.0"] == (
        "nativepkg 1.0.0: built from sdist nativepkg-1.0.0.tar.gz (sdist_build), on an "
        "execution platform with @platforms//os:linux and @platforms//cpu:x86_64 and a "
        "CPython 3.11 interpreter toolchain"
    )
    assert lines["splitpkg 1.0.0"] == "splitpkg 1.0.0: wheel splitpkg-1.0.0-py3-none-any.whl"
    winonly = lines["winonly"]
    assert winonly.startswith("winonly: nothing fits: winonly 1.0.0"), winonly
    assert "winonly-1.0.0-cp311-cp311-win_amd64.whl" in winonly
    # Nothing was downloaded to say so.
    assert not list((ws.output_base / "external").glob("pypi__*"))


def test_other_platforms_get_their_own_listing(ws):
    lines, _ = _explain(ws, "linux_x86_64_musl")
    assert lines["platpkg 1.0.0"].endswith("platpkg-1.0.0-cp311-cp311-musllinux_1_2_x86_64.whl")
    lines, proc = _explain(ws, "linux_aarch64_musl")
    assert "linux aarch64 musl 1.2" in proc.stdout
    # No musllinux aarch64 wheel: platpkg's pure sdist is built on an aarch64 machine.
    assert "@platforms//cpu:aarch64" in lines["platpkg 1.0.0"]
    assert lines["splitpkg 2.0.0"] == "splitpkg 2.0.0: wheel splitpkg-2.0.0-py3-none-any.whl"
    lines, _ = _explain(ws, "windows_x86_64")
    assert lines["winonly 1.0.0"] == "winonly 1.0.0: wheel winonly-1.0.0-cp311-cp311-win_amd64.whl"
    lines, _ = _explain(ws, "macos_aarch64", "--@pypi//:python_version=3.11")
    assert lines["platpkg 1.0.0"].endswith("platpkg-1.0.0-cp311-cp311-macosx_11_0_arm64.whl")


def test_a_platform_the_hub_does_not_know_fails_naming_the_choices(ws):
    proc = ws.run("run", "@pypi//:explain", "--platforms=//platforms:freebsd_x86_64", check=False)
    assert proc.returncode != 0
    assert "hub @pypi has no environment for this target platform" in proc.stderr, proc.stderr
