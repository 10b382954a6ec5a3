"""Per-package overrides end to end, with real Bazel 4.2.3 on a lock made by real `uv lock`.

One workspace, locked against the local index plus a git source whose in-tree backend
records what it was given:

- `extra_deps`: platpkg also brings a py_library of the workspace and a locked package;
- `exclude_deps`: markerpkg[cli] no longer brings Mixed.Case_Pkg;
- `replace`: purepkg is the workspace's own py_library, also where markerpkg depends on it;
- `sdist_build_env` / `sdist_config_settings`: reach the git package's build backend;
- `no_build_packages` (nativepkg) and `no_build` (a second hub): refused at analysis time
  for the target platform, naming the package, the platform, what would need building
  and the fix;
- every name is checked against the lock: typos and bad values fail naming the attribute
  and the package.
"""

from __future__ import annotations

import json

import pytest

from tests.support.bazel import HOST_PYTHON, BazelWorkspace, hub_workspace
from tests.support.git_fixtures import make_recording_repo
from tests.support.index_fixtures import BUILD_GROUP, LockProject

pytestmark = pytest.mark.bazel

PY = HOST_PYTHON

HUBS = hub_workspace(
    """

uv_lock(
    name = "pypi",
    exclude_deps = {"markerpkg": ["Mixed.Case_Pkg"]},
    extra_deps = {"PlatPkg": ["//shim", "mixed-case-pkg"]},
    lockfile = "//:uv.lock",
    no_build_packages = ["nativepkg"],
    python_version = "{py}",
    replace = {"purepkg": "//third_party/purepkg"},
    sdist_build_env = {"gitpkg": ["PYUV_TEST_FLAVOR=spicy", "PYUV_TEST_EMPTY="]},
    sdist_config_settings = {"gitpkg": ["--mode=fast", "--opt=a", "--opt=b"]},
)

uv_lock(name = "strict", lockfile = "//:uv.lock", no_build = True, python_version = "{py}")

"""
)

# Hubs with one mistake each; fetched only when a test names them.
MISTAKES = {
    "typo_package": (
        'extra_deps = {"nosuchpkg": ["purepkg"]}',
        'extra_deps names package "nosuchpkg"',
    ),
    "typo_dep": (
        'exclude_deps = {"markerpkg": ["platpkg"]}',
        'exclude_deps of package "markerpkg": "platpkg" is not one of its locked dependencies',
    ),
    "typo_extra": (
        'extra_deps = {"purepkg": ["nosuchdep"]}',
        'extra_deps of package "purepkg": "nosuchdep" is neither a locked package nor an '
        "absolute label",
    ),
    "relative_label": (
        'replace = {"purepkg": ":mine"}',
        'replace of package "purepkg": ":mine" is a relative label',
    ),
    "typo_no_build": (
        'no_build_packages = ["nativepkgg"]',
        'no_build_packages names package "nativepkgg"',
    ),
    "fixed_env": (
        'sdist_build_env = {"gitpkg": ["SOURCE_DATE_EPOCH=1"]}',
        'sdist_build_env of package "gitpkg": SOURCE_DATE_EPOCH is fixed',
    ),
    "wheel_only": (
        'sdist_config_settings = {"markerpkg": ["a=b"]}',
        'sdist_config_settings of package "markerpkg": no target platform builds it from an sdist',
    ),
}

APPS = """\
load("@rules_pyuv//py:defs.bzl", "py_binary")

py_binary(
    name = "extra",
    srcs = ["extra.py"],
    deps = ["@pypi//platpkg"],
)

py_binary(
    name = "exclude",
    srcs = ["exclude.py"],
    deps = ["@pypi//markerpkg:extra_cli"],
)

py_binary(
    name = "git",
    srcs = ["git.py"],
    deps = ["@pypi//gitpkg"],
)
"""

EXTRA = """\
import mixed_case_pkg
import platpkg
import shim_mod

print(shim_mod.NAME, mixed_case_pkg.__name__, platpkg.__name__)
"""

EXCLUDE = """\
import markerpkg
import purepkg

print(purepkg.hello())
try:
    import mixed_case_pkg
except ImportError:
    print("Mixed.Case_Pkg excluded")
else:
    print("Mixed.Case_Pkg present")
"""

GIT = """\
import json

import gitpkg

print(json.dumps(gitpkg.build_info(), sort_keys=True))
"""

