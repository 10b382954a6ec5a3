"""uv_git_source end to end: a git repository on file://, a real `uv lock`, real Bazel 4.2.3.

- what uv writes for git sources (tag, branch with `/`, subdirectory with a space);
- the repository rule fetches exactly the locked commit even after the tag, the branch
  and the default branch moved on, and sdist_build builds its archive into a wheel, for
  the repository root and for a subdirectory;
- the archive is deterministic (sorted members, fixed times and owners, no `.git`) and
  holds the committed bytes whatever the repository's .gitattributes ask for;
- a server that refuses commits by id (protocol v0, commit no longer a branch tip): the
  rule falls back to fetching the branch and checks the commit is reachable from it;
- bad input fails with a message naming the package, the URL (never its user
  information) and the fix: a commit not in the repository, an id that is no commit (an
  annotated tag), a missing subdirectory, a lock without a commit, a transport other than
  https/http/ssh/git/file, no `git` on PATH.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.support.bazel import HOST_PYTHON, REPO_ROOT, BazelWorkspace
from tests.support.index_fixtures import BUILD_GROUP, LockProject
from tests.support.starlark_env import StarlarkEnv

pytestmark = pytest.mark.bazel

PY = HOST_PYTHON
HOST = os.uname().machine
EPOCH = 315532800  # 1980-01-01: the archive's fixed member time

PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "1.2.0"

[tool.setuptools]
py-modules = ["{name}"]
"""

PLATFORMS_BUILD = """\
load("@rules_pyuv//py:toolchains.bzl", "py_interpreter_toolchain")

package(default_visibility = ["//visibility:public"])

platform(
    name = "host",
    constraint_values = ["@platforms//os:linux", "@platforms//cpu:{cpu}"],
)

py_interpreter_toolchain(
    name = "python_host",
    exec_compatible_with = ["@platforms//os:linux", "@platforms//cpu:{cpu}"],
    interpreter_path = "/usr/bin/python3",
    python_version = "{py}",
    target_compatible_with = ["@platforms//os:linux", "@platforms//cpu:{cpu}"],
)
"""

# sdist_build is what hubs use for sdists; here it builds the git sources directly.
ROOT_BUILD = """\
load("@rules_pyuv//uv/private:hub_rules.bzl", "sdist_build")

[sdist_build(
    name = name + "_whl",
    deps = ["@pypi//setuptools"],
    package = package,
    python_version = "@pypi//:python_version",
    sdist = "@{}_src//:file".format(name),
    version = "1.2.0",
) for name, package in [
    ("gitpkg", "gitpkg"),
    ("subpkg", "subpkg"),
    ("gitpkg_v0", "gitpkg"),
]]
"""


def git(repo: Path, *args: str, env: dict | None = None) -> str:
    full_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        **(env or {}),
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=full_env
    ).stdout.strip()


