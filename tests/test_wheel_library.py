"""Tests of uv/private/pyuv_wheel.py, the wheel library of the action tools.

whl_install.py and build_helper.py take names, versions, file names and tag fit from it;
here its rules are checked against packaging (packaging.utils, packaging.tags), the
reference implementation, besides hand-picked cases.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

REPO_ROOT = Path(__file__).resolve().parents[1]
LIBRARY_DIR = REPO_ROOT / "uv" / "private"
if str(LIBRARY_DIR) not in sys.path:
    sys.path.insert(0, str(LIBRARY_DIR))
import pyuv_wheel  # noqa: E402


@pytest.mark.parametrize(
    "py, abi, version, fits",
    [
        ("py3", "none", "3.11", True),
        ("py2", "none", "3.11", False),
        ("py311", "none", "3.11", True),
        ("py310", "none", "3.11", True),
        ("py312", "none", "3.11", False),
        ("py3", "abi3", "3.11", False),
        ("cp311", "cp311", "3.11", True),
        ("cp311", "cp311", "3.12", False),
        ("cp312", "cp312", "3.11", False),
        ("cp311", "none", "3.11", True),
        ("cp311", "cp311t", "3.11", False),
        ("cp313", "cp313t", "3.13", False),
        ("cp311", "cp311d", "3.11", False),
        ("cp37", "cp37m", "3.7", True),
        ("cp311", "cp312", "3.11", False),
        ("cp37", "abi3", "3.11", True),
        ("cp311", "abi3", "3.11", True),
        ("cp312", "abi3", "3.11", False),
        ("cp3", "abi3", "3.11", False),
        ("pp310", "pypy310_pp73", "3.10", False),
        ("cp2", "none", "3.11", False),
        ("ip3", "none", "3.11", False),
    ],
)
def test_python_fits(py, abi, version, fits):
    assert pyuv_wheel.python_fits(py, abi, version) is fits


@pytest.mark.parametrize(
    "plat, os_name, cpu, fits",
    [
        ("any", "windows", "aarch64", True),
        ("linux_x86_64", "linux", "x86_64", True),
        ("linux_x86_64", "linux", "aarch64", False),
        ("linux_aarch64", "linux", "aarch64", True),
        ("manylinux1_x86_64", "linux", "x86_64", True),
        ("manylinux2014_aarch64", "linux", "aarch64", True),
        ("manylinux_2_17_x86_64", "linux", "x86_64", True),
        ("manylinux_2_17_x86_64", "linux", "aarch64", False),
        ("manylinux_2_28_aarch64", "linux", "x86_64", False),
        ("musllinux_1_2_x86_64", "linux", "x86_64", True),
        ("musllinux_1_2_aarch64", "linux", "aarch64", True),
        ("manylinux_2_17_i686", "linux", "x86_64", False),
        ("linux_armv7l", "linux", "aarch64", False),
        ("macosx_11_0_arm64", "macos", "aarch64", True),
        ("macosx_11_0_arm64", "macos", "x86_64", False),
        ("macosx_10_9_x86_64", "macos", "x86_64", True),
        ("macosx_10_9_x86_64", "macos", "aarch64", False),
        ("macosx_10_9_universal2", "macos", "x86_64", True),
        ("macosx_10_9_universal2", "macos", "aarch64", True),
        ("macosx_10_6_intel", "macos", "x86_64", True),
        ("macosx_10_6_intel", "macos", "aarch64", False),
        ("macosx_11_0_arm64", "linux", "aarch64", False),
        ("linux_x86_64", "macos", "x86_64", False),
        ("win_amd64", "windows", "x86_64", True),
        ("win_amd64", "windows", "aarch64", False),
        ("win_arm64", "windows", "aarch64", True),
        ("win32", "windows", "x86_64", False),
        ("win_amd64", "linux", "x86_64", False),
        ("linux_x86_64", "windows", "x86_64", False),
        ("linux_x86_64", "freebsd", "x86_64", False),
    ],
)
def test_platform_fits(plat, os_name, cpu, fits):
    assert bool(pyuv_wheel.platform_fits(plat, os_name, cpu)) is fits


# --- Against packaging ---------------------------------------------------------------------

PYS = ["py2", "py3", "py30", "py38", "py310", "py311", "py312", "py314", "cp3", "cp31", "cp32"]
PYS += ["cp37", "cp38", "cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "pp310", "ip3"]
ABIS = ["none", "abi3", "cp38", "cp39", "cp310", "cp311", "cp312", "cp313", "cp314"]
ABIS += ["cp38m", "cp311d", "cp313t", "pypy310_pp73", "abi4"]


def _supported(minor: int, plat: str) -> set[Tag]:
    """What packaging says a (non-debug, GIL) CPython 3.<minor> on plat installs."""
    version = (3, minor)
    tags = set(cpython_tags(version, abis=[f"cp3{minor}"], platforms=[plat]))
    tags |= set(compatible_tags(version, interpreter=f"cp3{minor}", platforms=[plat]))
    return tags


@pytest.mark.parametrize("minor", range(8, 15))
def test_python_fit_is_packagings_rule(minor):
    for plat in ("any", "linux_x86_64"):
        supported = _supported(minor, plat)
        for py in PYS:
            for abi in ABIS:
                want = Tag(py, abi, plat) in supported
                # A platform-specific wheel fits when its python/abi do; "any" likewise.
                got = pyuv_wheel.python_fits(py, abi, f"3.{minor}")
                assert got is want, (py, abi, plat, minor)


def test_whole_tag_sets_fit_as_packaging_says():
    cases = [
        "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp39-abi3-manylinux_2_28_x86_64",
        "py2.py3-none-any",
        "py2-none-any",
        "cp312-cp312-linux_x86_64",
        "cp311-cp311d-linux_x86_64",
        "py3-none-linux_x86_64",
    ]
    supported = _supported(11, "linux_x86_64") | _supported(11, "manylinux2014_x86_64")
    supported |= _supported(11, "manylinux_2_17_x86_64") | _supported(11, "manylinux_2_28_x86_64")
    for tagset in cases:
        _, _, _, tags = parse_wheel_filename(f"x-1.0-{tagset}.whl")
        want = bool(tags & supported)
        expanded = [str(t) for t in tags]
        assert pyuv_wheel.tags_fit(expanded, "3.11", "linux", "x86_64") is want, tagset


NAMES = ["Foo", "foo_bar", "Foo.Bar", "foo--bar", "FOO-_.bar", "a", "zope.interface", "Pillow"]


@pytest.mark.parametrize("name", NAMES)
def test_name_normalisation_is_pep503(name):
    assert pyuv_wheel.normalize_name(name) == canonicalize_name(name)


FILENAMES = [
    "foo-1.0-py3-none-any.whl",
    "Foo_Bar-2.0.post1-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "zope.interface-6.0-cp39-cp39-macosx_10_9_x86_64.whl",
    "pkg-1.0rc1-py2.py3-none-any.whl",
    "pkg-1!2.0-2build-cp38-abi3-win_amd64.whl",
]


@pytest.mark.parametrize("filename", FILENAMES)
def test_wheel_file_names_parse_as_packaging_reads_them(filename):
    name, version, build, tags = parse_wheel_filename(filename)
    got = pyuv_wheel.parse_filename(filename)
    assert pyuv_wheel.normalize_name(got["name"]) == name
    assert pyuv_wheel.version_key(got["version"]) == pyuv_wheel.version_key(str(version))
    assert got["build"] == "".join(str(p) for p in build)
    assert sorted(got["tags"]) == sorted(str(t) for t in tags)


@pytest.mark.parametrize(
    "filename",
    ["foo-1.0.whl", "foo-1.0-py3-none.whl", "../foo-1.0-py3-none-any.whl", "foo-1.0-py3-none-any"],
)
def test_malformed_wheel_file_names_are_refused(filename):
    with pytest.raises(pyuv_wheel.WheelError, match="not a valid wheel file name|is not valid"):
        pyuv_wheel.parse_filename(filename)


@pytest.mark.parametrize(
    "name, strict, parts",
    [
        ("pkg/mod.py", True, ["pkg", "mod.py"]),
        ("pkg/", True, ["pkg"]),
        ("./pkg//mod.py", False, ["pkg", "mod.py"]),
        ("pkg\\mod.py", False, ["pkg", "mod.py"]),
    ],
)
def test_member_paths(name, strict, parts):
    assert pyuv_wheel.member_parts("a.whl", name, strict=strict) == parts


@pytest.mark.parametrize(
    "name, strict, message",
    [
        ("/etc/passwd", True, "absolute path"),
        ("C:/x.py", False, "absolute path"),
        ("pkg/../../x.py", False, "through '..'"),
        ("pkg\\..\\..\\x.py", False, "through '..'"),
        ("pkg\\mod.py", True, "backslash"),
        ("./pkg/mod.py", True, "empty or '.' path component"),
        ("pkg/\0x", False, "NUL"),
        ("./", False, "empty path"),
    ],
)
def test_unsafe_member_paths_are_refused(name, strict, message):
    with pytest.raises(pyuv_wheel.WheelError, match=message):
        pyuv_wheel.member_parts("a.whl", name, strict=strict)
