"""Package patches through the bzlmod front door, in the starlark-pyo3 harness.

The hub that uv.lock(patches = ..., sdist_patches = ...) makes equals the WORKSPACE
rule's: the install and the sdist build of the patched packages get the patch labels,
made absolute (`@//...`, the main repository), and patch_strip. Bad input fails with
the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.index_fixtures import ALL_DEPENDENCIES, BUILD_GROUP
from tests.support.starlark_env import FakeModule, StarlarkEnv, StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]

TAG = {
    "name": "pypi",
    "lockfile": "//:uv.lock",
    "python_version": "3.11",
    "no_binary_packages": ["platpkg"],
    "patches": {"PurePkg": ["//patches:purepkg.patch", "@other//p:second.patch"]},
    "sdist_patches": {"platpkg": ["//patches:platpkg-src.patch"]},
    "patch_strip": 0,
}


@pytest.fixture(scope="module")
def env():
    return StarlarkEnv(REPO_ROOT)


@pytest.fixture
def lock_text(lock_project):
    return lock_project(ALL_DEPENDENCIES, groups=BUILD_GROUP).read_text()


def _run_uv(env, modules, files):
    uv = env.load("@rules_pyuv//uv:extensions.bzl").uv
    return env.run_module_extension(uv, modules, files=files)


def test_bzlmod_hub_passes_absolute_patch_labels_like_the_workspace_rule(env, lock_text):
    files = {"//:uv.lock": lock_text}
    result = _run_uv(env, [FakeModule("app", is_root=True, tags={"lock": [TAG]})], files)
    hub = result.repo("pypi")
    rule = env.load("//uv/private:hub_repo.bzl").uv_hub
    bzlmod_files = env.run_repository_rule(rule, name="pypi", attrs=hub.attrs, files=files)
    uv_lock = env.load("@rules_pyuv//uv:repositories.bzl").uv_lock
    attrs = {k: v for k, v in TAG.items() if k != "name"}
    workspace_files = env.run_repository_rule(uv_lock, name="pypi", attrs=attrs, files=files)

    purepkg = bzlmod_files["purepkg/BUILD.bazel"]
    assert purepkg == workspace_files["purepkg/BUILD.bazel"]
    assert '"@//patches:purepkg.patch",' in purepkg
    assert '"@other//p:second.patch",' in purepkg
    assert "patch_strip = 0," in purepkg
    platpkg = bzlmod_files["platpkg/BUILD.bazel"]
    assert platpkg == workspace_files["platpkg/BUILD.bazel"]
    build = platpkg[platpkg.index("sdist_build(") :]
    assert 'patches = ["@//patches:platpkg-src.patch"],' in build
    # The install of platpkg's built wheel gets no post-install patch.
    install = platpkg[platpkg.index("uv_package(") : platpkg.index("sdist_build(")]
    assert "patches" not in install
    # Unpatched packages are untouched.
    assert "patch" not in bzlmod_files["markerpkg/BUILD.bazel"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"patches": {"nosuch": ["//p:x.patch"]}},
            r'hub "pypi": patches names package "nosuch", which the lock does not hold',
        ),
        (
            {"sdist_patches": {"platpkg": ["x.patch"]}},
            r'sdist_patches of package platpkg: "x.patch" is not an absolute label',
        ),
        ({"patch_strip": -1}, r'hub "pypi": patch_strip must be 0 or more'),
    ],
)
def test_bad_patch_attributes_fail_with_the_fix(env, lock_text, change, message):
    tag = dict(TAG, **change)
    with pytest.raises(StarlarkFail, match=message):
        _run_uv(
            env, [FakeModule("app", is_root=True, tags={"lock": [tag]})], {"//:uv.lock": lock_text}
        )


def test_only_the_root_module_may_patch(env, lock_text):
    modules = [
        FakeModule(
            "app", is_root=True, tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock"}]}
        ),
        FakeModule("lib", version="1.0", tags={"lock": [dict(TAG, name="lib_pypi")]}),
    ]
    files = {"//:uv.lock": lock_text, "@lib//:uv.lock": lock_text}
    with pytest.raises(StarlarkFail, match=r"module lib has patches; only the root module"):
        _run_uv(env, modules, files)
