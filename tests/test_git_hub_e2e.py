"""A git source through the hub, with real Bazel 4.2.3 on a lock made by real `uv lock`.

`pkg @ git+file:///...` locked by uv becomes `@pypi//gitpkg`: its uv_git_source archive is
built by the hub's sdist_build (the same pinned action as sdists) at the locked commit,
though the branch moved on, and the app imports it. setuptools-scm style projects get the
locked version through SETUPTOOLS_SCM_PRETEND_VERSION_FOR_<NAME>. A lock whose commit is
not in the repository fails naming the package and the fix.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.support.bazel import HOST_PYTHON, HOST_TOOLCHAIN_TAIL, BazelWorkspace
from tests.support.git_fixtures import make_recording_repo, move_on
from tests.support.index_fixtures import BUILD_GROUP, LockProject

pytestmark = pytest.mark.bazel

PY = HOST_PYTHON

WORKSPACE_TAIL = (
    """
load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

uv_lock(name = "pypi", lockfile = "//:uv.lock", python_version = "{py}")

uv_lock(name = "badgit", lockfile = "//bad:uv.lock", python_version = "{py}")

load("@pypi//:repositories.bzl", install_pypi = "install_deps")

install_pypi()

load("@badgit//:repositories.bzl", install_badgit = "install_deps")

install_badgit()
"""
    + HOST_TOOLCHAIN_TAIL
)

APP_BUILD = """\
load("@rules_pyuv//py:defs.bzl", "py_binary")

py_binary(
    name = "main",
    srcs = ["main.py"],
    deps = ["@pypi//gitpkg", "@pypi//purepkg"],
)
"""

APP_MAIN = """\
import json

import gitpkg
import purepkg

print(gitpkg.hello())
print(json.dumps(gitpkg.build_info()["env"], sort_keys=True))
print(purepkg.hello())
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("git-hub")
    repo = base / "source repo"
    commit = make_recording_repo(repo)
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        [f"gitpkg @ git+{repo.as_uri()}@v1", "purepkg>=1.0"], groups=BUILD_GROUP
    )
    move_on(repo)
    text = lock.read_text()
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    ws.write("uv.lock", text)
    # The same lock, but its commit is not in the repository (a rewritten history).
    ws.write("bad/uv.lock", text.replace(commit, "1" * 40))
    ws.write("bad/BUILD.bazel", "")
    ws.append("WORKSPACE", WORKSPACE_TAIL.replace("{py}", PY))
    ws.write("app/BUILD.bazel", APP_BUILD)
    ws.write("app/main.py", APP_MAIN)
    yield {"ws": ws, "lock": text, "commit": commit, "url": repo.as_uri()}
    ws.close()


def test_uv_locks_the_git_dependency_at_its_commit(setup):
    packages = {p["name"]: p for p in tomllib.loads(setup["lock"])["package"]}
    assert packages["gitpkg"]["source"]["git"] == f"{setup['url']}?rev=v1#{setup['commit']}"
    assert "sdist" not in packages["gitpkg"] and "wheels" not in packages["gitpkg"]


def test_hub_builds_and_imports_the_locked_commit(setup):
    ws = setup["ws"]
    out = ws.run("run", "//app:main").stdout.splitlines()
    assert out[0] == "gitpkg locked"  # main moved on after locking; the lock did not
    assert json.loads(out[1]) == {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_GITPKG": "1.2.0"}
    assert out[2].startswith("purepkg 1.0.0")
    build = (ws.output_base / "external" / "pypi" / "gitpkg" / "BUILD.bazel").read_text()
    assert 'sdist = "@pypi__gitpkg_1_2_0_tar_gz//:file"' in build
    # The hub's repositories.bzl declares the source with its locked commit.
    repositories = (ws.output_base / "external" / "pypi" / "repositories.bzl").read_text()
    assert '"kind": "git"' in repositories and setup["commit"] in repositories


def test_a_commit_missing_from_the_repository_fails_naming_the_fix(setup):
    proc = setup["ws"].run("build", "@badgit//gitpkg", check=False)
    assert proc.returncode != 0
    err = proc.stderr
    assert "git source of gitpkg 1.2.0" in err, err
    assert "1" * 40 + " is not in the repository" in err, err
    assert "uv lock --upgrade-package gitpkg" in err, err
