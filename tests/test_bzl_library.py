"""Every .bzl file of the ruleset has a bzl_library whose deps are exactly its loads.

The bzl_library targets make the ruleset docs-ready (stardoc needs the transitive
Starlark sources of a public file). Nothing in Bazel checks that their deps follow the
load statements, so this test does: on a mismatch it prints the target to write.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["", "uv", "uv/private", "py", "py/private"]
LOAD = re.compile(r'^load\(\s*"([^"]+)"', re.M)
# Loads from other repositories: their .bzl files are deps as they are (bzl_library
# accepts .bzl files; Bazel 4.2.3's @bazel_tools has no bzl_library targets).
EXTERNAL = {
    "@bazel_tools//tools/build_defs/repo:http.bzl",
    "@bazel_tools//tools/build_defs/repo:utils.bzl",
}


def _library_label(package: str, load: str) -> str:
    """The bzl_library a load statement in `package` needs."""
    if load.startswith("@") and not load.startswith("@rules_pyuv//"):
        assert load in EXTERNAL, f"no bzl_library is known for {load}; add it to EXTERNAL"
        return load
    load = load.removeprefix("@rules_pyuv")
    if load.startswith(":"):
        pkg, name = package, load[1:]
    else:
        pkg, name = load[2:].split(":")
    target = name.removesuffix(".bzl")
    return f":{target}" if pkg == package else f"//{pkg}:{target}"


def expected_libraries(package: str) -> dict[str, list[str]]:
    """{file name: sorted deps} for every .bzl file of a package."""
    out = {}
    for bzl in sorted((REPO_ROOT / package).glob("*.bzl")):
        loads = LOAD.findall(bzl.read_text(encoding="utf-8"))
        out[bzl.name] = sorted({_library_label(package, load) for load in loads})
    return out


def render(name: str, deps: list[str]) -> str:
    lines = ["bzl_library(", f'    name = "{name.removesuffix(".bzl")}",']
    lines.append(f'    srcs = ["{name}"],')
    lines.append('    visibility = ["//visibility:public"],')
    if deps:
        lines.append("    deps = [")
        lines += [f'        "{d}",' for d in deps]
        lines.append("    ],")
    lines.append(")")
    return "\n".join(lines)


def declared_libraries(package: str) -> dict[str, list[str]]:
    build = (REPO_ROOT / package / "BUILD.bazel").read_text(encoding="utf-8")
    out = {}
    for block in re.findall(r"^bzl_library\((.*?)^\)", build, re.M | re.S):
        (src,) = re.findall(r'srcs = \["([^"]+)"\]', block)
        deps = re.search(r"deps = \[(.*?)\]", block, re.S)
        out[src] = sorted(re.findall(r'"([^"]+)"', deps.group(1))) if deps else []
    return out


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p or "root")
def test_every_bzl_file_has_a_library_with_its_loads(package):
    want = expected_libraries(package)
    assert want, f"no .bzl files in {package!r}"
    got = declared_libraries(package)
    wrong = [render(name, deps) for name, deps in want.items() if got.get(name) != deps]
    extra = sorted(set(got) - set(want))
    assert not wrong and not extra, (
        f"{package or '.'}/BUILD.bazel: bzl_library targets to write:\n\n"
        + "\n\n".join(wrong)
        + (f"\n\nand to remove (no such file): {extra}" if extra else "")
    )
