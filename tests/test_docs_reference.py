"""Every attribute of a public rule, macro and module-extension tag is in the docs.

The reference pages restate the attributes by hand; this test keeps them from drifting.
Rules and tag classes are read from the real .bzl files in the Starlark harness (their
attribute dicts); macros from their ``def`` (parameters other than ``name`` and
``**kwargs``). An attribute counts as documented when its doc page names it in
backquotes, e.g. `` `python_version` ``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support.starlark_env import StarlarkEnv, StarlarkRef

REPO_ROOT = Path(__file__).resolve().parents[1]

# Public file -> the reference page that documents its symbols.
PAGES = {
    "//py:defs.bzl": "docs/rules.md",
    "//py:image.bzl": "docs/images.md",
    "//py:toolchains.bzl": "docs/toolchains.md",
    "//py:repositories.bzl": "docs/toolchains.md",
    "//py:extensions.bzl": "docs/toolchains.md",
    "//uv:repositories.bzl": "docs/lock.md",
    "//uv:extensions.bzl": "docs/lock.md",
    "//uv:defs.bzl": "docs/uv-tool.md",
}
# Attributes every rule has, documented by Bazel.
COMMON = {"name", "visibility", "tags", "testonly", "repo_mapping"}


@pytest.fixture(scope="module")
def env():
    return StarlarkEnv(REPO_ROOT)


def _path(label: str) -> Path:
    package, name = label[2:].split(":")
    return REPO_ROOT / package / name


def _macro_params(public: str, symbol: str) -> list[str]:
    """Parameters of the function `symbol` of a public file, following its re-export."""
    tree = ast.parse(_path(public).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == symbol:
            args = node.args.args + node.args.kwonlyargs
            return [a.arg for a in args if a.arg not in COMMON]
    source = _path(public).read_text(encoding="utf-8")
    alias = re.search(rf"^{symbol} = (\w+)$", source, re.M)
    assert alias, f"{public}: cannot find the definition of {symbol}"
    for load in re.finditer(r'^load\(\s*"([^"]+)"(.*?)\)', source, re.M | re.S):
        found = re.search(rf'\b{alias.group(1)} = "(\w+)"', load.group(2))
        if found:
            return _macro_params(load.group(1), found.group(1))
    raise AssertionError(f"{public}: {symbol} is not defined or loaded")


def public_attributes(env) -> list[tuple[str, str, str, str]]:
    """(public file, symbol, attribute, page) for every documented-API attribute."""
    out = []
    for public, page in PAGES.items():
        module = env.load(public)
        for symbol in dir(module):
            if symbol.startswith("_"):
                continue
            value = getattr(module, symbol)
            if not isinstance(value, StarlarkRef):
                continue
            if value.kind in ("rule", "repository_rule"):
                probe = env.load_source(
                    f"//tests:docs_probe_{symbol}.bzl",
                    f'load("{public}", "{symbol}")\n\n'
                    f"def attrs():\n"
                    f"    return sorted({symbol}(__harness_query__ = True).info.attrs.keys())\n",
                )
                names = probe.attrs()
            elif value.kind == "function":
                names = _macro_params(public, symbol)
            elif value.kind == "module_extension":
                for tag, tag_class in value.info.tag_classes.items():
                    out += [(public, f"{symbol}.{tag}", a, page) for a in tag_class.info.attrs]
                continue
            else:
                continue  # providers
            out += [(public, symbol, a, page) for a in names if not a.startswith("_")]
    return [row for row in out if row[2] not in COMMON]


def test_every_public_attribute_is_documented(env):
    rows = public_attributes(env)
    assert len(rows) > 40, rows  # the probe must find the ruleset's attributes
    pages = {page: (REPO_ROOT / page).read_text(encoding="utf-8") for page in set(PAGES.values())}
    missing = [
        f"{page}: `{attr}` of {symbol} ({public})"
        for public, symbol, attr, page in rows
        if f"`{attr}`" not in pages[page]
    ]
    assert not missing, "undocumented attributes:\n" + "\n".join(missing)
