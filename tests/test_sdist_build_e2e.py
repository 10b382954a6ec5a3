"""sdist_build end to end with real Bazel 4.2.3 and a real lock.

- a C-extension sdist-only package builds for the host and its module imports;
- the same sdist gives a byte-identical wheel in two output bases;
- one build for x86_64 and aarch64 (split transition) runs two PySdistBuild spawns
  carrying each platform's exec_properties: a pure sdist builds for both, and the
  C-extension build for the other architecture, run on this machine, is stopped by the
  wheel guard.

The host's machine and Python version are read from the machine, not assumed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import zipfile

import pytest

from tests.support.bazel import HOST_PYTHON, BazelWorkspace, read_execution_log, spawn_properties
from tests.support.index_fixtures import ALL_DEPENDENCIES, BUILD_GROUP, LockProject

pytestmark = pytest.mark.bazel

# Bazel's cpu constraint names for Linux machines are `uname -m`'s.
HOST = os.uname().machine
OTHER = {"x86_64": "aarch64", "aarch64": "x86_64"}[HOST]
PY = HOST_PYTHON
CP = "cp" + PY.replace(".", "")

PLATFORMS_BUILD = """\
load("@rules_pyuv//py:image.bzl", "multi_platform_files")
load("@rules_pyuv//py:toolchains.bzl", "py_interpreter_toolchain")

package(default_visibility = ["//visibility:public"])

[platform(
    name = "linux_" + cpu,
    constraint_values = ["@platforms//os:linux", "@platforms//cpu:" + cpu],
    exec_properties = {"Arch": cpu, "OSFamily": "Linux"},
) for cpu in ["x86_64", "aarch64"]]

# The interpreter each kind of machine has pre-installed.
[py_interpreter_toolchain(
    name = "python_linux_" + cpu,
    exec_compatible_with = ["@platforms//os:linux", "@platforms//cpu:" + cpu],
    interpreter_path = "/usr/bin/python3",
    python_version = "{py}",
    target_compatible_with = ["@platforms//os:linux", "@platforms//cpu:" + cpu],
) for cpu in ["x86_64", "aarch64"]]

multi_platform_files(
    name = "pure_both",
    platforms = [":linux_x86_64", ":linux_aarch64"],
    srcs = ["@pypi//platpkg:whl"],
)

multi_platform_files(
    name = "native_both",
    platforms = [":linux_x86_64", ":linux_aarch64"],
    srcs = ["@pypi//nativepkg:whl"],
)
"""

WORKSPACE_TAIL = """
load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

uv_lock(
    name = "pypi",
    lockfile = "//:uv.lock",
    # platpkg's sdist is pure Python: force it to build everywhere.
    no_binary_packages = ["platpkg"],
    python_version = "{py}",
)

load("@pypi//:repositories.bzl", "install_deps")

install_deps()

register_toolchains("//platforms:all")

register_execution_platforms("//platforms:linux_x86_64", "//platforms:linux_aarch64")
"""


def _workspace(base, bazel_caches, lock_text) -> BazelWorkspace:
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    ws.write("uv.lock", lock_text)
    ws.write("platforms/BUILD.bazel", PLATFORMS_BUILD.replace("{py}", PY))
    ws.append("WORKSPACE", WORKSPACE_TAIL.replace("{py}", PY))
    return ws


@pytest.fixture(scope="module")
def lock_text(tmp_path_factory, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("sdist-lock")
    lock = LockProject(base_dir=base, index=package_index, cache_dir=uv_cache_dir)(
        ALL_DEPENDENCIES, groups=BUILD_GROUP
    )
    return lock.read_text()


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, lock_text):
    workspace = _workspace(tmp_path_factory.mktemp("sdist"), bazel_caches, lock_text)
    yield workspace
    workspace.close()


def _built_wheel(ws, *flags) -> list:
    ws.run("build", "@pypi//nativepkg:whl", f"--platforms=//platforms:linux_{HOST}", *flags)
    return sorted(ws.bin_path("external/pypi/nativepkg").glob("_build_1_0_0/*.whl"))


def test_c_extension_sdist_builds_for_the_host_and_imports(ws, tmp_path):
    (wheel,) = _built_wheel(ws)
    assert wheel.name == f"nativepkg-1.0.0-{CP}-{CP}-linux_{HOST}.whl"
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    out = subprocess.run(
        [
            "/usr/bin/python3",
            "-c",
            "import nativepkg; print(nativepkg.add(2, 3), nativepkg.machine())",
        ],
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["5", HOST]
    # No absolute path of the build's temporary tree or the output base ends up inside.
    blob = b"".join(zipfile.ZipFile(wheel).read(n) for n in zipfile.ZipFile(wheel).namelist())
    assert b"pyuv-sdist-" not in blob
    assert str(ws.output_base).encode() not in blob


def test_same_sdist_gives_the_same_wheel_in_another_output_base(
    ws, tmp_path_factory, bazel_caches, lock_text, tmp_path
):
    (first,) = _built_wheel(ws)
    other = _workspace(tmp_path_factory.mktemp("sdist-again"), bazel_caches, lock_text)
    try:
        # No disk cache: the action must really run again, as its execution log shows.
        log = tmp_path / "again.json"
        (second,) = _built_wheel(other, "--disk_cache=", f"--execution_log_json_file={log}")
        builds = [s for s in read_execution_log(log) if s.get("mnemonic") == "PySdistBuild"]
        assert [(s["remoteCacheHit"], s.get("exitCode", 0)) for s in builds] == [(False, 0)], builds
        assert "cache" not in builds[0]["runner"], builds[0]["runner"]
        assert first.name == second.name
        assert (
            hashlib.sha256(first.read_bytes()).hexdigest()
            == hashlib.sha256(second.read_bytes()).hexdigest()
        )
    finally:
        other.close()


def _sdist_spawns(ws, target, log, *flags):
    proc = ws.run(
        "build", target, f"--execution_log_json_file={log}", "--disk_cache=", *flags, check=False
    )
    spawns = [s for s in read_execution_log(log) if s.get("mnemonic") == "PySdistBuild"]
    return proc, spawns


def test_pure_sdist_builds_for_both_platforms_on_matching_exec_platforms(ws, tmp_path):
    proc, spawns = _sdist_spawns(ws, "//platforms:pure_both", tmp_path / "pure.json")
    assert proc.returncode == 0, proc.stderr
    archs = sorted(spawn_properties(s)["Arch"] for s in spawns)
    assert archs == sorted([HOST, OTHER])
    for spawn in spawns:
        outputs = [o["path"] for o in spawn.get("actualOutputs", [])]
        assert any(p.endswith("platpkg-1.0.0-py3-none-any.whl") for p in outputs), outputs


def test_native_sdist_for_the_other_arch_built_here_is_stopped_by_the_guard(ws, tmp_path):
    proc, spawns = _sdist_spawns(
        ws, "//platforms:native_both", tmp_path / "native.json", "--keep_going"
    )
    assert proc.returncode != 0
    assert sorted(spawn_properties(s)["Arch"] for s in spawns) == sorted([HOST, OTHER])
    err = proc.stderr
    assert (
        f"Building wheel of nativepkg 1.0.0 for linux_{OTHER} (CPython {PY}) from its sdist" in err
    )
    wheel = f"nativepkg-1.0.0-{CP}-{CP}-linux_{HOST}.whl"
    assert f"the built wheel {wheel} does not run on the target linux_{OTHER}" in err
    assert f"ran on a linux {HOST} machine" in err