def make_repo(repo: Path) -> dict[str, str]:
    """The source repository; returns the locked commit and the annotated tag's object id."""
    sub = repo / "sub dir" / "pkg"
    sub.mkdir(parents=True)
    for folder, name in ((repo, "gitpkg"), (sub, "subpkg")):
        (folder / "pyproject.toml").write_text(PYPROJECT.format(name=name))
        (folder / f"{name}.py").write_text(f"def hello():\n    return '{name} locked'\n")
    # Attributes a plain `git archive` would act on: the archive must ignore them.
    (repo / ".gitattributes").write_text("kept.txt export-ignore\nsubst.txt export-subst\n")
    (repo / "kept.txt").write_text("kept\n")
    (repo / "subst.txt").write_text("$Format:%H$\n")
    # A Bazel BUILD file in the source must not matter (the tree is archived, not globbed).
    (repo / "BUILD.bazel").write_text("this is not Starlark\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "locked")
    git(repo, "tag", "-a", "v1.0", "-m", "release")
    git(repo, "branch", "feature/x")
    return {
        "commit": git(repo, "rev-parse", "HEAD"),
        "tag_object": git(repo, "rev-parse", "v1.0"),
    }


def move_everything_on(repo: Path) -> None:
    """New commits on main and feature/x, and tag v1.0 moved: the lock must not follow."""
    for branch in ("feature/x", "main"):
        git(repo, "checkout", "-q", branch)
        (repo / "gitpkg.py").write_text("def hello():\n    return 'gitpkg moved'\n")
        (repo / "sub dir" / "pkg" / "subpkg.py").write_text(
            "def hello():\n    return 'subpkg moved'\n"
        )
        git(repo, "commit", "-qam", "moved on " + branch)
    git(repo, "tag", "-f", "-a", "v1.0", "-m", "moved")


@pytest.fixture(scope="module")
def setup(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("git-source")
    repo = base / "source repo"
    ids = make_repo(repo)
    url = repo.as_uri()
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        ["gitpkg", "subpkg"],
        groups=BUILD_GROUP,
        extra_uv_config={
            "sources": {
                "gitpkg": {"git": url, "tag": "v1.0"},
                "subpkg": {"git": url, "branch": "feature/x", "subdirectory": "sub dir/pkg"},
            }
        },
    )
    packages = {p["name"]: p for p in tomllib.loads(lock.read_text())["package"]}
    sources = {name: packages[name]["source"]["git"] for name in ("gitpkg", "subpkg")}
    move_everything_on(repo)

    other = base / "other repo"
    other.mkdir()
    git(other, "init", "-q")
    git(other, "commit", "-q", "--allow-empty", "-m", "elsewhere")
    foreign = git(other, "rev-parse", "HEAD")

    gitpkg, commit = sources["gitpkg"], ids["commit"]
    base_url, _, _ = gitpkg.partition("#")
    repos = {
        "gitpkg_src": ("gitpkg", gitpkg),
        "subpkg_src": ("subpkg", sources["subpkg"]),
        "gitpkg_v0_src": ("gitpkg", f"{url}?branch=feature%2Fx#{commit}"),
        "rewritten_src": ("gitpkg", f"{url}?branch=feature%2Fx#{foreign}"),
        "tag_object_src": ("gitpkg", f"{base_url}#{ids['tag_object']}"),
        "no_subdir_src": ("subpkg", f"{url}?subdirectory=missing&branch=main#{commit}"),
        "floating_src": ("gitpkg", f"{url}?branch=main"),
        "ext_src": ("gitpkg", f"ext::sh -c touch% {base}/pwned#{commit}"),
        "secret_src": ("gitpkg", f"https://user:s3cret-token@127.0.0.1:9/x.git?tag=v1#{commit}"),
        "nogit_src": ("gitpkg", gitpkg),
    }
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    ws.write("uv.lock", lock.read_text())
    ws.write("platforms/BUILD.bazel", PLATFORMS_BUILD.replace("{cpu}", HOST).replace("{py}", PY))
    ws.write("BUILD.bazel", ROOT_BUILD)
    calls = "".join(
        f"""
uv_git_source(
    name = {name!r},
    git = {value!r},
    lockfile = "//:uv.lock",
    package = {package!r},
    version = "1.2.0",
)
"""
        for name, (package, value) in repos.items()
    )
    ws.append(
        "WORKSPACE",
        f"""
load("@rules_pyuv//uv:repositories.bzl", "uv_lock")
load("@rules_pyuv//uv/private:git_source.bzl", "uv_git_source")

uv_lock(name = "pypi", lockfile = "//:uv.lock", python_version = "{PY}")

load("@pypi//:repositories.bzl", "install_deps")

install_deps()

register_toolchains("//platforms:all")
{calls}""",
    )
    yield {
        "ws": ws,
        "repo": repo,
        "url": url,
        "sources": sources,
        "base": base,
        **ids,
    }
    ws.close()


def external(ws: BazelWorkspace, repo: str) -> Path:
    return ws.output_base / "external" / repo


def test_uv_lock_records_git_sources_with_the_commit(setup):
    commit, url = setup["commit"], setup["url"]
    assert "%20" in url  # the repository's folder has a space, percent-encoded by uv
    assert setup["sources"]["gitpkg"] == f"{url}?tag=v1.0#{commit}"
    # Query values are form-encoded: '+' for a space, %2F for '/'.
    assert setup["sources"]["subpkg"] == (
        f"{url}?subdirectory=sub+dir%2Fpkg&branch=feature%2Fx#{commit}"
    )


def _wheel_module(ws: BazelWorkspace, target: str, module: str) -> tuple[str, str]:
    ws.run("build", f"//:{target}", "--platforms=//platforms:host")
    wheels = list(ws.bin_path(target).glob("*.whl"))
    assert [w.name for w in wheels] == [f"{module}-1.2.0-py3-none-any.whl"]
    with zipfile.ZipFile(wheels[0]) as zf:
        return wheels[0].name, zf.read(f"{module}.py").decode()


def test_locked_commit_is_built_though_tag_and_branch_moved(setup):
    ws = setup["ws"]
    _, source = _wheel_module(ws, "gitpkg_whl", "gitpkg")
    assert "gitpkg locked" in source
    _, source = _wheel_module(ws, "subpkg_whl", "subpkg")
    assert "subpkg locked" in source


def test_archive_is_deterministic_and_holds_the_committed_tree(setup):
    ws = setup["ws"]
    ws.run("build", "@gitpkg_src//:file")
    archive = external(ws, "gitpkg_src") / "gitpkg-1.2.0.tar.gz"
    assert sorted(p.name for p in external(ws, "gitpkg_src").iterdir()) == [
        "BUILD.bazel",
        "WORKSPACE",
        "gitpkg-1.2.0.tar.gz",
    ]  # no .git, no work tree
    first = hashlib.sha256(archive.read_bytes()).hexdigest()
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        names = [m.name.rstrip("/") for m in members]
        assert names == sorted(names)
        assert all(n == "gitpkg-1.2.0" or n.startswith("gitpkg-1.2.0/") for n in names)
        assert not any("/.git/" in n + "/" for n in names)
        assert {(m.mtime, m.uid, m.gid) for m in members} == {(EPOCH, 0, 0)}
        assert {m.mode for m in members if m.isfile()} == {0o644}
        assert tf.extractfile("gitpkg-1.2.0/kept.txt").read() == b"kept\n"
        assert tf.extractfile("gitpkg-1.2.0/subst.txt").read() == b"$Format:%H$\n"
        assert "gitpkg-1.2.0/sub dir/pkg/subpkg.py" in names
    build = (external(ws, "gitpkg_src") / "BUILD.bazel").read_text()
    assert f"# Commit {setup['commit']}, fetched by the commit id." in build
    ws.run("sync", "--only=gitpkg_src")
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == first

    ws.run("build", "@subpkg_src//:file")
    with tarfile.open(external(ws, "subpkg_src") / "subpkg-1.2.0.tar.gz") as tf:
        assert sorted(tf.getnames()) == [
            "subpkg-1.2.0",
            "subpkg-1.2.0/pyproject.toml",
            "subpkg-1.2.0/subpkg.py",
        ]


def test_server_refusing_commits_by_id_falls_back_to_the_branch(setup):
    ws, repo, commit = setup["ws"], setup["repo"], setup["commit"]
    v0 = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "protocol.version",
        "GIT_CONFIG_VALUE_0": "0",
    }
    # Protocol v0 refuses a commit that is no longer a branch tip: the first way fails here.
    probe = setup["base"] / "probe"
    subprocess.run(["git", "init", "-q", "--bare", str(probe)], check=True)
    refused = subprocess.run(
        ["git", "--git-dir", str(probe), "fetch", "--depth=1", setup["url"], commit],
        capture_output=True,
        text=True,
        env={**os.environ, **v0},
    )
    assert refused.returncode != 0, refused.stderr
    assert git(repo, "rev-parse", "feature/x") != commit
    flags = [f"--repo_env={k}={v}" for k, v in v0.items()]
    ws.run("build", "@gitpkg_v0_src//:file", *flags)
    build = (external(ws, "gitpkg_v0_src") / "BUILD.bazel").read_text()
    assert f"# Commit {commit}, fetched by the locked branch." in build
    _, source = _wheel_module(ws, "gitpkg_v0_whl", "gitpkg")
    assert "gitpkg locked" in source