LIBRARY = """\
load("@rules_pyuv//py:defs.bzl", "py_library")

py_library(
    name = "{name}",
    srcs = {srcs},
    imports = ["."],
    visibility = ["//visibility:public"],
)
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("overrides")
    repo = base / "source repo"
    make_recording_repo(repo)
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        [
            f"gitpkg @ git+{repo.as_uri()}@v1",
            "markerpkg[cli]==1.0.0",
            "nativepkg==1.0.0",
            "platpkg==1.0.0",
            "purepkg>=1.0",
        ],
        groups=BUILD_GROUP,
    )
    workspace = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    workspace.write("uv.lock", lock.read_text())
    mistakes = "".join(
        f'\nuv_lock(name = "{name}", lockfile = "//:uv.lock", {attr})\n'
        for name, (attr, _) in MISTAKES.items()
    )
    workspace.append("WORKSPACE", HUBS.replace("{py}", PY) + mistakes)
    workspace.write("app/BUILD.bazel", APPS)
    workspace.write("app/extra.py", EXTRA)
    workspace.write("app/exclude.py", EXCLUDE)
    workspace.write("app/git.py", GIT)
    workspace.write("shim/BUILD.bazel", LIBRARY.format(name="shim", srcs='["shim_mod.py"]'))
    workspace.write("shim/shim_mod.py", 'NAME = "shim"\n')
    workspace.write(
        "third_party/purepkg/BUILD.bazel",
        LIBRARY.format(name="purepkg", srcs='["purepkg/__init__.py"]'),
    )
    workspace.write(
        "third_party/purepkg/purepkg/__init__.py",
        "def hello():\n    return 'purepkg replaced'\n",
    )
    yield workspace
    workspace.close()


def test_extra_deps_add_a_workspace_library_and_a_locked_package(ws):
    out = ws.run("run", "//app:extra").stdout.splitlines()
    assert out == ["shim mixed_case_pkg platpkg"]


def test_exclude_deps_drop_a_dependency_and_replace_stands_in_everywhere(ws):
    out = ws.run("run", "//app:exclude").stdout.splitlines()
    # markerpkg depends on purepkg: the hub gives it the workspace's library instead.
    assert out == ["purepkg replaced", "Mixed.Case_Pkg excluded"]
    build = (ws.output_base / "external" / "pypi" / "purepkg" / "BUILD.bazel").read_text()
    assert 'actual = "@//third_party/purepkg"' in build
    # Nothing of the lock's purepkg is fetched.
    assert not list((ws.output_base / "external").glob("pypi__purepkg*"))


def test_sdist_build_env_and_config_settings_reach_the_backend(ws):
    info = json.loads(ws.run("run", "//app:git").stdout.strip())
    assert info["config_settings"] == {"--mode": "fast", "--opt": ["a", "b"]}
    assert info["env"] == {
        "PYUV_TEST_EMPTY": "",
        "PYUV_TEST_FLAVOR": "spicy",
        "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_GITPKG": "1.2.0",
    }


def test_no_build_packages_fails_at_analysis_naming_package_platform_and_fix(ws):
    proc = ws.run("build", "--nobuild", "@pypi//nativepkg", check=False)
    assert proc.returncode != 0
    err = proc.stderr
    assert "nativepkg 1.0.0 has no wheel for linux" in err, err
    assert 'hub "pypi" refuses to build it from its sdist (no_build_packages)' in err, err
    assert "would need building for this platform: nativepkg 1.0.0." in err, err
    assert 'remove "nativepkg" from no_build_packages of hub "pypi"' in err, err
    # Packages with wheels are not affected.
    ws.run("build", "--nobuild", "@pypi//platpkg")


def test_no_build_for_the_whole_hub_lists_everything_that_would_need_building(ws):
    proc = ws.run("build", "--nobuild", "@strict//gitpkg", check=False)
    assert proc.returncode != 0
    err = proc.stderr
    assert "gitpkg 1.2.0 has no wheel for linux" in err, err
    assert "(no_build = True)" in err, err
    assert "would need building for this platform: gitpkg 1.2.0, nativepkg 1.0.0." in err, err
    assert 'set no_build = False on hub "strict"' in err, err
    # The refusal needs no fetch of the source.
    assert not list((ws.output_base / "external").glob("strict__gitpkg*/*.tar.gz"))


@pytest.mark.parametrize("hub", sorted(MISTAKES))
def test_mistakes_fail_naming_the_attribute_and_the_package(ws, hub):
    proc = ws.run("query", f"@{hub}//:all", check=False)
    assert proc.returncode != 0
    assert MISTAKES[hub][1] in proc.stderr, proc.stderr
    assert f'hub "{hub}"' in proc.stderr, proc.stderr
