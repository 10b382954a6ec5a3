"""uv workspaces in the hub (workspace.bzl), on locks written by real `uv lock`.

The lock model's workspace (parse_lock) is computed by real Bazel 4.2.3 (``starlark_calls``
below; tests/support/starlark_bazel.py). The hub repository rule runs in the Starlark
harness on e2e/workspace's lock (and on a workspace whose members depend on each other):
member labels, groups, the root's group aliases, local sources, and every bad input of
issue 11 ending in a clear error. It stays there because its checks need what Bazel 4.2.3
cannot give: `rctx.watch` (Bazel 7.1+, the re-run once a BUILD file appears), labels as
bzlmod spells them (`@@//:uv.lock`) and one file tree per case under one lock path.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from tests.support.starlark_env import StarlarkEnv, StarlarkFail
from tests.support.uvlock import make_project, toml_dumps, uv_lock
from tests.support.workspace_e2e import WORKSPACE, lock_workspace

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK = "//uv/private:lock.bzl"
ROOT = "/harness/workspace"

# The BUILD files of e2e/workspace that name the members' and the local source's targets.
BUILD_FILES = (
    "apps/app",
    "libs/greet",
    "tools/wstool",
    "third_party/localdir",
)


@pytest.fixture(scope="module")
def env():
    return StarlarkEnv(REPO_ROOT)


_LOCK_TEXTS: dict[int, str] = {}


def _lock_text(tmp_path_factory, package_index, uv_cache_dir) -> str:
    """e2e/workspace's uv.lock, locked once per session (the declared calls read it too)."""
    key = id(uv_cache_dir)
    if key not in _LOCK_TEXTS:
        root = tmp_path_factory.mktemp("workspace")
        ignore = shutil.ignore_patterns("bazel-*", "uv.lock", "wheels")
        shutil.copytree(WORKSPACE, root, ignore=ignore, dirs_exist_ok=True)
        _LOCK_TEXTS[key] = lock_workspace(root, package_index.url, uv_cache_dir).read_text()
    return _LOCK_TEXTS[key]


@pytest.fixture(scope="module")
def lock_text(tmp_path_factory, package_index, uv_cache_dir) -> str:
    return _lock_text(tmp_path_factory, package_index, uv_cache_dir)


def run_hub(env, text, builds=BUILD_FILES, dirs=BUILD_FILES, **attrs):
    """The files of hub `pypi` made by uv_lock from `text` (a lock at //:uv.lock).

    Directories in `dirs` exist (they hold a pyproject.toml); those in `builds` also hold
    a BUILD.bazel.
    """
    files = {"//:uv.lock": text, "//:BUILD.bazel": ""}
    for directory in dirs:
        files[f"{ROOT}/{directory}/pyproject.toml"] = ""
    for directory in builds:
        files[f"{ROOT}/{directory}/BUILD.bazel"] = ""
    rule = env.load("//uv/private:uv_lock.bzl").uv_lock
    values = {"lockfile": "//:uv.lock", "python_version": "3.11"}
    values.update(attrs)
    return env.run_repository_rule(rule, name="pypi", attrs=values, files=files)


def test_members_and_local_sources_come_from_the_manifest(starlark_bazel, lock_text):
    lock = starlark_bazel.load(LOCK).parse_lock(lock_text, "//:uv.lock")
    workspace = lock["workspace"]
    assert [(m["name"], m["kind"], m["path"]) for m in workspace["members"]] == [
        ("app", "editable", "apps/app"),
        ("greet-lib", "editable", "libs/greet"),
        ("monorepo", "virtual", "."),
        ("wstool", "editable", "tools/wstool"),
    ]
    assert [(s["name"], s["kind"], s["path"]) for s in workspace["local_sources"]] == [
        ("localdir", "directory", "third_party/localdir"),
    ]


def test_member_labels_follow_the_convention_or_the_mapping(env, lock_text):
    hub = run_hub(env, lock_text, members={"greet-lib": "//libs/greet"})
    app = hub["app/BUILD.bazel"]
    # greet-lib[fancy]: the mapped target plus the member's extra.
    assert '"@//libs/greet"' in app
    assert '"//greet_lib:extra_fancy"' in app
    assert '"//markerpkg"' in app
    greet = hub["greet_lib/BUILD.bazel"]
    assert 'name = "extra_fancy"' in greet and '"//platpkg"' in greet
    # The local source and the path wheel are packages of the hub.
    assert '"//localdir"' in greet and '"//vendored"' in greet
    # splitpkg's versions fork by machine: the member's label selects per marker env.
    assert '"//_markers:cp311_linux_aarch64"' in greet or "//splitpkg" in greet
    # Groups per member, and the root project's groups at the hub's root.
    assert 'name = "group_test"' in hub["wstool/BUILD.bazel"]
    root = hub["BUILD.bazel"]
    for group in ("build", "lint", "test"):
        assert f'name = "group_{group}",\n    actual = "//monorepo:group_{group}"' in root
    # Without the mapping the convention's label is used.
    plain = run_hub(env, lock_text)["app/BUILD.bazel"]
    assert '"@//libs/greet:greet_lib"' in plain


