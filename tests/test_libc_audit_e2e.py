"""The libc audit in real Bazel 4.2.3, on a lock made by real `uv lock`.

The test compiles a shared object with gcc that calls pthread_create, which this
machine's glibc (2.34 or newer) versions GLIBC_2.34, and ships it in a wheel tagged
manylinux_2_17: the tag understates what the file needs. Served by a local index and
locked with uv, the wheel fails the install action for a target of the default glibc
(2.28), naming the package, the file, the version needed and the fix, and installs for a
target platform whose glibc constraint is raised to 2.36.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.bazel import BazelWorkspace, hub_workspace
from tests.support.pkgbuild import build_wheel
from tests.support.pyindex import PackageIndex
from tests.support.uvlock import make_project, uv_lock

pytestmark = pytest.mark.bazel

HOST = os.uname().machine
SYSTEM_PY = subprocess.run(
    ["/usr/bin/python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
    capture_output=True,
    text=True,
    check=True,
).stdout.strip()
CP = "cp" + SYSTEM_PY.replace(".", "")

SOURCE = """\
#include <pthread.h>
static void *run(void *arg) { return arg; }
int start(void) {
    pthread_t t;
    return pthread_create(&t, 0, run, 0);
}
"""

PLATFORMS_BUILD = """\
package(default_visibility = ["//visibility:public"])

platform(
    name = "default_glibc",
    constraint_values = ["@platforms//os:linux", "@platforms//cpu:{cpu}"],
)

platform(
    name = "glibc_2_36",
    constraint_values = [
        "@platforms//os:linux",
        "@platforms//cpu:{cpu}",
        "@rules_pyuv//uv/constraints:glibc_2_36",
    ],
)
"""

WORKSPACE_TAIL = hub_workspace(
    """

uv_lock(
    name = "pypi",
    lockfile = "//:uv.lock",
    python_version = "{py}",
)

"""
)


@pytest.fixture(scope="module")
def natpkg_wheel(tmp_path_factory):
    if not shutil.which("gcc"):
        pytest.fail("gcc is needed to build the test's shared object (apt-get install gcc)")
    base = tmp_path_factory.mktemp("natpkg")
    (base / "new.c").write_text(SOURCE)
    so = base / "_new.so"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O1", "-o", str(so), str(base / "new.c")], check=True
    )
    needs = subprocess.run(["objdump", "-T", str(so)], capture_output=True, text=True).stdout
    assert "GLIBC_2.34" in needs, "this machine's glibc is older than 2.34: " + needs
    return build_wheel(
        base / "dist",
        "natpkg",
        "1.0",
        tag=f"{CP}-{CP}-manylinux_2_17_{HOST}",
        files={"natpkg/_new.so": so.read_bytes()},
    )


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, natpkg_wheel, uv_cache_dir):
    base = tmp_path_factory.mktemp("libc-audit")
    # Up for the whole module: Bazel fetches the wheel from it.
    index = PackageIndex([natpkg_wheel]).start()
    workspace = None
    try:
        project = base / "project"
        make_project(project, "app", ["natpkg==1.0"], requires_python=f">={SYSTEM_PY}")
        lock = uv_lock(project, index.url, cache_dir=uv_cache_dir)
        workspace = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
        workspace.write("uv.lock", lock.read_text())
        workspace.write("platforms/BUILD.bazel", PLATFORMS_BUILD.replace("{cpu}", HOST))
        workspace.append("WORKSPACE", WORKSPACE_TAIL.replace("{py}", SYSTEM_PY))
        yield workspace
    finally:
        if workspace is not None:
            workspace.close()
        index.stop()


def test_a_wheel_needing_a_newer_glibc_than_the_target_fails_its_install(ws):
    proc = ws.run(
        "build",
        "@pypi//natpkg",
        "--output_groups=installed",
        "--platforms=//platforms:default_glibc",
        check=False,
    )
    assert proc.returncode != 0
    err = proc.stderr
    assert f"libc audit: 1 file(s) will not load on the target linux {HOST} glibc 2.28" in err, err
    wheel = f"natpkg-1.0-{CP}-{CP}-manylinux_2_17_{HOST}.whl"
    assert f"package natpkg ({wheel}): natpkg/_new.so needs GLIBC_2.34" in err
    assert "pthread_create" in err
    assert "but the target has glibc 2.28" in err
    assert "@rules_pyuv//uv/constraints:glibc_2_34" in err  # the fix


def test_the_same_wheel_installs_for_a_target_with_a_newer_glibc(ws):
    ws.run(
        "build",
        "@pypi//natpkg",
        "--output_groups=installed",
        "--platforms=//platforms:glibc_2_36",
    )
    site = ws.bin_path("external/pypi/natpkg/natpkg_site")
    assert (site / "site-packages/natpkg/_new.so").is_file()