def _fails(ws: BazelWorkspace, repo: str, *flags: str) -> str:
    proc = ws.run("build", f"@{repo}//:file", *flags, check=False)
    assert proc.returncode != 0, proc.stderr
    return proc.stderr


def test_commit_not_in_the_repository(setup):
    err = _fails(setup["ws"], "rewritten_src")
    assert "git source of gitpkg 1.2.0" in err
    assert "is not in the repository at " + setup["url"] in err
    assert "branch feature/x now points at " + git(setup["repo"], "rev-parse", "feature/x") in err
    assert "uv lock --upgrade-package gitpkg" in err


def test_locked_id_that_is_an_annotated_tag_is_refused(setup):
    err = _fails(setup["ws"], "tag_object_src")
    assert f"the locked id {setup['tag_object']} is not a commit" in err
    assert f"it resolves to {setup['commit']}" in err
    assert "gitpkg" in err


def test_missing_subdirectory(setup):
    err = _fails(setup["ws"], "no_subdir_src")
    assert "git source of subpkg 1.2.0" in err
    assert 'has no directory "missing"' in err
    assert "Fix the `subdirectory`" in err


def test_lock_without_a_commit_is_refused(setup):
    err = _fails(setup["ws"], "floating_src")
    assert "gitpkg 1.2.0 from //:uv.lock" in err
    assert "has no full commit id" in err


