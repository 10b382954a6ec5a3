"""Overrides and git sources through the bzlmod front door, in the starlark-pyo3 harness.

The hub that uv.lock(extra_deps = ..., replace = ..., ...) makes equals the WORKSPACE
rule's; a git source of the lock becomes a uv_git_source repository (no sha256, the
commit pins it); only the root module may name its own targets; typos fail naming the
attribute and the package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.git_fixtures import make_recording_repo
from tests.support.index_fixtures import BUILD_GROUP
from tests.support.starlark_env import FakeModule, StarlarkEnv, StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]

TAG = {
    "name": "pypi",
    "lockfile": "//:uv.lock",
    "python_version": "3.11",
    "exclude_deps": {"markerpkg": ["Mixed.Case_Pkg"]},
    "extra_deps": {"PlatPkg": ["//shim", "mixed-case-pkg"]},
    "replace": {"purepkg": "//third_party/purepkg"},
    "sdist_build_env": {"gitpkg": ["PYUV_TEST_FLAVOR=spicy"]},
    "sdist_config_settings": {"gitpkg": ["--mode=fast"]},
    "no_build_packages": ["nativepkg"],
}


@pytest.fixture(scope="module")
def env():
    return StarlarkEnv(REPO_ROOT)


@pytest.fixture
def lock(lock_project, tmp_path):
    repo = tmp_path / "source repo"
    commit = make_recording_repo(repo)
    text = lock_project(
        [
            f"gitpkg @ git+{repo.as_uri()}@v1",
            "markerpkg[cli]==1.0.0",
            "nativepkg==1.0.0",
            "platpkg==1.0.0",
            "purepkg>=1.0",
        ],
        groups=BUILD_GROUP,
    ).read_text()
    return {"text": text, "commit": commit, "url": repo.as_uri()}


def _run_uv(env, modules, files):
    uv = env.load("@rules_pyuv//uv:extensions.bzl").uv
    return env.run_module_extension(uv, modules, files=files)


def test_bzlmod_hub_matches_the_workspace_rule_and_declares_git_sources(env, lock):
    files = {"//:uv.lock": lock["text"]}
    result = _run_uv(env, [FakeModule("app", is_root=True, tags={"lock": [TAG]})], files)
    (git,) = [r for r in result.repos if r.rule_name == "uv_git_source"]
    assert git.name == "pypi__gitpkg_1_2_0_tar_gz"
    assert git.attrs["git"] == f"{lock['url']}?rev=v1#{lock['commit']}"
    assert git.attrs["package"] == "gitpkg" and git.attrs["version"] == "1.2.0"
    # The replaced package's artifacts are still declared (lazily fetched) but unused.
    hub = result.repo("pypi")
    rule = env.load("//uv/private:hub_repo.bzl").uv_hub
    bzlmod_files = env.run_repository_rule(rule, name="pypi", attrs=hub.attrs, files=files)
    uv_lock = env.load("@rules_pyuv//uv:repositories.bzl").uv_lock
    attrs = {k: v for k, v in TAG.items() if k != "name"}
    workspace_files = env.run_repository_rule(uv_lock, name="pypi", attrs=attrs, files=files)
    for path in (
        "purepkg/BUILD.bazel",
        "platpkg/BUILD.bazel",
        "markerpkg/BUILD.bazel",
        "gitpkg/BUILD.bazel",
    ):
        assert bzlmod_files[path] == workspace_files[path], path
    assert 'actual = "@//third_party/purepkg"' in bzlmod_files["purepkg/BUILD.bazel"]
    assert 'actual = "@//shim"' in bzlmod_files["platpkg/BUILD.bazel"]
    assert "mixed_case_pkg" not in bzlmod_files["markerpkg/BUILD.bazel"]
    gitpkg = bzlmod_files["gitpkg/BUILD.bazel"]
    assert '"PYUV_TEST_FLAVOR": "spicy"' in gitpkg and '"--mode": ["fast"]' in gitpkg
    assert "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_GITPKG" in gitpkg
    # WORKSPACE users declare the same git source through install_deps().
    install = workspace_files["repositories.bzl"]
    assert '"kind": "git"' in install and lock["commit"] in install
    assert "refuses to build it from its sdist" in bzlmod_files["nativepkg/BUILD.bazel"]


def test_only_the_root_module_may_name_its_targets(env, lock):
    tag = {"name": "lib_pypi", "lockfile": "//:uv.lock", "replace": {"purepkg": "//x"}}
    modules = [FakeModule("app", is_root=True), FakeModule("lib", tags={"lock": [tag]})]
    with pytest.raises(
        StarlarkFail, match=r"of module lib replaces packages .* only the root module"
    ):
        _run_uv(env, modules, {"@lib//:uv.lock": lock["text"]})


def test_typos_fail_naming_the_attribute_and_the_package(env, lock):
    tag = {"name": "pypi", "lockfile": "//:uv.lock", "extra_deps": {"purepkgg": ["platpkg"]}}
    with pytest.raises(StarlarkFail, match=r'hub "pypi": extra_deps names package "purepkgg"'):
        _run_uv(
            env,
            [FakeModule("app", is_root=True, tags={"lock": [tag]})],
            {"//:uv.lock": lock["text"]},
        )
