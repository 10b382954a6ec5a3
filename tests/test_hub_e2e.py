"""uv_lock (WORKSPACE) end to end: a real lock, real Bazel 4.2.3, per-platform selection.

The lock is made at test time by real `uv lock` against the local index (pure wheels,
manylinux/musllinux/macOS/Windows wheels, an sdist-only C extension, a package forked by
platform_machine, a marker-only dependency and an extra). For several target platforms
the test asks Bazel which file each hub label resolves to.
"""

from __future__ import annotations

import re

import pytest

from tests.support.bazel import BazelWorkspace
from tests.support.index_fixtures import (
    ALL_DEPENDENCIES,
    AUTH_PASSWORD,
    AUTH_USERNAME,
    BUILD_GROUP,
    LockProject,
)

pytestmark = pytest.mark.bazel

PLATFORMS_BUILD = """\
load("@rules_pyuv//py:toolchains.bzl", "py_interpreter_toolchain")

package(default_visibility = ["//visibility:public"])

[platform(
    name = name,
    constraint_values = constraints,
) for name, constraints in [
    ("linux_x86_64", ["@platforms//os:linux", "@platforms//cpu:x86_64"]),
    ("linux_aarch64", ["@platforms//os:linux", "@platforms//cpu:aarch64"]),
    ("linux_x86_64_musl", [
        "@platforms//os:linux",
        "@platforms//cpu:x86_64",
        "@rules_pyuv//uv/constraints:musl",
    ]),
    ("linux_aarch64_musl", [
        "@platforms//os:linux",
        "@platforms//cpu:aarch64",
        "@rules_pyuv//uv/constraints:musl",
    ]),
    ("linux_x86_64_glibc_2_17", [
        "@platforms//os:linux",
        "@platforms//cpu:x86_64",
        "@rules_pyuv//uv/constraints:glibc_2_17",
    ]),
    ("macos_aarch64", ["@platforms//os:macos", "@platforms//cpu:aarch64"]),
    ("windows_x86_64", ["@platforms//os:windows", "@platforms//cpu:x86_64"]),
    ("freebsd_x86_64", ["@platforms//os:freebsd", "@platforms//cpu:x86_64"]),
]]

# Execution platforms and interpreters for both Linux architectures, as a cross or
# remote setup has them, so sdist builds for either can be analyzed.
[platform(
    name = "exec_linux_" + cpu,
    constraint_values = ["@platforms//os:linux", "@platforms//cpu:" + cpu],
    exec_properties = {"Arch": cpu},
) for cpu in ["x86_64", "aarch64"]]

[py_interpreter_toolchain(
    name = "python_linux_" + cpu,
    exec_compatible_with = ["@platforms//os:linux", "@platforms//cpu:" + cpu],
    interpreter_path = "/usr/bin/python3",
    python_version = "3.11",
    target_compatible_with = ["@platforms//os:linux", "@platforms//cpu:" + cpu],
) for cpu in ["x86_64", "aarch64"]]
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    """One workspace (and Bazel server) for the module, with hub @pypi from a real lock."""
    base = tmp_path_factory.mktemp("hub")
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        [*ALL_DEPENDENCIES, "winonly==1.0.0", "cyca==1.0.0"], groups=BUILD_GROUP
    )
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    ws.write("uv.lock", lock.read_text())
    ws.write("platforms/BUILD.bazel", PLATFORMS_BUILD)
    ws.append(
        "WORKSPACE",
        """
        load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

        uv_lock(
            name = "pypi",
            lockfile = "//:uv.lock",
            python_version = "3.11",
        )

        load("@pypi//:repositories.bzl", "install_deps")

        install_deps()

        uv_lock(
            name = "pypi_linux",
            lockfile = "//:uv.lock",
            python_version = "3.11",
            python_versions = ["3.11"],
            platforms = ["linux_x86_64", "linux_aarch64"],
        )

        load("@pypi_linux//:repositories.bzl", install_linux = "install_deps")

        install_linux()

        register_toolchains("//platforms:all")

        register_execution_platforms(
            "//platforms:exec_linux_x86_64",
            "//platforms:exec_linux_aarch64",
        )
        """,
    )
    yield ws
    ws.close()


def _small_workspace(base, bazel_caches, lock_text: str) -> BazelWorkspace:
    """A workspace with hub @pypi from lock_text (no execution platforms besides the host)."""
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    ws.write("uv.lock", lock_text)
    ws.write("platforms/BUILD.bazel", PLATFORMS_BUILD)
    ws.append(
        "WORKSPACE",
        """
        load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

        uv_lock(name = "pypi", lockfile = "//:uv.lock", python_version = "3.11")

        load("@pypi//:repositories.bzl", "install_deps")

        install_deps()

        register_toolchains("//platforms:all")
        """,
    )
    return ws


def built_files(ws: BazelWorkspace, label: str, *flags: str) -> list[str]:
    """Builds label and returns the base names of its files (its DefaultInfo)."""
    ws.run("build", label, *flags)
    proc = ws.run(
        "cquery",
        label,
        "--output=starlark",
        "--starlark:expr=' '.join([f.basename for f in target.files.to_list()])",
        *flags,
    )
    return sorted(proc.stdout.split())


def resolved(ws: BazelWorkspace, label: str, platform: str, *flags: str) -> list[str]:
    """The labels a hub alias resolves to (direct deps in the configured graph)."""
    proc = ws.run(
        "cquery",
        f"deps({label}, 1)",
        f"--platforms=//platforms:{platform}",
        "--output=label",
        *flags,
    )
    return sorted(re.sub(r" \(.*\)$", "", line) for line in proc.stdout.splitlines() if line)


@pytest.mark.parametrize(
    ("platform", "wheel"),
    [
        (
            "linux_x86_64",
            "platpkg-1.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ),
        (
            "linux_aarch64",
            "platpkg-1.0.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        ),
        (
            "linux_x86_64_glibc_2_17",
            "platpkg-1.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ),
        ("linux_x86_64_musl", "platpkg-1.0.0-cp311-cp311-musllinux_1_2_x86_64.whl"),
        ("macos_aarch64", "platpkg-1.0.0-cp311-cp311-macosx_11_0_arm64.whl"),
        ("windows_x86_64", "platpkg-1.0.0-cp311-cp311-win_amd64.whl"),
    ],
)
def test_platform_wheel_is_selected_per_target(hub, platform, wheel):
    assert built_files(hub, "@pypi//platpkg:whl", f"--platforms=//platforms:{platform}") == [wheel]


def test_no_matching_wheel_falls_back_to_the_sdist_build(hub):
    # No musllinux aarch64 wheel: the sdist is built (on a machine matching the target).
    assert "@pypi//platpkg:_build_1_0_0" in resolved(
        hub, "@pypi//platpkg:whl", "linux_aarch64_musl"
    )
    # A Python the wheels were not built for.
    deps = resolved(hub, "@pypi//platpkg:whl", "linux_x86_64", "--@pypi//:python_version=3.12")
    assert "@pypi//platpkg:_build_1_0_0" in deps
    # An sdist-only package always builds.
    assert "@pypi//nativepkg:_build_1_0_0" in resolved(hub, "@pypi//nativepkg:whl", "linux_x86_64")


def test_versions_forked_by_platform_machine(hub):
    assert built_files(hub, "@pypi//splitpkg:whl", "--platforms=//platforms:linux_x86_64") == [
        "splitpkg-1.0.0-py3-none-any.whl"
    ]
    assert built_files(hub, "@pypi//splitpkg:whl", "--platforms=//platforms:linux_aarch64") == [
        "splitpkg-2.0.0-py3-none-any.whl"
    ]


def test_marker_only_dependency_and_extra(hub):
    linux = built_files(hub, "@pypi//markerpkg", "--platforms=//platforms:linux_x86_64")
    windows = built_files(hub, "@pypi//markerpkg", "--platforms=//platforms:windows_x86_64")
    assert sorted(linux) == ["markerpkg-1.0.0-py3-none-any.whl", "purepkg-1.0.0-py3-none-any.whl"]
    assert windows == ["markerpkg-1.0.0-py3-none-any.whl"]
    extra = built_files(hub, "@pypi//markerpkg:extra_cli", "--platforms=//platforms:windows_x86_64")
    assert sorted(extra) == [
        "markerpkg-1.0.0-py3-none-any.whl",
        "mixed_case_pkg-0.1.0-py3-none-any.whl",
    ]


def test_packages_that_depend_on_each_other(hub):
    # uv locks a dependency cycle; Bazel would reject it as a target cycle, so the hub
    # splits it, and each package still brings the whole group.
    expected = ["cyca-1.0.0-py3-none-any.whl", "cycb-1.0.0-py3-none-any.whl"]
    for label in ("@pypi//cyca", "@pypi//cycb"):
        assert built_files(hub, label, "--platforms=//platforms:linux_x86_64") == expected
    hub.write(
        "cyc/BUILD.bazel",
        """\
        load("@rules_pyuv//py:defs.bzl", "py_binary")

        py_binary(name = "both", srcs = ["both.py"], deps = ["@pypi//cyca"])
        """,
    )
    hub.write("cyc/both.py", "import cyca, cycb\nprint(cyca.hello(), '|', cycb.hello())\n")
    out = hub.run("run", "//cyc:both").stdout.strip()
    assert out == "cyca 1.0.0 py3-none-any | cycb 1.0.0 py3-none-any"


def test_package_without_a_usable_artifact_fails_clearly(hub):
    proc = hub.run(
        "build", "@pypi//winonly:whl", "--platforms=//platforms:linux_x86_64", check=False
    )
    assert proc.returncode != 0
    err = proc.stderr
    assert "winonly 1.0.0 from //:uv.lock cannot be used on linux_x86_64" in err, err
    assert "no wheel fits and there is no sdist" in err
    assert "winonly-1.0.0-cp311-cp311-win_amd64.whl" in err


def test_unknown_platform_gets_a_clear_error(hub):
    # A package with no sdist has nothing to offer a platform outside the hub's list.
    proc = hub.run(
        "build", "@pypi//winonly:whl", "--platforms=//platforms:freebsd_x86_64", check=False
    )
    assert proc.returncode != 0
    assert "@pypi//winonly:whl has no variant for this target platform" in proc.stderr


def test_a_hub_that_declares_platforms_selects_as_the_full_one_on_them(hub):
    def chosen(label, platform):
        # The select's config_settings are deps too; the artifact is what was chosen.
        return [t for t in resolved(hub, label, platform) if "//_envs:" not in t and t != label]

    for platform in ("linux_x86_64", "linux_aarch64", "linux_x86_64_musl"):
        full = chosen("@pypi//platpkg:whl", platform)
        linux = chosen("@pypi_linux//platpkg:whl", platform)
        assert len(full) == 1 and [t.replace("pypi_linux", "pypi") for t in linux] == full


@pytest.mark.parametrize("label", ["@pypi_linux//platpkg", "@pypi_linux//purepkg"])
def test_a_platform_the_hub_does_not_declare_fails_naming_it(hub, label):
    # Even a pure package, whose wheel fits everywhere, refuses an undeclared platform.
    proc = hub.run(
        "build", "--nobuild", label, "--platforms=//platforms:macos_aarch64", check=False
    )
    assert proc.returncode != 0
    err = proc.stderr
    assert "hub @pypi_linux does not plan the target platform macos_aarch64" in err, err
    assert "lists linux_x86_64, linux_aarch64" in err
    assert 'Add "macos_aarch64" to `platforms` of hub "pypi_linux"' in err


def test_an_unknown_platform_fails_naming_the_declared_ones(hub):
    proc = hub.run(
        "build",
        "--nobuild",
        "@pypi_linux//purepkg",
        "--platforms=//platforms:freebsd_x86_64",
        check=False,
    )
    assert proc.returncode != 0
    assert "hub @pypi_linux plans CPython 3.11" in proc.stderr, proc.stderr
    assert "on linux_x86_64, linux_aarch64 (its `platforms` attribute)" in proc.stderr


def test_a_python_version_the_hub_does_not_declare_is_refused(hub):
    proc = hub.run(
        "build",
        "--nobuild",
        "@pypi_linux//purepkg",
        "--platforms=//platforms:linux_x86_64",
        "--@pypi_linux//:python_version=3.12",
        check=False,
    )
    assert proc.returncode != 0
    assert "choose one of 3.11" in proc.stderr, proc.stderr


def test_building_for_aarch64_fetches_no_x86_64_file(
    tmp_path_factory, bazel_caches, package_index, uv_cache_dir
):
    base = tmp_path_factory.mktemp("lazy")
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        ALL_DEPENDENCIES, groups=BUILD_GROUP
    )
    # A separate repository cache, so nothing fetched earlier can hide a fetch.
    ws = _small_workspace(base, bazel_caches, lock.read_text())
    try:
        ws.run(
            "build",
            "@pypi//platpkg:whl",
            "@pypi//splitpkg:whl",
            "@pypi//markerpkg",
            "--platforms=//platforms:linux_aarch64",
            f"--repository_cache={base / 'repo-cache'}",
        )
        external = {p.name for p in (ws.output_base / "external").iterdir()}
        fetched = sorted(e for e in external if e.startswith("pypi__"))
        assert any("aarch64" in e for e in fetched), fetched
        assert not [e for e in fetched if "x86_64" in e], fetched
        assert not [e for e in fetched if "splitpkg_1_0_0" in e], fetched
        assert not [e for e in fetched if e.endswith("_tar_gz")], fetched
    finally:
        ws.close()


def test_private_index_credentials_come_from_netrc_only(
    tmp_path_factory, bazel_caches, auth_package_index, uv_cache_dir
):
    base = tmp_path_factory.mktemp("auth")
    lock = LockProject(
        base_dir=base / "projects", index=auth_package_index, cache_dir=uv_cache_dir
    )(["purepkg>=1.0"], index_url=auth_package_index.url_with_credentials())
    assert AUTH_PASSWORD not in lock.read_text()
    ws = _small_workspace(base, bazel_caches, lock.read_text())
    try:
        # A fresh repository cache, so no earlier download can stand in for this one.
        fresh = [f"--repository_cache={base / 'repo-cache'}", "--repo_env=HOME=" + str(base)]
        seen = len(auth_package_index.requests)
        denied = ws.run("build", "@pypi//purepkg:whl", *fresh, check=False)
        assert denied.returncode != 0
        # Denied by the index (401, no credentials sent), not any other download error.
        wheel_requests = [
            (method, status)
            for method, path, status in auth_package_index.requests[seen:]
            if path.endswith("/purepkg-1.0.0-py3-none-any.whl")
        ]
        assert wheel_requests and set(wheel_requests) == {("GET", 401)}, wheel_requests
        assert "401 Unauthorized" in denied.stderr, denied.stderr
        assert "could not fetch purepkg-1.0.0-py3-none-any.whl (purepkg 1.0.0" in denied.stderr
        assert "put its credentials in ~/.netrc (or $NETRC)" in denied.stderr

        netrc = base / "netrc"
        netrc.write_text(f"machine 127.0.0.1 login {AUTH_USERNAME} password {AUTH_PASSWORD}\n")
        ws.run("build", "@pypi//purepkg:whl", *fresh, f"--repo_env=NETRC={netrc}")
        downloaded = [p for p in (ws.output_base / "external").glob("pypi__purepkg*/*.whl")]
        assert [p.name for p in downloaded] == ["purepkg-1.0.0-py3-none-any.whl"]
        # No generated file holds the credentials.
        for path in (ws.output_base / "external").rglob("*"):
            if path.is_file() and path.suffix in (".bzl", ".bazel", ""):
                assert AUTH_PASSWORD.encode() not in path.read_bytes(), path
    finally:
        ws.close()


def test_hash_mismatch_names_the_package_and_the_file(
    tmp_path_factory, bazel_caches, package_index, uv_cache_dir
):
    base = tmp_path_factory.mktemp("badhash")
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        ["purepkg>=1.0"]
    )
    text = lock.read_text()
    good = re.search(r'purepkg-1.0.0-py3-none-any.whl", hash = "sha256:([0-9a-f]{64})"', text)
    assert good, text
    ws = _small_workspace(base, bazel_caches, text.replace(good.group(1), "0" * 64))
    try:
        proc = ws.run(
            "build", "@pypi//purepkg:whl", f"--repository_cache={base / 'repo-cache'}", check=False
        )
        assert proc.returncode != 0
        err = proc.stderr
        assert (
            "could not fetch purepkg-1.0.0-py3-none-any.whl (purepkg 1.0.0, from //:uv.lock)" in err
        )
        assert f"with the lock's sha256 {'0' * 64}" in err
        assert "uv lock --refresh-package purepkg" in err
        # Nothing half-written: the repository was not created.
        assert not list((ws.output_base / "external").glob("pypi__purepkg*/*.whl"))
    finally:
        ws.close()