def test_other_transports_are_refused(setup):
    err = _fails(setup["ws"], "ext_src")
    assert "is not an absolute https/http/ssh/git/file URL" in err
    assert not (setup["base"] / "pwned").exists()


def test_user_information_never_reaches_a_message(setup):
    err = _fails(setup["ws"], "secret_src")
    assert "could not fetch the git source of gitpkg 1.2.0 (https://127.0.0.1:9/x.git" in err
    assert "git's own credentials" in err
    assert "s3cret-token" not in err


def test_missing_git_binary(setup):
    err = _fails(setup["ws"], "nogit_src", "--repo_env=PATH=/nonexistent")
    assert "git source of gitpkg 1.2.0" in err
    assert "needs the `git` program" in err


# --- parse_git_source in the Starlark harness (no Bazel): what reaches the rule -------------

C = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def git_source_bzl():
    return StarlarkEnv(REPO_ROOT).load("//uv/private:git_source.bzl")


def test_parse_decodes_what_uv_writes(git_source_bzl):
    spec, error = git_source_bzl.parse_git_source(
        f"https://host/org/repo.git?subdirectory=sub+dir%2Fpkg&branch=feature%2Fx#{C}"
    )
    assert error is None
    assert spec == {
        "url": "https://host/org/repo.git",
        "commit": C,
        "ref_kind": "branch",
        "ref": "feature/x",
        "subdirectory": "sub dir/pkg",
    }
    spec, error = git_source_bzl.parse_git_source(f"ssh://git@host/org/repo#{C}")
    assert (spec["ref_kind"], spec["url"], error) == ("", "ssh://git@host/org/repo", None)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"https://host/r#{C[:39]}", "has no full commit id"),
        (f"https://host/r#{C.upper()}", "has no full commit id"),
        ("https://host/r?rev=main", "has no full commit id"),
        (f"ext::sh -c id#{C}", "is not an absolute https/http/ssh/git/file URL"),
        (f"git+https://host/r#{C}", "is not an absolute https/http/ssh/git/file URL"),
        (f"https://host/r?lfs=true#{C}", 'the query key "lfs"'),
        (f"https://host/r?tag=a&branch=b#{C}", "more than one of rev, tag and branch"),
        (f"https://host/r?tag=a&tag=a#{C}", "malformed or repeated"),
        (f"https://host/r?branch=-x#{C}", "starts with '-'"),
        (f"https://host/r?rev=a..b#{C}", "holds '..'"),
        (f"https://host/r?subdirectory=..%2Fx#{C}", "must not hold empty, '.' or '..' parts"),
        (f"https://host/r?subdirectory=%2Fetc#{C}", "must be a relative path"),
        (f"https://host/r?tag=%C3%A9#{C}", "outside printable ASCII"),
        (f"https://host/r?tag=%zz#{C}", "not followed by two hex digits"),
    ],
)
def test_parse_refuses_bad_sources(git_source_bzl, value, message):
    spec, error = git_source_bzl.parse_git_source(value)
    assert spec is None
    assert message in error


def test_messages_never_hold_user_information(git_source_bzl):
    _, error = git_source_bzl.parse_git_source("https://me:s3cret@host/r?tag=v1")
    assert "s3cret" not in error and "https://host/r?tag=v1" in error
    assert git_source_bzl.redact_url("https://me:pw@host/r?x=a@b") == "https://host/r?x=a@b"


def test_kwargs_refuse_up_front_naming_package_and_lock(git_source_bzl):
    kwargs, error = git_source_bzl.uv_git_source_kwargs(
        "pypi__gitpkg", "gitpkg", "1.2.0", "https://host/r?tag=v1", "//:uv.lock"
    )
    assert kwargs is None
    assert error.startswith("gitpkg 1.2.0 from //:uv.lock: git source")
    kwargs, error = git_source_bzl.uv_git_source_kwargs(
        "pypi__gitpkg", "gitpkg", "1.2.0", f"https://host/r?tag=v1#{C}", "//:uv.lock"
    )
    assert error is None and kwargs["git"].endswith(C)
    assert git_source_bzl.sdist_stem("my-pkg.x", "1.0") == "my_pkg_x-1.0"
