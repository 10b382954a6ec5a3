"""The bzlmod front doors, evaluated in a real Starlark interpreter.

Modern Bazel cannot run here, so the real `.bzl` files of the `uv` and `python` module
extensions run in starlark-pyo3 against a recording module_ctx. The hub they produce is
compared with what the WORKSPACE rule (run the same way) writes for the same lock.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.index_fixtures import (
    ALL_DEPENDENCIES,
    AUTH_PASSWORD,
    AUTH_USERNAME,
    BUILD_GROUP,
)
from tests.support.starlark_env import BazelError, FakeModule, StarlarkEnv, StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def env():
    return StarlarkEnv(REPO_ROOT)


@pytest.fixture
def lock_text(lock_project):
    return lock_project(ALL_DEPENDENCIES, groups=BUILD_GROUP).read_text()


def _run_uv(env, modules, files):
    uv = env.load("@rules_pyuv//uv:extensions.bzl").uv
    return env.run_module_extension(uv, modules, files=files)


def test_several_hubs_from_several_modules(env, lock_text):
    modules = [
        FakeModule(
            "app",
            is_root=True,
            tags={
                "lock": [
                    {"name": "pypi", "lockfile": "//:uv.lock", "python_version": "3.11"},
                    {"name": "tools", "lockfile": "//tools:uv.lock"},
                ]
            },
        ),
        FakeModule(
            "lib", version="1.0", tags={"lock": [{"name": "lib_pypi", "lockfile": "//:uv.lock"}]}
        ),
    ]
    files = {"//:uv.lock": lock_text, "//tools:uv.lock": lock_text, "@lib//:uv.lock": lock_text}
    result = _run_uv(env, modules, files)
    hubs = [r for r in result.repos if r.rule_name == "uv_hub"]
    assert sorted(h.name for h in hubs) == ["lib_pypi", "pypi", "tools"]
    artifacts = [r for r in result.repos if r.rule_name == "uv_artifact"]
    # Every hub gets its own artifact repositories, prefixed with the hub's name.
    for hub in ("pypi", "tools", "lib_pypi"):
        names = [a.name for a in artifacts if a.name.startswith(hub + "__")]
        assert any("platpkg" in n and "manylinux_2_17_aarch64" in n for n in names), names
    pypi = next(a for a in artifacts if a.name.startswith("pypi__nativepkg"))
    assert pypi.attrs["filename"] == "nativepkg-1.0.0.tar.gz"
    assert len(pypi.attrs["sha256"]) == 64
    assert pypi.attrs["urls"][0].startswith("http://127.0.0.1:")
    # Only the root module's hubs are its direct dependencies; the result is reproducible.
    assert result.metadata["root_module_direct_deps"] == ["pypi", "tools"]
    assert result.metadata["root_module_direct_dev_deps"] == []
    assert result.metadata["reproducible"] is True


def test_same_hub_name_twice_is_an_error(env, lock_text):
    modules = [
        FakeModule(
            "app", is_root=True, tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock"}]}
        ),
        FakeModule("lib", tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock"}]}),
    ]
    with pytest.raises(
        StarlarkFail, match=r'uv.lock\(name = "pypi"\) is declared twice .*app.*lib'
    ):
        _run_uv(env, modules, {"//:uv.lock": lock_text})


def test_extension_is_deterministic_and_matches_the_workspace_rule(env, lock_text):
    modules = [
        FakeModule(
            "app",
            is_root=True,
            tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock", "python_version": "3.11"}]},
        )
    ]
    files = {"//:uv.lock": lock_text}
    first = _run_uv(env, modules, files)
    second = _run_uv(env, modules, files)
    assert [(r.rule_name, r.attrs) for r in first.repos] == [
        (r.rule_name, r.attrs) for r in second.repos
    ]

    hub = first.repo("pypi")
    # The hub gets the plan to render, not the artifacts the extension declared itself.
    plan = json.loads(hub.attrs["plan"])
    assert "artifacts" not in plan and plan["packages"]
    rule = env.load("//uv/private:hub_repo.bzl").uv_hub
    bzlmod_files = env.run_repository_rule(rule, name="pypi", attrs=hub.attrs, files=files)

    uv_lock = env.load("@rules_pyuv//uv:repositories.bzl").uv_lock
    workspace_files = env.run_repository_rule(
        uv_lock,
        name="pypi",
        attrs={"lockfile": "//:uv.lock", "python_version": "3.11"},
        files=files,
    )
    shared = sorted(set(bzlmod_files) & set(workspace_files))
    assert "BUILD.bazel" in shared and "platpkg/BUILD.bazel" in shared
    for path in shared:
        if path == "WORKSPACE":
            continue
        assert bzlmod_files[path] == workspace_files[path], path
    # WORKSPACE users also get install_deps(); it declares the same artifact repositories.
    install = workspace_files["repositories.bzl"]
    for repo in (r for r in first.repos if r.rule_name == "uv_artifact"):
        assert json.dumps(repo.name) in install


def test_hub_never_contains_credentials(env, auth_package_index, lock_project):
    url = auth_package_index.url_with_credentials()
    lock = lock_project(ALL_DEPENDENCIES, groups=BUILD_GROUP, index_url=url)
    text = lock.read_text()
    modules = [
        FakeModule("app", is_root=True, tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock"}]})
    ]
    result = _run_uv(env, modules, {"//:uv.lock": text})
    blob = json.dumps([(r.rule_name, r.attrs) for r in result.repos])
    assert AUTH_PASSWORD not in blob and AUTH_USERNAME not in blob


def test_python_extension_creates_host_toolchains(env):
    python = env.load("@rules_pyuv//py:extensions.bzl").python
    modules = [
        FakeModule(
            "app",
            is_root=True,
            tags={"host_toolchain": [{"name": "py312", "python": "/usr/bin/python3.12"}]},
        ),
        FakeModule("rules_pyuv", tags={"host_toolchain": [{"name": "rules_pyuv_python_host"}]}),
        FakeModule("other", tags={"host_toolchain": [{"name": "rules_pyuv_python_host"}]}),
    ]
    result = env.run_module_extension(python, modules)
    assert [(r.rule_name, r.name, r.attrs.get("python")) for r in result.repos] == [
        ("python_host_toolchain", "py312", "/usr/bin/python3.12"),
        ("python_host_toolchain", "rules_pyuv_python_host", "python3"),
    ]


def test_python_extension_rejects_conflicting_tags(env):
    python = env.load("@rules_pyuv//py:extensions.bzl").python
    modules = [
        FakeModule(
            "a", is_root=True, tags={"host_toolchain": [{"name": "py", "python": "python3"}]}
        ),
        FakeModule("b", tags={"host_toolchain": [{"name": "py", "python": "/opt/py/bin/python3"}]}),
    ]
    with pytest.raises(
        StarlarkFail, match=r'host_toolchain\(name = "py"\) is declared by modules a and b'
    ):
        env.run_module_extension(python, modules)


def test_unknown_tag_attribute_is_rejected_like_bazel(env, lock_text):
    modules = [
        FakeModule(
            "app",
            is_root=True,
            tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock", "bogus": 1}]},
        )
    ]
    # Bazel names the attribute and the tag; so does the harness's tag check.
    with pytest.raises(
        BazelError, match=r"no such attribute 'bogus' in 'lock' tag of module 'app'"
    ):
        _run_uv(env, modules, {"//:uv.lock": lock_text})


def test_spellings_come_from_the_project_files_beside_the_lock(env, lock_text):
    modules = [
        FakeModule("app", is_root=True, tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock"}]})
    ]
    pyproject = (
        '[project]\nname = "app"\ndependencies = ["Mixed.Case_Pkg>=0.1"]\n'
        '[dependency-groups]\ntest = ["PurePkg", {include-group = "x"}]\n'
        '[tool.uv]\ndev-dependencies = ["mixed_case.pkg"]\n'
    )
    files = {"//:uv.lock": lock_text, "//:pyproject.toml": pyproject}
    plan = json.loads(_run_uv(env, modules, files).repo("pypi").attrs["plan"])
    folders = {a["folder"] for a in plan["aliases"]}
    assert folders == {"Mixed.Case_Pkg", "mixed_case.pkg", "mixed-case-pkg"}
    assert [h["folder"] for h in plan["case_hints"]] == ["PurePkg"]
    # Without a pyproject.toml only the lock's own spellings are aliased.
    plan = json.loads(_run_uv(env, modules, {"//:uv.lock": lock_text}).repo("pypi").attrs["plan"])
    assert {a["folder"] for a in plan["aliases"]} == {"mixed-case-pkg"}
