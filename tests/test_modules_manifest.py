"""Unit tests of ``py/private/modules_manifest.py``: the Gazelle modules manifest.

Installed trees are real: wheels built with ``tests/support/pkgbuild.py`` and installed by
``uv/private/whl_install.py``, as ``uv_package`` does. The YAML is read back with a strict
reader of the subset the tool writes (the layout rules_python's Gazelle manifest uses).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from tests.support.pkgbuild import build_wheel

REPO_ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str):
    # A tool imports the modules beside it (whl_install: the wheel library), as sys.path[0]
    # gives them in actions.
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load(REPO_ROOT / "py" / "private" / "modules_manifest.py", "rules_pyuv_modules_manifest")
whl_install = _load(REPO_ROOT / "uv" / "private" / "whl_install.py", "rules_pyuv_whl_install")

# The rule's default, read from the .bzl so the test cannot drift from it.
_BZL = (REPO_ROOT / "py" / "private" / "modules_manifest.bzl").read_text()
DEFAULT_EXCLUDES = [
    json.loads(s)
    for s in re.findall(
        r'^\s+("(?:[^"\\]|\\.)*"),$',
        _BZL.split("DEFAULT_EXCLUDE_PATTERNS = [")[1].split("]\n")[0],
        re.M,
    )
]
NS_PKGUTIL = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"
NS_PKG_RESOURCES = "__import__('pkg_resources').declare_namespace(__name__)\n"


def read_manifest(text: str) -> dict:
    """Parses the YAML subset the tool writes; fails on anything else."""

    def scalar(s: str) -> str:
        if s.startswith('"'):
            return json.loads(s)
        assert re.match(r"^[A-Za-z_][A-Za-z0-9_.-]*$", s), s
        assert s.lower() not in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
        return s

    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "manifest:"
    out: dict = {"modules_mapping": {}, "pip_repository": {}}
    section = None
    i = 1
    while i < len(lines) and lines[i].startswith("  "):
        ln = lines[i]
        if ln == "  modules_mapping: {}":
            section = None
        elif ln in ("  modules_mapping:", "  pip_repository:"):
            section = ln.strip()[:-1]
        else:
            m = re.match(r'^    ("(?:[^"\\]|\\.)*"|[^:\s]+): (.+)$', ln)
            assert m and section, ln
            out[section][scalar(m.group(1))] = scalar(m.group(2))
        i += 1
    m = re.match(r"^integrity: ([0-9a-f]{64})$", lines[i])
    assert m and i == len(lines) - 1, lines[i:]
    out["integrity"] = m.group(1)
    return out


class Trees:
    """Builds wheels, installs them like uv_package does and runs the tool on them."""

    def __init__(self, base: Path):
        self.base = base
        self.installed: list[tuple[Path, Path]] = []

    def add(self, name: str, files: dict, tag: str = "py3-none-any") -> None:
        wheel = build_wheel(self.base / "wheels", name, "1.0", files=files, tag=tag)
        tree = self.base / "trees" / f"{tool.snake_name(name)}_site"
        manifest = whl_install.install(wheel, tree)
        manifest_path = Path(str(tree) + ".json")
        manifest_path.write_text(json.dumps(manifest))
        self.installed.append((tree, manifest_path))

    def run(self, *extra: str, excludes=None) -> tuple[int, str]:
        out = self.base / "out.yaml"
        argv = ["--hub", "pypi", "--out", str(out), "--label", "//:gazelle_manifest", *extra]
        for pattern in DEFAULT_EXCLUDES if excludes is None else excludes:
            argv += ["--exclude", pattern]
        for tree, manifest in self.installed:
            argv += ["--installed", str(tree), str(manifest)]
        rc = tool.main(argv)
        return rc, out.read_text() if rc == 0 else ""

    def mapping(self, *extra: str, **kw) -> dict:
        rc, text = self.run(*extra, **kw)
        assert rc == 0
        return read_manifest(text)["modules_mapping"]


@pytest.fixture
def trees(tmp_path) -> Trees:
    return Trees(tmp_path)


def test_top_level_packages_map_to_the_distribution_name_as_metadata_spells_it(trees):
    trees.add("PyYAML", {"yaml/__init__.py": "", "yaml/composer.py": "", "_yaml/__init__.py": ""})
    trees.add("Mixed.Case_Pkg", {"mixed_case_pkg/__init__.py": ""})
    assert trees.mapping() == {"yaml": "PyYAML", "mixed_case_pkg": "Mixed.Case_Pkg"}


def test_single_module_distributions(trees):
    trees.add("six", {"six.py": ""})
    trees.add("typing-extensions", {"typing_extensions.py": ""})
    assert trees.mapping() == {"six": "six", "typing_extensions": "typing-extensions"}


def test_namespace_packages_map_their_first_real_package(trees):
    # PEP 420: no __init__.py in google/ or google/cloud/.
    trees.add(
        "google-cloud-storage",
        {
            "google/cloud/storage/__init__.py": "",
            "google/cloud/storage/blob.py": "",
            "google/cloud/storage/_helpers.py": "",
        },
    )
    trees.add("google-api-core", {"google/api_core/__init__.py": "", "google/api_core/x.py": ""})
    # A module straight inside a namespace folder.
    trees.add("google-crc32c", {"google/crc32c.py": ""})
    # pkgutil / pkg_resources namespaces: the __init__.py only declares the namespace.
    trees.add(
        "zope.interface", {"zope/__init__.py": NS_PKG_RESOURCES, "zope/interface/__init__.py": ""}
    )
    trees.add("zope.event", {"zope/__init__.py": NS_PKGUTIL, "zope/event/__init__.py": ""})
    assert trees.mapping() == {
        "google.api_core": "google-api-core",
        "google.cloud.storage": "google-cloud-storage",
        "google.crc32c": "google-crc32c",
        "zope.event": "zope.event",
        "zope.interface": "zope.interface",
    }


def test_extension_modules(trees):
    so = b"\x7fELF not really"
    trees.add(
        "fastext",
        {
            "fastext.cpython-311-x86_64-linux-gnu.so": so,
            "fastext_abi3.abi3.so": so,
            "_fastext_private.cpython-311-x86_64-linux-gnu.so": so,
        },
        tag="cp311-cp311-manylinux_2_17_x86_64",
    )
    trees.add("winext", {"winext.cp311-win_amd64.pyd": so}, tag="cp311-cp311-win_amd64")
    # A package whose __init__ is compiled.
    trees.add("cypkg", {"cypkg/__init__.cpython-311-x86_64-linux-gnu.so": so, "cypkg/x.py": ""})
    assert trees.mapping() == {
        "cypkg": "cypkg",
        "fastext": "fastext",
        "fastext_abi3": "fastext",
        "winext": "winext",
    }


def test_metadata_caches_junk_and_non_modules_are_skipped(trees):
    trees.add(
        "sloppy",
        {
            "sloppy/__init__.py": "",
            "tests/__init__.py": "",
            "tests/test_sloppy.py": "",
            "test/conftest.py": "",
            "docs/conf.py": "",
            "examples/demo.py": "",
            "benchmarks/bench.py": "",
            "__pycache__/sloppy_extra.cpython-311.pyc": b"",
            "sloppy_extra-1.0.pth": "import sys\n",
            "sloppy-data/helper.py": "",  # not an identifier: not importable by that name
            "class/__init__.py": "",  # a keyword
            "sloppy.pyi": "",
            "README.txt": "",
            "sloppy-1.0.data/purelib/sloppy_pure.py": "",  # installed into site-packages
            "sloppy-1.0.data/scripts/sloppy-run": "#!python\n",
            "sloppy-1.0.data/headers/sloppy.h": "",
        },
    )
    assert trees.mapping() == {"sloppy": "sloppy", "sloppy_pure": "sloppy"}


def test_exclude_patterns_replace_the_default(trees):
    trees.add("pytest", {"pytest/__init__.py": "", "_pytest/__init__.py": "", "py.py": ""})
    trees.add("sloppy", {"sloppy/__init__.py": "", "tests/__init__.py": ""})
    assert trees.mapping() == {"pytest": "pytest", "py": "pytest", "sloppy": "sloppy"}
    assert trees.mapping(excludes=["^py$"]) == {
        "_pytest": "pytest",
        "pytest": "pytest",
        "sloppy": "sloppy",
        "tests": "sloppy",
    }


def test_stub_distributions_map_their_own_name(trees):
    trees.add("types-six", {"six-stubs/__init__.pyi": "", "six-stubs/moves.pyi": ""})
    trees.add("six", {"six.py": ""})
    assert trees.mapping() == {"six": "six", "types_six": "types-six"}


def test_two_packages_providing_a_name_fail_unless_overridden(trees, capsys):
    trees.add("clasha", {"clash/__init__.py": "A = 1\n"})
    trees.add("clashb", {"clash/__init__.py": "B = 1\n", "clashb_only.py": ""})
    rc, _ = trees.run()
    err = capsys.readouterr().err
    assert rc == 1
    assert "//:gazelle_manifest" in err
    assert "'clash' is provided by several packages" in err
    assert "clasha, clashb" in err
    assert 'modules_override = {"clash": "clasha"}' in err
    assert trees.mapping("--override", "clash=ClashB") == {
        "clash": "clashb",
        "clashb_only": "clashb",
    }


def test_override_must_name_a_package_of_deps(trees, capsys):
    trees.add("six", {"six.py": ""})
    rc, _ = trees.run("--override", "jwt=pyjwt")
    assert rc == 1
    assert "'pyjwt', which is not one of the packages of deps" in capsys.readouterr().err
    # An override can also add a name the scan does not find.
    assert trees.mapping("--override", "six.moves=six") == {"six": "six", "six.moves": "six"}


def test_invalid_exclude_pattern_is_reported(trees, capsys):
    trees.add("six", {"six.py": ""})
    rc, _ = trees.run(excludes=["("])
    assert rc == 1
    assert "exclude_patterns has the invalid regex '('" in capsys.readouterr().err


def test_unsafe_manifest_paths_are_refused(trees, capsys):
    trees.add("six", {"six.py": ""})
    tree, manifest = trees.installed[0]
    data = json.loads(manifest.read_text())
    data["files"]["site-packages/../../etc/passwd.py"] = "sha256=x"
    manifest.write_text(json.dumps(data))
    rc, _ = trees.run()
    assert rc == 1
    assert "unsafe path" in capsys.readouterr().err


def test_file_format(trees):
    trees.add("PyYAML", {"yaml/__init__.py": ""})
    trees.add("on", {"on.py": ""})  # YAML 1.1 reads a bare `on` as true
    rc, text = trees.run("--update-target", "//:gazelle_manifest.update")
    assert rc == 0
    assert text.startswith("# GENERATED FILE - DO NOT EDIT!\n")
    assert "#   bazel run //:gazelle_manifest.update\n" in text
    body = text[text.index("manifest:\n") : text.index("integrity: ")]
    assert body == (
        "manifest:\n"
        "  modules_mapping:\n"
        '    "on": "on"\n'
        "    yaml: PyYAML\n"
        "  pip_repository:\n"
        "    name: pypi\n"
    )
    parsed = read_manifest(text)
    assert parsed["pip_repository"] == {"name": "pypi"}
    assert parsed["integrity"] == hashlib.sha256(body.encode()).hexdigest()
    # Deterministic: the same trees give the same bytes.
    assert trees.run("--update-target", "//:gazelle_manifest.update")[1] == text


def test_no_packages_give_an_empty_mapping(trees):
    rc, text = trees.run()
    assert rc == 0
    assert "  modules_mapping: {}\n" in text
    assert read_manifest(text)["modules_mapping"] == {}


def test_snake_name_matches_hub_labels():
    assert tool.snake_name("Mixed.Case_Pkg") == "mixed_case_pkg"
    assert tool.snake_name("zope.interface") == "zope_interface"
    assert tool.snake_name("Typing--Extensions") == "typing_extensions"