def test_a_directory_source_is_built_from_its_filegroup(env, lock_text):
    hub = run_hub(env, lock_text)
    localdir = hub["localdir/BUILD.bazel"]
    assert "sdist_build(" in localdir
    assert 'srcs = ["@//third_party/localdir:srcs"]' in localdir
    mapped = run_hub(env, lock_text, local_sources={"localdir": "//third_party/localdir:files"})
    assert 'srcs = ["@//third_party/localdir:files"]' in mapped["localdir/BUILD.bazel"]


def test_a_member_without_a_build_file_fails_when_used_naming_the_label(env, lock_text):
    hub = run_hub(env, lock_text, builds=("apps/app", "tools/wstool", "third_party/localdir"))
    assert '"//greet_lib:_missing_target"' in hub["app/BUILD.bazel"]
    greet = hub["greet_lib/BUILD.bazel"]
    assert (
        "workspace member 'greet-lib' (source = { editable = \\\"libs/greet\\\" } in "
        "@@//:uv.lock) has no Bazel target: create libs/greet/BUILD.bazel with a py_library "
        'named \\"greet_lib\\" (label //libs/greet:greet_lib)'
    ) in greet
    # Bazel 7.1+ re-runs the hub once the BUILD file is created.
    assert f"{ROOT}/libs/greet/BUILD.bazel" in hub.ctx.watched


def _refusal(env, text, **attrs) -> str:
    with pytest.raises(StarlarkFail) as err:
        run_hub(env, text, **attrs)
    return str(err.value)


def test_two_members_with_one_name_are_refused(env, lock_text):
    text = lock_text.replace('    "greet-lib",\n', '    "greet-lib",\n    "Greet_Lib",\n', 1)
    assert text != lock_text
    message = _refusal(env, text)
    assert "[manifest] members names 'greet-lib' twice" in message
    assert "re-create the lock with `uv lock`" in message


def test_a_member_outside_the_repository_is_refused(env, lock_text):
    text = lock_text.replace(
        'source = { editable = "tools/wstool" }', 'source = { editable = "../../elsewhere" }'
    )
    assert text != lock_text
    message = _refusal(env, text)
    assert "package 'wstool' (source = { editable = \"../../elsewhere\" }) lies outside" in message
    assert "move the project into the repository" in message


def test_an_editable_source_whose_directory_is_missing_is_refused(env, lock_text):
    text = lock_text.replace(
        'source = { editable = "tools/wstool" }', 'source = { editable = "tools/gone" }'
    )
    message = _refusal(env, text)
    assert (
        f"package 'wstool' (source = {{ editable = \"tools/gone\" }}): the directory "
        f"{ROOT}/tools/gone does not exist" in message
    )


def test_a_mapping_for_no_member_is_refused(env, lock_text):
    message = _refusal(env, lock_text, members={"nope": "//x"})
    assert 'members names "nope", which is not a workspace member of the lock' in message
    message = _refusal(env, lock_text, members={"app": "x:y"})
    assert 'members["app"] = "x:y" is not an absolute label' in message


def test_members_in_a_cycle_fail_naming_every_member(env, tmp_path, package_index, uv_cache_dir):
    root = tmp_path / "cycle"
    make_project(root, "root")
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        text + "\n" + toml_dumps({"tool": {"uv": {"workspace": {"members": ["a", "b"]}}}})
    )
    assert tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    for me, other in (("a", "b"), ("b", "a")):
        make_project(root / me, f"mem-{me}", [f"mem-{other}", "purepkg"], package=True)
        with open(root / me / "pyproject.toml", "a") as f:
            f.write(f"\n[tool.uv.sources]\nmem-{other} = {{ workspace = true }}\n")
    lock = uv_lock(root, package_index.url, cache_dir=uv_cache_dir).read_text()
    hub = run_hub(env, lock, builds=("a", "b"), dirs=("a", "b"))
    for label in ("mem_a", "mem_b"):
        build = hub[f"{label}/BUILD.bazel"]
        assert f'uv_unavailable(\n    name = "{label}",' in build, build
        assert (
            "workspace members 'mem-a' (@//a:mem_a), 'mem-b' (@//b:mem_b) of hub \\\"pypi\\\" "
            "depend on each other in a cycle"
        ) in build


def test_a_non_member_editable_source_is_built_like_a_directory(env, lock_text):
    text = lock_text.replace(
        'source = { directory = "third_party/localdir" }',
        'source = { editable = "third_party/localdir" }',
    )
    assert text != lock_text
    localdir = run_hub(env, text)["localdir/BUILD.bazel"]
    assert 'srcs = ["@//third_party/localdir:srcs"]' in localdir


def starlark_calls(calls, request) -> None:
    """The Starlark calls real Bazel answers for this module (the pure parse)."""
    text = _lock_text(*(request.getfixturevalue(f) for f in FIXTURES))
    calls.load(LOCK).parse_lock(text, "//:uv.lock")


FIXTURES = ("tmp_path_factory", "package_index", "uv_cache_dir")
