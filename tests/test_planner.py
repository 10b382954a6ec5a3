"""The lock model and the planner, evaluated by real Bazel 4.2.3.

Covers choices and bad input of the pure Starlark steps: version checks, hashes,
unsupported sources, no_binary_packages, build requirements, python_version.
``starlark_calls`` below declares every call; the session's one Bazel build answers them
(tests/support/starlark_bazel.py). A chain lock -> plan -> render is one call of
tests/support/hub_calls.bzl.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support.index_fixtures import ALL_DEPENDENCIES, BUILD_GROUP
from tests.support.starlark_bazel import StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]
URL = "http://127.0.0.1:9/files"
SHA = "0" * 64
LOCK = "//uv/private:lock.bzl"
PLANNER = "//uv/private:planner.bzl"
NAMES = "//uv/private:names.bzl"
HUB_CALLS = "//tests/support:hub_calls.bzl"
HUB_SOURCE = (REPO_ROOT / "tests" / "support" / "hub_calls.bzl").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def lock(starlark_bazel):
    return starlark_bazel.load(LOCK)


@pytest.fixture(scope="module")
def planner(starlark_bazel):
    return starlark_bazel.load(PLANNER)


@pytest.fixture(scope="module")
def names(starlark_bazel):
    return starlark_bazel.load(NAMES)


@pytest.fixture(scope="module")
def hub(starlark_bazel):
    """lock -> plan (-> render) as one call: plan_text, render_text, render_deps_text."""
    return starlark_bazel.load_source(HUB_CALLS, HUB_SOURCE)


_LOCK_TEXTS: dict[int, str] = {}


def _build_lock(session_lock_project) -> str:
    """The uv.lock of every standard package with the build group (locked once per session)."""
    key = id(session_lock_project)
    if key not in _LOCK_TEXTS:
        lock = session_lock_project(ALL_DEPENDENCIES, groups=BUILD_GROUP)
        _LOCK_TEXTS[key] = lock.read_text()
    return _LOCK_TEXTS[key]


@pytest.fixture(scope="module")
def build_lock(session_lock_project):
    return _build_lock(session_lock_project)


def _lock_text(body: str, header: str = 'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n'):
    return header + "\n" + textwrap.dedent(body)


def _wheel(name, version, tag="py3-none-any"):
    filename = f"{name}-{version}-{tag}.whl"
    return f'{{ url = "{URL}/{filename}", hash = "sha256:{SHA}", size = 1 }}'


def _plan(hub, text, **kwargs):
    """parse_lock then plan_hub of hub "pypi", as one call."""
    return hub.plan_text(text, "pypi", "//:uv.lock", **kwargs)


def _render(hub, text, **kwargs):
    """parse_lock, plan_hub, render_hub, as one call."""
    return hub.render_text(text, "pypi", "//:uv.lock", **kwargs)


def _pkg(plan, label):
    return next(p for p in plan["packages"] if p["label"] == label)


def test_newer_lock_version_is_rejected_with_the_fix(lock):
    with pytest.raises(StarlarkFail, match=r"uv.lock version 2 is newer than this rules_pyuv"):
        lock.parse_lock(_lock_text("", header="version = 2\n"), "//:uv.lock")


def test_a_file_that_is_not_a_lock(lock):
    with pytest.raises(
        StarlarkFail, match=r'//:uv.lock:1:1: not a uv.lock: no top-level "version"'
    ):
        lock.parse_lock('[tool]\nname = "x"\n', "//:uv.lock")


def test_malformed_toml_names_file_and_line(lock):
    with pytest.raises(StarlarkFail, match=r"//:uv.lock:3:"):
        lock.parse_lock('version = 1\n[[package]]\nname = "x\n', "//:uv.lock")


MD5_HASH_LOCK = _lock_text(
    f"""
    [[package]]
    name = "a"
    version = "1.0"
    source = {{ registry = "{URL}" }}
    wheels = [{{ url = "{URL}/a-1.0-py3-none-any.whl", hash = "md5:abc" }}]
    """
)


def test_hash_that_is_not_sha256(lock):
    text = MD5_HASH_LOCK
    with pytest.raises(
        StarlarkFail, match=r"//:uv.lock:\d+:\d+: package 'a' 1.0: wheel hash 'md5:abc' is not"
    ):
        lock.parse_lock(text, "//:uv.lock")


SVN_SOURCE_LOCK = _lock_text(
    """
    [[package]]
    name = "a"
    version = "1.0"
    source = { svn = "x" }
    """
)


def test_unknown_source_kind(lock):
    text = SVN_SOURCE_LOCK
    with pytest.raises(
        StarlarkFail, match=r"//:uv.lock:\d+:1: package 'a': its source has an unknown kind 'svn'"
    ):
        lock.parse_lock(text, "//:uv.lock")


GIT_HTTPS_COMMIT = "0123456789abcdef0123456789abcdef01234567"
GIT_HTTPS_URL = f"https://example.invalid/repo?subdirectory=py%2Fpkg&tag=v1.0#{GIT_HTTPS_COMMIT}"
GIT_HTTPS_LOCK = _lock_text(
    f"""
    [[package]]
    name = "git.pkg"
    version = "1.0"
    source = {{ git = "{GIT_HTTPS_URL}" }}
    """
)


def test_git_source_is_built_from_its_locked_commit(hub):
    text = GIT_HTTPS_LOCK
    plan = _plan(hub, text)
    pkg = _pkg(plan, "git_pkg")
    assert set(pkg["whl"].values()) == {":_build_1_0"}
    (build,) = pkg["builds"]
    # setuptools-scm cannot see the history: the locked version is handed to it.
    assert build["env"] == {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_GIT_PKG": "1.0"}
    (artifact,) = plan["artifacts"]
    assert build["sdist"] == f"@{artifact['repo']}//:file"
    assert artifact["kind"] == "git"
    assert artifact["git"] == GIT_HTTPS_URL
    assert artifact["filename"] == "git_pkg-1.0.tar.gz"
    assert artifact["sha256"] == ""  # the commit id pins it
    repositories = hub.render_deps_text(text, "pypi", "//:uv.lock")
    assert '"kind": "git"' in repositories


GIT_SSH_COMMIT = "89abcdef0123456789abcdef0123456789abcdef"
GIT_SSH_URL = f"ssh://git@example.invalid/org/repo.git?branch=main#{GIT_SSH_COMMIT}"
GIT_SSH_LOCK = _lock_text(
    f"""
    [[package]]
    name = "gitpkg"
    version = "1.0"
    source = {{ git = "{GIT_SSH_URL}" }}
    """
)


def test_git_source_over_ssh_is_read_and_planned(hub):
    # Private repositories are usually locked over ssh; git's own credentials fetch them.
    text = GIT_SSH_LOCK
    (artifact,) = _plan(hub, text)["artifacts"]
    assert artifact["git"] == GIT_SSH_URL
    bad = text.replace("ssh://", "ext::ssh%20")
    with pytest.raises(StarlarkFail, match=r"must start with https://, http://, file://, ssh://"):
        _plan(hub, bad)


GIT_NO_COMMIT_LOCK = _lock_text(
    """
    [[package]]
    name = "gitpkg"
    version = "1.0"
    source = { git = "https://example.invalid/repo?rev=main#0123456789abcdef" }
    """
)


def test_git_source_without_a_commit_fails_at_planning(hub):
    text = GIT_NO_COMMIT_LOCK
    with pytest.raises(StarlarkFail, match=r"gitpkg 1.0 from //:uv.lock: .* has no full commit id"):
        _plan(hub, text)


NO_HASH_LOCK = _lock_text(
    f"""
    [[package]]
    name = "a"
    version = "1.0"
    source = {{ registry = "{URL}" }}
    wheels = [{{ url = "{URL}/a-1.0-py3-none-any.whl" }}]
    """
)


def test_package_without_hash_fails_at_planning(hub):
    text = NO_HASH_LOCK
    with pytest.raises(StarlarkFail, match=r"a-1.0-py3-none-any.whl has no sha256 hash"):
        _plan(hub, text)


ONE_WHEEL_LOCK = _lock_text(
    f"""
    [[package]]
    name = "a"
    version = "1.0"
    source = {{ registry = "{URL}" }}
    wheels = [{_wheel("a", "1.0")}]
    """
)


def test_python_version_must_be_allowed_by_the_lock(hub):
    text = ONE_WHEEL_LOCK
    with pytest.raises(StarlarkFail, match=r'python_version = "3.9" .* choose one of 3.11, 3.12'):
        _plan(hub, text, python_version="3.9")
    plan = _plan(hub, text)
    assert plan["default_python_version"] == "3.11"
    assert plan["python_versions"] == ["3.11", "3.12", "3.13", "3.14"]


def test_no_binary_packages_always_build(hub, build_lock):
    text = build_lock
    plan = _plan(hub, text, python_version="3.11", no_binary_packages=["PlatPkg"])
    assert set(_pkg(plan, "platpkg")["whl"].values()) == {":_build_1_0_0"}
    with pytest.raises(StarlarkFail, match=r'no_binary_packages names "nosuch"'):
        _plan(hub, text, no_binary_packages=["nosuch"])
    # A wheel-only package cannot be forced to source.
    plan = _plan(hub, text, no_binary_packages=["markerpkg"])
    (target,) = _pkg(plan, "markerpkg")["unavailable"]
    assert "listed in no_binary_packages but the lock has no sdist" in target["message"]


def test_build_requirements_come_from_the_group_or_the_override(hub, build_lock):
    text = build_lock
    plan = _plan(hub, text, python_version="3.11")
    (build,) = _pkg(plan, "nativepkg")["builds"]
    assert build["deps"]["cp311_linux_aarch64"] == ["//setuptools", "//wheel"]
    assert build["sdist"].startswith("@pypi__nativepkg_1_0_0_tar_gz//")
    plan = _plan(hub, text, python_version="3.11", build_dependencies={"nativepkg": ["setuptools"]})
    (build,) = _pkg(plan, "nativepkg")["builds"]
    assert set(map(tuple, build["deps"].values())) == {("//setuptools",)}
    with pytest.raises(StarlarkFail, match=r'build_dependencies of "nativepkg" names "cython"'):
        _plan(hub, text, build_dependencies={"nativepkg": ["cython"]})


def test_console_scripts_live_in_a_bin_package_by_their_own_names(hub, build_lock):
    text = build_lock
    scripts = {"Mixed.Case_Pkg": ["mixed-case-hello", "mixed_case_pkg", "whl", "extra_x"]}
    plan = _plan(hub, text, console_scripts=scripts)
    pkg = _pkg(plan, "mixed_case_pkg")
    # Every script is <label>/bin:<script>, even one named like the package or a hub target.
    assert pkg["scripts"] == ["extra_x", "mixed-case-hello", "mixed_case_pkg", "whl"]
    # Only names free in the package's own folder are also <label>:<script>.
    assert pkg["script_aliases"] == ["mixed-case-hello"]
    with pytest.raises(StarlarkFail, match=r'console_scripts names package "nosuch"'):
        _plan(hub, text, console_scripts={"nosuch": ["x"]})
    for bad in ("a/b", "a:b", "-x", ".x", "a b", ""):
        with pytest.raises(StarlarkFail, match=r"console script .* of purepkg cannot be a target"):
            _plan(hub, text, console_scripts={"purepkg": [bad]})
    # py_console_script_binary declares <name>_entry_point beside <name>.
    with pytest.raises(StarlarkFail, match=r'"a" needs that target name for its entry point'):
        _plan(hub, text, console_scripts={"purepkg": ["a", "a_entry_point"]})


def test_console_scripts_render_into_the_bin_package(hub, build_lock):
    text = build_lock
    files = _render(hub, text, console_scripts={"purepkg": ["purepkg", "purepkg-hello"]})
    bin_build = files["purepkg/bin/BUILD.bazel"]
    assert 'name = "purepkg",' in bin_build and 'script = "purepkg",' in bin_build
    assert 'pkg = "//purepkg:purepkg",' in bin_build
    pkg_build = files["purepkg/BUILD.bazel"]
    assert 'actual = "//purepkg/bin:purepkg-hello",' in pkg_build
    assert '//purepkg/bin:purepkg"' not in pkg_build
    # Packages without scripts get no bin package.
    assert "platpkg/bin/BUILD.bazel" not in files


CP27_LOCK = _lock_text(
    f"""
    [[package]]
    name = "a"
    version = "1.0"
    source = {{ registry = "{URL}" }}
    wheels = [
        {_wheel("a", "1.0", "cp27-cp27mu-manylinux1_x86_64")},
        {_wheel("a", "1.0", "cp311-cp311-manylinux_2_17_x86_64")},
        {_wheel("a", "1.0")},
    ]
    """
)


def test_only_used_artifacts_get_repositories(hub):
    # A cp27 wheel fits no Python the lock allows: no repository may be declared for it.
    text = CP27_LOCK
    plan = _plan(hub, text)
    names = sorted(a["filename"] for a in plan["artifacts"])
    assert names == ["a-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "a-1.0-py3-none-any.whl"]
    assert all(a["repo"].startswith("pypi__") for a in plan["artifacts"])


def test_build_target_names_are_distinct_per_version(planner):
    # "_build_" + repo_safe(version) used to give "1.0+1" and "1.0.1" one name.
    versions = ["1.0.1", "1.0+1", "1.0_1", "1.0-1", "1-0.1", "1.0--1", "1!1.0", "1.0.post1", "V1.0"]
    names = [planner.build_target_name(v) for v in versions]
    assert len(set(names)) == len(names), names
    # The common case keeps its readable name.
    assert planner.build_target_name("1.0.0") == "_build_1_0_0"
    assert planner.build_target_name("1.0+1") == "_build_1_0+1"


def _sdist(name, version):
    filename = f"{name}-{version}.tar.gz"
    return f'{{ url = "{URL}/{filename}", hash = "sha256:{SHA}", size = 1 }}'


TWO_BUILDS_LOCK = _lock_text(
    f"""
    resolution-markers = ["sys_platform == 'linux'", "sys_platform != 'linux'"]

    [[package]]
    name = "c"
    version = "1.0+1"
    source = {{ registry = "{URL}" }}
    resolution-markers = ["sys_platform == 'linux'"]
    sdist = {_sdist("c", "1.0+1")}

    [[package]]
    name = "c"
    version = "1.0.1"
    source = {{ registry = "{URL}" }}
    resolution-markers = ["sys_platform != 'linux'"]
    sdist = {_sdist("c", "1.0.1")}
    """
)


def test_two_versions_that_both_build_get_two_targets(hub):
    # One version per os (resolution markers), each only as an sdist.
    text = TWO_BUILDS_LOCK
    plan = _plan(hub, text)
    pkg = _pkg(plan, "c")
    builds = {b["name"]: b["version"] for b in pkg["builds"]}
    assert builds == {"_build_1_0+1": "1.0+1", "_build_1_0_1": "1.0.1"}
    linux = {v for k, v in pkg["whl"].items() if "_linux_" in k}
    others = {v for k, v in pkg["whl"].items() if "_linux_" not in k}
    assert linux == {":_build_1_0+1"} and others == {":_build_1_0_1"}
    # Each build takes its own sdist.
    sdists = {b["version"]: b["sdist"] for b in pkg["builds"]}
    assert sdists["1.0+1"] != sdists["1.0.1"]


DOTTED_NAMES_LOCK = _lock_text(
    f"""
    [[package]]
    name = "Zope.Interface"
    version = "1.0"
    source = {{ registry = "{URL}" }}
    wheels = [{_wheel("zope_interface", "1.0")}]
    dependencies = [{{ name = "Dep_Pkg", extra = ["Fast.Mode"] }}]

    [[package]]
    name = "dep-pkg"
    version = "1.0"
    source = {{ registry = "{URL}" }}
    wheels = [{_wheel("dep_pkg", "1.0")}]

    [package.optional-dependencies]
    fast-mode = []
    """
)


def test_artifacts_carry_the_lockfile_and_hub_labels_come_from_the_planner(lock, hub):
    text = DOTTED_NAMES_LOCK
    model = lock.parse_lock(text, "//:uv.lock")
    # The lock model holds names, not hub labels.
    (dep,) = model["packages"][0]["dependencies"]
    assert dep == {"name": "dep-pkg", "version": "", "marker": "", "extras": ["fast-mode"]}
    plan = _plan(hub, text)
    pkg = _pkg(plan, "zope_interface")
    assert set(map(tuple, pkg["deps"].values())) == {("//dep_pkg", "//dep_pkg:extra_fast_mode")}
    assert {a["lockfile"] for a in plan["artifacts"]} == {"//:uv.lock"}


def test_spellings_become_alias_folders_that_never_meet_a_label(hub, build_lock):
    text = build_lock
    spellings = ["Mixed.Case_Pkg", "MIXED.CASE_PKG", "PurePkg", "purepkg", "Purepkg", "NoSuch"]
    plan = _plan(hub, text, spellings=spellings)
    aliases = {a["folder"]: (a["label"], a["names"]) for a in plan["aliases"]}
    labels = {p["label"] for p in plan["packages"]}
    # Every locked name's PEP 503 spelling, when it differs from the label, and each
    # written spelling; folders that differ only in case hold the same aliases.
    assert aliases["mixed-case-pkg"] == ("mixed_case_pkg", ["mixed-case-pkg"])
    group = ["MIXED.CASE_PKG", "Mixed.Case_Pkg"]
    assert aliases["Mixed.Case_Pkg"] == aliases["MIXED.CASE_PKG"] == ("mixed_case_pkg", group)
    # `PurePkg` folds onto the label's folder `purepkg`: a hint instead of an alias.
    assert "PurePkg" not in aliases and "Purepkg" not in aliases and "NoSuch" not in aliases
    assert {h["folder"]: h["label"] for h in plan["case_hints"]} == {
        "PurePkg": "purepkg",
        "Purepkg": "purepkg",
    }
    folded_labels = {label.lower() for label in labels}
    for folder in aliases:
        assert folder.lower() not in folded_labels and "/" not in folder
    files = _render(hub, text, spellings=spellings)
    assert 'actual = "//mixed_case_pkg",' in files["Mixed.Case_Pkg/BUILD.bazel"]
    assert files["Mixed.Case_Pkg/BUILD.bazel"] == files["MIXED.CASE_PKG/BUILD.bazel"]
    assert "PurePkg/BUILD.bazel" not in files


def test_requirement_names_are_read_as_written(names):
    assert names.requirement_name("Zope.Interface[fast]>=5; python_version >= '3.9'") == (
        "Zope.Interface"
    )
    assert names.requirement_name("  black ") == "black"
    assert names.requirement_name("pkg @ https://x/y.whl") == "pkg"
    # Text that does not start with a valid name gives none (no folder is made of it).
    for bad in ("", "-x", "x-", "[x]", "../x", ".x", 'x"'[1:]):
        assert names.requirement_name(bad) is None, bad
    assert names.requirement_name("x/y") == "x"


def _two_platform_lock():
    return _lock_text(
        f"""
        [[package]]
        name = "a"
        version = "1.0"
        source = {{ registry = "{URL}" }}
        wheels = [
            {_wheel("a", "1.0", "cp311-cp311-manylinux_2_17_x86_64")},
            {_wheel("a", "1.0", "cp311-cp311-macosx_11_0_arm64")},
            {_wheel("a", "1.0", "cp312-cp312-manylinux_2_17_x86_64")},
        ]
        """
    )


def test_declared_platforms_and_python_versions_are_all_that_is_planned(hub):
    full = _plan(hub, _two_platform_lock(), python_version="3.11")
    plan = _plan(
        hub,
        _two_platform_lock(),
        python_version="3.11",
        platforms=["linux_x86_64"],
        python_versions=["3.11"],
    )
    assert plan["platforms"] == ["linux_x86_64"]
    assert plan["python_versions"] == ["3.11"]
    assert {e["name"] for e in plan["marker_envs"]} == {"cp311_linux_x86_64"}
    assert all(e["name"].startswith("cp311_linux_x86_64_") for e in plan["envs"])
    # The environments kept choose exactly as in the full plan; nothing else is used.
    whl = _pkg(plan, "a")["whl"]
    assert whl == {k: v for k, v in _pkg(full, "a")["whl"].items() if k in whl}
    assert [a["filename"] for a in plan["artifacts"]] == [
        "a-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    ]
    assert full["platforms"] == [
        "linux_x86_64",
        "linux_aarch64",
        "macos_x86_64",
        "macos_aarch64",
        "windows_x86_64",
        "windows_aarch64",
    ]


def test_declared_platforms_and_versions_are_checked(hub):
    with pytest.raises(
        StarlarkFail,
        match=r'hub "pypi": platforms entry "linux_arm64" is not a platform rules_pyuv knows; '
        r"choose from linux_x86_64, ",
    ):
        _plan(hub, _two_platform_lock(), platforms=["linux_arm64"])
    with pytest.raises(
        StarlarkFail,
        match=r'python_versions entry "3.10" of hub "pypi" is not one the lock //:uv.lock allows',
    ):
        _plan(hub, _two_platform_lock(), python_versions=["3.10"])
    with pytest.raises(
        StarlarkFail,
        match=r'python_version = "3.12" of hub "pypi" is not in its python_versions \(3.11\)',
    ):
        _plan(hub, _two_platform_lock(), python_version="3.12", python_versions=["3.11"])
    # Without python_version, the lowest declared version is the default.
    plan = _plan(hub, _two_platform_lock(), python_versions=["3.13", "3.12"])
    assert plan["default_python_version"] == "3.12"
    assert plan["python_versions"] == ["3.12", "3.13"]


def test_a_hub_of_declared_platforms_guards_the_others(hub):
    files = _render(hub, _two_platform_lock(), platforms=["linux_x86_64", "linux_aarch64"])
    assert '"//:_planned_python_version"' in files["a/BUILD.bazel"]
    root = files["BUILD.bazel"]
    for name in ("macos_x86_64", "macos_aarch64", "windows_x86_64", "windows_aarch64"):
        assert f'":_platform_{name}": ":_unplanned_{name}"' in root
    assert "_platform_linux" not in root
    full = _render(hub, _two_platform_lock())
    assert "_planned_python_version" not in full["BUILD.bazel"] + full["a/BUILD.bazel"]


def starlark_calls(calls, request) -> None:
    """Every Starlark call of this module, for the session's Bazel build to answer."""
    parse = calls.load(LOCK).parse_lock
    hub = calls.load_source(HUB_CALLS, HUB_SOURCE)
    build_lock = _build_lock(request.getfixturevalue("session_lock_project"))
    two = _two_platform_lock()
    for text in (
        _lock_text("", header="version = 2\n"),
        '[tool]\nname = "x"\n',
        'version = 1\n[[package]]\nname = "x\n',
        MD5_HASH_LOCK,
        SVN_SOURCE_LOCK,
        DOTTED_NAMES_LOCK,
    ):
        parse(text, "//:uv.lock")
    bad_ssh = GIT_SSH_LOCK.replace("ssh://", "ext::ssh%20")
    plans = [
        (GIT_HTTPS_LOCK, {}),
        (GIT_SSH_LOCK, {}),
        (bad_ssh, {}),
        (GIT_NO_COMMIT_LOCK, {}),
        (NO_HASH_LOCK, {}),
        (ONE_WHEEL_LOCK, {"python_version": "3.9"}),
        (ONE_WHEEL_LOCK, {}),
        (CP27_LOCK, {}),
        (TWO_BUILDS_LOCK, {}),
        (DOTTED_NAMES_LOCK, {}),
        (build_lock, {"python_version": "3.11", "no_binary_packages": ["PlatPkg"]}),
        (build_lock, {"no_binary_packages": ["nosuch"]}),
        (build_lock, {"no_binary_packages": ["markerpkg"]}),
        (build_lock, {"python_version": "3.11"}),
        (
            build_lock,
            {"python_version": "3.11", "build_dependencies": {"nativepkg": ["setuptools"]}},
        ),
        (build_lock, {"build_dependencies": {"nativepkg": ["cython"]}}),
        (
            build_lock,
            {
                "console_scripts": {
                    "Mixed.Case_Pkg": ["mixed-case-hello", "mixed_case_pkg", "whl", "extra_x"]
                }
            },
        ),
        (build_lock, {"console_scripts": {"nosuch": ["x"]}}),
        (build_lock, {"console_scripts": {"purepkg": ["a", "a_entry_point"]}}),
        (two, {"python_version": "3.11"}),
        (
            two,
            {"python_version": "3.11", "platforms": ["linux_x86_64"], "python_versions": ["3.11"]},
        ),
        (two, {"platforms": ["linux_arm64"]}),
        (two, {"python_versions": ["3.10"]}),
        (two, {"python_version": "3.12", "python_versions": ["3.11"]}),
        (two, {"python_versions": ["3.13", "3.12"]}),
    ]
    plans += [
        (build_lock, {"console_scripts": {"purepkg": [bad]}})
        for bad in ("a/b", "a:b", "-x", ".x", "a b", "")
    ]
    spellings = ["Mixed.Case_Pkg", "MIXED.CASE_PKG", "PurePkg", "purepkg", "Purepkg", "NoSuch"]
    plans.append((build_lock, {"spellings": spellings}))
    for text, kwargs in plans:
        _plan(hub, text, **kwargs)
    for text, kwargs in (
        (build_lock, {"console_scripts": {"purepkg": ["purepkg", "purepkg-hello"]}}),
        (build_lock, {"spellings": spellings}),
        (two, {"platforms": ["linux_x86_64", "linux_aarch64"]}),
        (two, {}),
    ):
        _render(hub, text, **kwargs)
    hub.render_deps_text(GIT_HTTPS_LOCK, "pypi", "//:uv.lock")
    build_target_name = calls.load(PLANNER).build_target_name
    for version in ("1.0.1", "1.0+1", "1.0_1", "1.0-1", "1-0.1", "1.0--1", "1!1.0", "1.0.post1"):
        build_target_name(version)
    for version in ("V1.0", "1.0.0"):
        build_target_name(version)
    requirement_name = calls.load(NAMES).requirement_name
    for text in (
        "Zope.Interface[fast]>=5; python_version >= '3.9'",
        "  black ",
        "pkg @ https://x/y.whl",
        "x/y",
        *("", "-x", "x-", "[x]", "../x", ".x", 'x"'[1:]),
    ):
        requirement_name(text)
