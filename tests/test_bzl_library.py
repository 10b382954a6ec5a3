"""Every .bzl file of the ruleset has a bzl_library whose deps are exactly its loads.

The bzl_library targets make the ruleset docs-ready (stardoc needs the transitive
Starlark sources of a public file). Each package declares them from one table
(`bzl_libraries(deps = {...})`, private/bzl_libraries.bzl). Nothing in Bazel checks that
the deps follow the load statements, so this test does, on the targets Bazel really
declares (`bazel query`): on a mismatch it prints the table entry to write.
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
BAZEL = REPO_ROOT / "tools" / "bazel4" / "bazel"
PACKAGES = ["", "private", "uv", "uv/private", "py", "py/private"]
LOAD = re.compile(r'^load\(\s*"([^"]+)"', re.M)
# Loads from other repositories -> the dep they need: a bzl_library where the repository
# has one, else the .bzl file itself (bzl_library accepts files; Bazel 4.2.3's
# @bazel_tools has no bzl_library targets).
EXTERNAL = {
    "@bazel_skylib//:bzl_library.bzl": "@bazel_skylib//:bzl_library",
    **{
        f"@bazel_tools//tools/build_defs/repo:{f}": f"@bazel_tools//tools/build_defs/repo:{f}"
        for f in ("http.bzl", "utils.bzl")
    },
}


def _library_label(package: str, load: str) -> str:
    """The bzl_library (absolute label) a load statement in `package` needs."""
    if load.startswith("@") and not load.startswith("@rules_pyuv//"):
        assert load in EXTERNAL, f"no bzl_library is known for {load}; add it to EXTERNAL"
        return EXTERNAL[load]
    load = load.removeprefix("@rules_pyuv")
    if load.startswith(":"):
        pkg, name = package, load[1:]
    else:
        pkg, name = load[2:].split(":")
    return f"//{pkg}:{name.removesuffix('.bzl')}"


def expected_libraries(package: str) -> dict[str, list[str]]:
    """{file name: sorted absolute deps} for every .bzl file of a package."""
    out = {}
    for bzl in sorted((REPO_ROOT / package).glob("*.bzl")):
        loads = LOAD.findall(bzl.read_text(encoding="utf-8"))
        out[bzl.name] = sorted({_library_label(package, load) for load in loads})
    return out


def parse_query_build(text: str) -> dict[str, dict[str, list[str]]]:
    """{package: {file name: sorted deps}} of bzl_library targets, from `--output=build`."""
    out: dict[str, dict[str, list[str]]] = {}
    for block in re.findall(r"^bzl_library\((.*?)^\)", text, re.M | re.S):
        srcs = re.search(r"^\s*srcs = \[(.*?)\]", block, re.M | re.S)
        (src,) = re.findall(r'"//([^:"]*):([^"]+)"', srcs.group(1))
        deps = re.search(r"^\s*deps = \[(.*?)\]", block, re.M | re.S)
        out.setdefault(src[0], {})[src[1]] = (
            sorted(re.findall(r'"([^"]+)"', deps.group(1))) if deps else []
        )
    return out


@functools.cache
def declared_libraries() -> dict[str, dict[str, list[str]]]:
    """The bzl_library targets Bazel declares in the repository, by package."""
    packages = " + ".join(f"//{p}:*" for p in PACKAGES)
    proc = subprocess.run(
        # The startup options of tools/test's `bazel test //...` server: under tools/test
        # that server answers; alone, the server goes away a minute after the query.
        [
            str(BAZEL),
            "--max_idle_secs=60",
            "--host_jvm_args=-XX:TieredStopAtLevel=1",
            "query",
            f"kind(bzl_library, {packages})",
            "--output=build",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"bazel query failed:\n{proc.stderr}"
    return parse_query_build(proc.stdout)


def render(package: str, name: str, deps: list[str]) -> str:
    """The table entry of a file, with deps of the same package written ":name"."""
    own = f"//{package}:"
    short = sorted(d.replace(own, ":", 1) if d.startswith(own) else d for d in deps)
    return f'    "{name.removesuffix(".bzl")}": [' + ", ".join(f'"{d}"' for d in short) + "],"


def test_query_output_is_parsed():
    """The parser reads name, srcs and deps the way Bazel 4.2.3 prints a macro's target."""
    text = """\
# /x/uv/private/BUILD.bazel:34:14
bzl_library(
  name = "target_package",
  visibility = ["//visibility:public"],
  generator_name = "target_package",
  generator_function = "bzl_libraries",
  srcs = ["//uv/private:target_package.bzl"],
  deps = ["//py/private:providers", "//uv/private:names"],
)
bzl_library(
  name = "repositories",
  srcs = ["//:repositories.bzl"],
)
"""
    assert parse_query_build(text) == {
        "uv/private": {"target_package.bzl": ["//py/private:providers", "//uv/private:names"]},
        "": {"repositories.bzl": []},
    }


def test_no_bzl_file_outside_the_checked_packages():
    """A new package with .bzl files must be listed in PACKAGES (and get its table)."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.bzl"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    packages = {str(Path(f).parent).removeprefix(".") for f in tracked}
    packages = {"" if p == "." else p for p in packages}
    unchecked = sorted(
        p for p in packages if not p.startswith(("e2e", "tests", "tools")) and p not in PACKAGES
    )
    assert not unchecked, f"packages with .bzl files but no bzl_library check: {unchecked}"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p or "root")
def test_every_bzl_file_has_a_library_with_its_loads(package):
    want = expected_libraries(package)
    assert want, f"no .bzl files in {package!r}"
    got = declared_libraries().get(package, {})
    wrong = [render(package, name, deps) for name, deps in want.items() if got.get(name) != deps]
    extra = sorted(set(got) - set(want))
    assert not wrong and not extra, (
        f"{package or '.'}/BUILD.bazel: entries to write in bzl_libraries(deps = {{...}}):\n\n"
        + "\n".join(wrong)
        + (f"\n\nand to remove (no such file): {extra}" if extra else "")
    )
