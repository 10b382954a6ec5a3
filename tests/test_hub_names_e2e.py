"""Hub labels as users write names, and console scripts by their own names, in real Bazel.

The workspace's pyproject.toml files (the root project and a workspace member) spell
their dependencies their own way (`Mixed.Case_Pkg`, `Mixed_Case.Pkg`, `PurePkg`); uv
writes only normalized names into the lock, so the hub reads the spellings from those
files. Console scripts live in a `bin` sub-package per package, so a script named like
its package (`pytest`) is a label too. Locked by real `uv lock` against the local index,
built and run by Bazel 4.2.3.
"""

from __future__ import annotations

import pytest

from tests.support.bazel import BazelWorkspace, hub_workspace
from tests.support.uvlock import make_project, uv_lock

pytestmark = pytest.mark.bazel

WORKSPACE = hub_workspace(
    """

uv_lock(
    name = "pypi",
    console_scripts = {
        "Mixed.Case_Pkg": ["mixed-case-hello"],
        "pytest": ["pytest", "py.test"],
    },
    lockfile = "//:uv.lock",
    python_version = "3.11",
)

"""
)

APP_BUILD = """\
load("@rules_pyuv//py:defs.bzl", "py_binary")

py_binary(
    name = "main",
    srcs = ["main.py"],
    deps = [
        "@pypi//Mixed.Case_Pkg",
        "@pypi//Mixed_Case.Pkg",
        "@pypi//mixed-case-pkg",
        "@pypi//purepkg",
    ],
)
"""

APP_MAIN = """\
import mixed_case_pkg
import purepkg

print(mixed_case_pkg.hello())
print(purepkg.hello())
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("names")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    make_project(
        ws.root,
        "app",
        ["Mixed.Case_Pkg>=0.1", "PurePkg", "markerpkg[CLI]", "tool"],
        groups={"test": ["PyTest"], "lint": ["Purepkg"]},
        requires_python=">=3.11",
        extra_uv_config={
            "workspace": {"members": ["libs/tool"]},
            "sources": {"tool": {"workspace": True}},
        },
    )
    # A workspace member with its own spelling of a dependency.
    make_project(
        ws.root / "libs" / "tool",
        "tool",
        ["Mixed_Case.Pkg"],
        package=True,
        requires_python=">=3.11",
    )
    uv_lock(ws.root, package_index.url, cache_dir=uv_cache_dir)
    ws.append("WORKSPACE", WORKSPACE)
    ws.write("app/BUILD.bazel", APP_BUILD)
    ws.write("app/main.py", APP_MAIN)
    yield ws
    ws.close()


def test_spellings_from_the_project_files_are_labels(ws):
    out = ws.run("run", "//app:main").stdout.splitlines()
    assert out[0].startswith("Mixed.Case_Pkg 0.1.0")
    assert out[1].startswith("purepkg 1.0.0")
    # The normalized spelling is a label too, and so are the extras of a spelling.
    ws.run(
        "build", "@pypi//mixed-case-pkg", "@pypi//Mixed.Case_Pkg:whl", "@pypi//Mixed_Case.Pkg:whl"
    )


def test_a_spelling_that_differs_only_in_case_names_the_label(ws):
    # `PurePkg` and `Purepkg` would share a folder with `purepkg` on a case-insensitive
    # file system: each is a target that fails naming the label to write.
    for spelling, label in (("PurePkg", "purepkg"), ("Purepkg", "purepkg"), ("PyTest", "pytest")):
        proc = ws.run("build", f"@pypi//{spelling}", check=False)
        assert proc.returncode != 0
        assert f"@pypi//{spelling} differs from the label @pypi//{label}" in proc.stderr


def test_a_script_named_like_its_package_runs_with_arguments(ws):
    proc = ws.run("run", "@pypi//pytest/bin:pytest", "--", "--version")
    assert (proc.stdout + proc.stderr).count("pytest 9.2.0") >= 1
    dotted = ws.run("run", "@pypi//pytest/bin:py.test", "--", "--version")
    assert "pytest 9.2.0" in dotted.stdout + dotted.stderr
    # The main script and a script whose name is free in the package's folder stay.
    assert "Mixed.Case_Pkg 0.1.0" in ws.run("run", "@pypi//mixed_case_pkg:bin").stdout
    named = ws.run("run", "@pypi//mixed_case_pkg/bin:mixed-case-hello").stdout
    assert named == ws.run("run", "@pypi//mixed_case_pkg:mixed-case-hello").stdout
    # `@pypi//pytest:pytest` is still the package, never the script.
    kind = ws.run("query", "--output=label_kind", "@pypi//pytest:pytest").stdout
    assert kind.startswith("uv_package rule"), kind
