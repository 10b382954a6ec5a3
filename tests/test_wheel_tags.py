"""Tests of ``uv/private/wheel_tags.bzl``, evaluated in real Bazel 4.2.3.

``starlark_calls`` below declares every call; the session's one Bazel build answers them
(tests/support/starlark_bazel.py).

The tag lists and wheel choices are checked differentially against ``packaging`` (the
version in the test venv, 26.3), computed for each *target* without looking at the host:

* macOS platforms come from ``packaging.tags.mac_platforms(version, arch)``;
* Linux platforms come from packaging's own ``_linux_platforms`` with the facts it would
  read from the machine patched in: ``sysconfig.get_platform`` (the arch),
  ``_manylinux._get_glibc_version`` (glibc), ``_musllinux._get_musl_version`` (musl) and
  ``_manylinux._get_manylinux_module`` (no ``_manylinux`` override module);
* Windows platforms come from ``packaging.tags.platform_tags()`` with ``platform.system``
  and ``sysconfig.get_platform`` patched;
* the full list is ``cpython_tags(python_version, abis=["cpXY"], platforms)`` followed by
  ``compatible_tags(python_version, interpreter="cpXY", platforms)``, which is what
  ``sys_tags()`` yields on a non-debug, GIL-enabled CPython.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import platform
import sysconfig
import tokenize
from pathlib import Path

import pytest
from packaging import _manylinux, _musllinux, tags
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from tests.support.starlark_bazel import StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]
BZL = REPO_ROOT / "uv" / "private" / "wheel_tags.bzl"
BZL_LABEL = "//uv/private:wheel_tags.bzl"
NAMES_LABEL = "//uv/private:names.bzl"
HELPERS_LABEL = "//tests:wheel_tags_test_helpers.bzl"
WHEEL_SETS = json.loads((REPO_ROOT / "tests/testdata/wheel_tags/wheel_sets.json").read_text())

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]
CPUS = ["x86_64", "aarch64"]


def _targets() -> list[dict]:
    out = []
    for cpu in CPUS:
        for version in ["2.17", "2.28", "2.31", "2.36", "2.39"]:
            out.append({"os": "linux", "cpu": cpu, "libc": "glibc", "libc_version": version})
        for version in ["1.1", "1.2"]:
            out.append({"os": "linux", "cpu": cpu, "libc": "musl", "libc_version": version})
        for version in ["10.13", "11.0", "12.0", "14.0", "15.0"]:
            out.append({"os": "macos", "cpu": cpu, "macos_version": version})
        out.append({"os": "windows", "cpu": cpu})
    return out


# Edge targets: the oldest manylinux tags, no manylinux at all, musl 1.0, a future glibc
# major, macOS minors that packaging ignores from 11 on, and the oldest x86_64 macOS.
EDGE_TARGETS = [
    {"os": "linux", "cpu": "x86_64", "libc": "glibc", "libc_version": "2.5"},
    {"os": "linux", "cpu": "x86_64", "libc": "glibc", "libc_version": "2.12"},
    {"os": "linux", "cpu": "aarch64", "libc": "glibc", "libc_version": "2.16"},
    {"os": "linux", "cpu": "x86_64", "libc": "glibc", "libc_version": "2.4"},
    {"os": "linux", "cpu": "aarch64", "libc": "glibc", "libc_version": "3.1"},
    {"os": "linux", "cpu": "aarch64", "libc": "musl", "libc_version": "1.0"},
    {"os": "linux", "cpu": "x86_64", "libc": "musl", "libc_version": "1.2.5"},
    {"os": "macos", "cpu": "aarch64", "macos_version": "13.4"},
    {"os": "macos", "cpu": "x86_64", "macos_version": "26"},
    {"os": "macos", "cpu": "x86_64", "macos_version": "10.4"},
    {"os": "macos", "cpu": "aarch64", "macos_version": "10.16"},
]


def _with_python(targets: list[dict], pythons: list[str]) -> list[dict]:
    return [{**t, "python_version": py} for t in targets for py in pythons]


GRID = _with_python(_targets(), PYTHONS)
EDGE_GRID = _with_python(EDGE_TARGETS, ["3.3", "3.7", "3.8", "3.11", "3.14", "3.20"])


def _target_id(target: dict) -> str:
    facts = [target["os"], target["cpu"]]
    facts += [target[k] for k in ("libc", "libc_version", "macos_version") if k in target]
    return "-".join([*facts, "py" + target["python_version"]])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def wt(starlark_bazel):
    return starlark_bazel.load(BZL_LABEL)


@pytest.fixture(scope="module")
def names(starlark_bazel):
    return starlark_bazel.load(NAMES_LABEL)


# Test-only Starlark: runs a whole grid cell inside Starlark, so the ~1000-entry priority
# map does not cross the Python boundary once per wheel.
_HELPERS = """
load("//uv/private:wheel_tags.bzl", "parse_wheel_filename", "parse_wheel_filename_shared",
     "select_parsed_wheel", "select_wheel", "tag_priority_map", "wheel_priority")

def shared_parse(prime, filename):
    memo = {}
    if prime:
        parse_wheel_filename_shared(prime, memo)
    return parse_wheel_filename_shared(filename, memo)

def priorities(filenames, target):
    m = tag_priority_map(target)
    return [wheel_priority(f, m) for f in filenames]

def priority_forms(target, name, other):
    m = tag_priority_map(target)
    return [wheel_priority(name, m), wheel_priority(parse_wheel_filename(name), m),
            wheel_priority(other, m)]

def selections(wheel_sets, target):
    m = tag_priority_map(target)
    out = {}
    for name, filenames in wheel_sets.items():
        parsed = [parse_wheel_filename(f) for f in filenames]
        out[name] = [select_wheel(filenames, target), select_parsed_wheel(parsed, m)]
    return out

def bench_parse(filenames, packages):
    count = 0
    for _ in range(packages):
        count += len([parse_wheel_filename(f) for f in filenames])
    return count

def bench_maps(targets):
    return len([tag_priority_map(t) for t in targets])

def bench_all(filenames, packages, targets):
    parsed = [[parse_wheel_filename(f) for f in filenames] for _ in range(packages)]
    maps = [tag_priority_map(t) for t in targets]
    found = 0
    for m in maps:
        for wheels in parsed:
            if select_parsed_wheel(wheels, m) != None:
                found += 1
    return found
"""


@pytest.fixture(scope="module")
def helpers(starlark_bazel):
    return starlark_bazel.load_source(HELPERS_LABEL, _HELPERS)


def _fail_message(fn, *args) -> str:
    with pytest.raises(StarlarkFail) as info:
        fn(*args)
    return info.value.message


# --------------------------------------------------------------------------- packaging reference


def _version(text: str) -> tuple[int, int]:
    parts = [int(p) for p in text.split(".")[:2]]
    return (parts[0], parts[1] if len(parts) > 1 else 0)


def packaging_platforms(target: dict, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Platform tags packaging computes on a machine with the target's facts."""
    cpu = target["cpu"]
    if target["os"] == "macos":
        arch = {"x86_64": "x86_64", "aarch64": "arm64"}[cpu]
        return list(tags.mac_platforms(version=_version(target["macos_version"]), arch=arch))
    if target["os"] == "windows":
        plat = {"x86_64": "win-amd64", "aarch64": "win-arm64"}[cpu]
        monkeypatch.setattr(platform, "system", lambda: "Windows")
        monkeypatch.setattr(sysconfig, "get_platform", lambda: plat)
        return list(tags.platform_tags())

    glibc = musl = None
    if target["libc"] == "glibc":
        glibc = _manylinux._GLibCVersion(*_version(target["libc_version"]))
    else:
        musl = _musllinux._MuslVersion(*_version(target["libc_version"]))
    monkeypatch.setattr(sysconfig, "get_platform", lambda: f"linux-{cpu}")
    monkeypatch.setattr(
        _manylinux, "_get_glibc_version", lambda: glibc or _manylinux._GLibCVersion(-1, -1)
    )
    monkeypatch.setattr(_manylinux, "_get_manylinux_module", lambda: None)
    monkeypatch.setattr(_musllinux, "_get_musl_version", lambda executable: musl)
    return list(tags._linux_platforms(is_32bit=False))


def packaging_tags(target: dict, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What ``sys_tags()`` yields on a CPython with the target's facts."""
    platforms = packaging_platforms(target, monkeypatch)
    # packaging falls back to the *host's* platforms when given none.
    assert platforms, f"no platforms for {target}"
    py = _version(target["python_version"])
    interpreter = f"cp{py[0]}{py[1]}"
    # The ABIs of a standard CPython build: packaging's own rule, fed the config variables
    # of a non-debug, GIL-enabled build with pymalloc instead of the host's.
    config = {"Py_DEBUG": 0, "Py_GIL_DISABLED": 0, "WITH_PYMALLOC": 1}
    monkeypatch.setattr(tags, "_get_config_var", lambda name, warn=False: config[name])
    abis = tags._cpython_abis(py)
    out = tags.cpython_tags(python_version=py, abis=abis, platforms=platforms)
    compat = tags.compatible_tags(python_version=py, interpreter=interpreter, platforms=platforms)
    return [str(t) for t in out] + [str(t) for t in compat]


def _rank_map(tag_list: list[str]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for i, tag in enumerate(tag_list):
        ranks.setdefault(tag, i)
    return ranks


def reference_priority(filename: str, ranks: dict[str, int]) -> int | None:
    _, _, _, wheel_tags = parse_wheel_filename(filename)
    found = [ranks[str(t)] for t in wheel_tags if str(t) in ranks]
    return min(found) if found else None


def reference_select(filenames: list[str], ranks: dict[str, int]) -> int | None:
    """Best rank; ties: higher build (number, then rest), smaller file name, earlier index."""
    candidates = []
    for index, filename in enumerate(filenames):
        rank = reference_priority(filename, ranks)
        if rank is not None:
            build = parse_wheel_filename(filename)[2] or (-1, "")
            candidates.append((rank, build, filename, index))

    def compare(a, b):
        if a[0] != b[0]:
            return -1 if a[0] < b[0] else 1
        if a[1] != b[1]:
            return -1 if a[1] > b[1] else 1
        if a[2] != b[2]:
            return -1 if a[2] < b[2] else 1
        return -1 if a[3] < b[3] else 1

    if not candidates:
        return None
    return sorted(candidates, key=functools.cmp_to_key(compare))[0][3]


# --------------------------------------------------------------------------- the reference itself


def test_reference_does_not_depend_on_the_host(monkeypatch):
    """Spot checks that the patched packaging reference describes the target."""
    linux = {"os": "linux", "cpu": "aarch64", "libc": "glibc", "libc_version": "2.28"}
    plats = packaging_platforms(linux, monkeypatch)
    assert plats[:3] == ["linux_aarch64", "manylinux_2_28_aarch64", "manylinux_2_27_aarch64"]
    assert plats[-2:] == ["manylinux_2_17_aarch64", "manylinux2014_aarch64"]
    musl = {"os": "linux", "cpu": "x86_64", "libc": "musl", "libc_version": "1.2"}
    assert packaging_platforms(musl, monkeypatch) == [
        "linux_x86_64",
        "musllinux_1_2_x86_64",
        "musllinux_1_1_x86_64",
        "musllinux_1_0_x86_64",
    ]
    win = {"os": "windows", "cpu": "aarch64"}
    assert packaging_platforms(win, monkeypatch) == ["win_arm64"]


# --------------------------------------------------------------------------- target_tags


@pytest.mark.parametrize("target", GRID + EDGE_GRID, ids=_target_id)
def test_target_tags_match_packaging(wt, target, monkeypatch):
    assert wt.target_tags(target) == packaging_tags(target, monkeypatch)


@pytest.mark.parametrize(
    "target", _targets() + EDGE_TARGETS, ids=lambda t: _target_id({**t, "python_version": "any"})
)
def test_target_platform_tags_match_packaging(wt, target, monkeypatch):
    assert wt.target_platform_tags(target) == packaging_platforms(target, monkeypatch)


HEAD_TARGET = {
    "os": "linux",
    "cpu": "x86_64",
    "libc": "glibc",
    "libc_version": "2.28",
    "python_version": "3.11",
}
MAC_TARGET = {"os": "macos", "cpu": "aarch64", "macos_version": "12.0", "python_version": "3.11"}


def test_target_tags_head_and_tail(wt):
    """Hand-written expectations, independent of packaging."""
    got = wt.target_tags(HEAD_TARGET)
    assert got[:3] == [
        "cp311-cp311-linux_x86_64",
        "cp311-cp311-manylinux_2_28_x86_64",
        "cp311-cp311-manylinux_2_27_x86_64",
    ]
    assert "cp311-cp311-manylinux2014_x86_64" in got
    assert got.index("cp311-cp311-manylinux_2_17_x86_64") + 1 == got.index(
        "cp311-cp311-manylinux2014_x86_64"
    )
    assert got[-4:] == ["py33-none-any", "py32-none-any", "py31-none-any", "py30-none-any"]
    assert got.index("cp311-none-any") < got.index("py311-none-any") < got.index("py3-none-any")
    assert len(got) == len(set(got))
    mac = wt.target_platform_tags(MAC_TARGET)
    assert mac[:6] == [
        "macosx_12_0_arm64",
        "macosx_12_0_universal2",
        "macosx_11_0_arm64",
        "macosx_11_0_universal2",
        "macosx_10_16_universal2",
        "macosx_10_15_universal2",
    ]


OLD_CPYTHON = {"os": "windows", "cpu": "x86_64", "python_version": "3.7"}
RANKED = {"os": "windows", "cpu": "x86_64", "python_version": "3.12"}


def test_old_cpython_abi_has_the_pymalloc_flag(wt):
    assert wt.target_tags(OLD_CPYTHON)[:3] == [
        "cp37-cp37m-win_amd64",
        "cp37-abi3-win_amd64",
        "cp37-none-win_amd64",
    ]


def test_tag_priority_map_ranks_in_order(wt):
    tag_list = wt.target_tags(RANKED)
    assert wt.tag_priority_map(RANKED) == {t: i for i, t in enumerate(tag_list)}


# --------------------------------------------------------------------------- selection


@pytest.mark.parametrize("target", GRID + EDGE_GRID, ids=_target_id)
def test_select_wheel_matches_packaging(helpers, target, monkeypatch):
    ranks = _rank_map(packaging_tags(target, monkeypatch))
    got = helpers.selections(WHEEL_SETS, target)
    selector = tags.create_compatible_tags_selector(tags.Tag(*t.split("-")) for t in ranks)
    for name, filenames in WHEEL_SETS.items():
        want = reference_select(filenames, ranks)
        assert got[name] == [want, want], (name, filenames[want] if want is not None else None)
        if want is not None:
            # packaging's own selector puts a wheel of the same rank first.
            first = next(selector((f, parse_wheel_filename(f)[3]) for f in filenames))
            assert reference_priority(first, ranks) == reference_priority(filenames[want], ranks)


PRIORITY_GRID = GRID[:: len(PYTHONS)] + EDGE_GRID[::3]
ALL_WHEELS = [f for files in WHEEL_SETS.values() for f in files]


@pytest.mark.parametrize("target", PRIORITY_GRID, ids=_target_id)
def test_wheel_priority_matches_packaging(helpers, target, monkeypatch):
    ranks = _rank_map(packaging_tags(target, monkeypatch))
    filenames = ALL_WHEELS
    want = [reference_priority(f, ranks) for f in filenames]
    assert helpers.priorities(filenames, target) == want


LINUX311 = {
    "os": "linux",
    "cpu": "x86_64",
    "libc": "glibc",
    "libc_version": "2.31",
    "python_version": "3.11",
}
TWINS = ["b-1.0-py3-none-any.whl", "a-1.0-py3-none-any.whl"]


def test_select_wheel_examples(wt):
    linux311 = LINUX311
    files = WHEEL_SETS["numpy_like"]
    chosen = files[wt.select_wheel(files, linux311)]
    assert chosen == "numpy-2.1.3-cp311-cp311-manylinux_2_28_x86_64.whl"
    py314 = {**linux311, "python_version": "3.14"}
    assert wt.select_wheel(files, py314) is None
    builds = WHEEL_SETS["build_tags_and_linux"]
    assert builds[wt.select_wheel(builds, py314)] == "tool-1.0-10b-py3-none-any.whl"
    # packaging 26.3 prefers the native linux tag to manylinux.
    assert builds[wt.select_wheel(builds, linux311)] == "tool-1.0-cp311-cp311-linux_x86_64.whl"
    assert wt.select_wheel([], linux311) is None
    # Equal tags, no build: the smaller file name wins, whatever the input order.
    twins = TWINS
    assert wt.select_wheel(twins, linux311) == 1
    assert wt.select_wheel(list(reversed(twins)), linux311) == 0


PRIORITY_FORMS = (
    {"os": "windows", "cpu": "aarch64", "python_version": "3.12"},
    "x-1.0-cp312-cp312-win_arm64.whl",
    "x-1.0-cp312-cp312-win_amd64.whl",
)


def test_wheel_priority_accepts_names_and_parsed(helpers):
    # The priority map stays inside Starlark: wheel_priority of the name, of the parsed
    # name, and of a wheel for another platform.
    by_name, by_parsed, other = helpers.priority_forms(*PRIORITY_FORMS)
    assert by_name == 0
    assert by_parsed == 0
    assert other is None


# --------------------------------------------------------------------------- file names

VALID_WHEELS = [
    "numpy-2.1.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "six-1.16.0-py2.py3-none-any.whl",
    "Pillow-10.0.0-1-cp311-cp311-win_amd64.whl",
    "pkg-1.0-123abc-py3-none-any.whl",
    "pkg-1.0-007-py3-none-any.whl",
    "zope.interface-6.0-cp39-cp39-macosx_10_9_x86_64.whl",
    "Typing_Extensions-4.12.2-py3-none-any.whl",
    "foo-1.0.post1+local.1-cp312-abi3.none-linux_x86_64.linux_aarch64.whl",
    "foo-1!2.0rc1-py3-none-any.whl",
    "Mixed_Case-1.0-CP311-CP311-MANYLINUX_2_17_X86_64.whl",
]


@pytest.mark.parametrize("filename", VALID_WHEELS)
def test_parse_wheel_filename_matches_packaging(wt, filename):
    got = wt.parse_wheel_filename(filename)
    name, _, build, wheel_tags = parse_wheel_filename(filename)
    stem = filename[: -len(".whl")].split("-")
    assert got["filename"] == filename
    assert got["name"] == stem[0]
    assert got["normalized_name"] == name
    assert got["version"] == stem[1]
    assert got["build"] == (stem[2] if len(stem) == 6 else "")
    assert (got["build_number"], got["build_suffix"]) == (build or (-1, ""))
    assert sorted(got["tags"]) == sorted(str(t) for t in wheel_tags)
    py, abi, plat = stem[-3:]
    assert got["python_tags"] == py.lower().split(".")
    assert got["abi_tags"] == abi.lower().split(".")
    assert got["platform_tags"] == plat.lower().split(".")


INVALID_WHEELS = [
    ("foo-1.0-py3-none-any.zip", "extension"),
    ("foo-1.0-py3-none-any.WHL", "extension"),
    ("foo-1.0.whl", "found 2 dash-separated parts"),
    ("foo-1.0-py3-any.whl", "found 4 dash-separated parts"),
    ("foo-bar-1.0-1-py3-none-any.whl", "found 7 dash-separated parts"),
    ("-1.0-py3-none-any.whl", "invalid project name"),
    ("foo__bar-1.0-py3-none-any.whl", "invalid project name"),
    ("foo+bar-1.0-py3-none-any.whl", "invalid project name"),
    ("foo--py3-none-any.whl", "invalid version"),
    ("foo-1.0-abc-py3-none-any.whl", 'build tag "abc" must start with a digit'),
    ("foo-1.0-py3..py2-none-any.whl", "empty entry in python tag"),
    ("foo-1.0-py3-none-.whl", "empty entry in platform tag"),
    ("foo-1.0-3py-none-any.whl", 'invalid python tag "3py"'),
]


@pytest.mark.parametrize(("filename", "reason"), INVALID_WHEELS)
def test_parse_wheel_filename_rejects(wt, filename, reason):
    message = _fail_message(wt.parse_wheel_filename, filename)
    assert f'"{filename}"' in message
    assert reason in message
    with pytest.raises(ValueError):
        parse_wheel_filename(filename)


def _prime(filename: str) -> str:
    """A valid wheel file name with the same tail as filename (after `<name>-<version>-`),
    so that parse_wheel_filename_shared answers filename from its memo; "" when none."""
    pieces = filename.split("-", 2)
    if len(pieces) < 3:
        return ""
    prime = "prime-0-" + pieces[2]
    try:
        parse_wheel_filename(prime)
    except ValueError:
        return ""
    return prime


@pytest.mark.parametrize("filename", VALID_WHEELS + [f for f, _ in INVALID_WHEELS])
def test_parse_wheel_filename_shared_equals_parse(wt, helpers, filename):
    """The memo of tails changes nothing: same result, same refusal, as parse_wheel_filename."""
    prime = _prime(filename)
    try:
        expected = wt.parse_wheel_filename(filename)
    except StarlarkFail as error:
        assert _fail_message(helpers.shared_parse, prime, filename) == error.message
        return
    assert helpers.shared_parse(prime, filename) == expected


VALID_SDISTS = [
    "foo-1.0.tar.gz",
    "Foo_Bar-2.0.zip",
    "zope.interface-6.0.tar.gz",
    "a-b-c-1.0rc1.tar.gz",
    "pkg-1!2.0.post3.tar.gz",
]


@pytest.mark.parametrize("filename", VALID_SDISTS)
def test_parse_sdist_filename_matches_packaging(wt, filename):
    got = wt.parse_sdist_filename(filename)
    name, version = parse_sdist_filename(filename)
    assert got["normalized_name"] == name
    assert Version(got["version"]) == version
    assert got["name"] + "-" + got["version"] + got["ext"] == filename


SDISTS_WITH_PROJECT = [
    ("foo-1.0.tar.gz", None, "foo", "1.0", ".tar.gz"),
    ("foo-1.0.tgz", "foo", "foo", "1.0", ".tgz"),
    ("foo-1.0.tar.bz2", "FOO", "foo", "1.0", ".tar.bz2"),
    ("foo-1.0.zip", None, "foo", "1.0", ".zip"),
    ("foo-bar-1.0.tar.gz", "foo-bar", "foo-bar", "1.0", ".tar.gz"),
    ("Foo.Bar-1.0-2.tar.gz", "foo-bar", "Foo.Bar", "1.0-2", ".tar.gz"),
    ("foo_bar-1.0-2.tar.gz", None, "foo_bar-1.0", "2", ".tar.gz"),
    (
        "python-dateutil-2.9.0.post0.tar.gz",
        "python_dateutil",
        "python-dateutil",
        "2.9.0.post0",
        ".tar.gz",
    ),
]


@pytest.mark.parametrize(("filename", "project", "name", "version", "ext"), SDISTS_WITH_PROJECT)
def test_parse_sdist_filename_with_project(wt, filename, project, name, version, ext):
    got = wt.parse_sdist_filename(filename, project)
    assert (got["name"], got["version"], got["ext"]) == (name, version, ext)
    assert got["normalized_name"] == canonicalize_name(name)


# Also checked by the Bazel suite (tests/bzl/gen_vectors.py).
SDIST_REJECTS = [
    ("foo-1.0.whl", None, "the extension must be one of"),
    ("foo.tar.gz", None, "expected <name>-<version>.tar.gz"),
    ("-1.0.tar.gz", None, "expected <name>-<version>.tar.gz"),
    ("foo-.tar.gz", None, "expected <name>-<version>.tar.gz"),
    ("foo-1.0.tar.gz", "bar", 'does not start with "<bar>-<version>"'),
    ("foo-1 0.tar.gz", None, 'invalid version "1 0"'),
]


@pytest.mark.parametrize(("filename", "project", "reason"), SDIST_REJECTS)
def test_parse_sdist_filename_rejects(wt, filename, project, reason):
    message = _fail_message(wt.parse_sdist_filename, filename, project)
    assert f'"{filename}"' in message
    assert reason in message


NAMES = ["Django", "oslo.concurrency", "Typing_Extensions", "a--b__c..d", "A._-B", "-x-", "_", ""]


@pytest.mark.parametrize("name", NAMES)
def test_normalize_name_matches_packaging(names, name):
    # The one normalize_name of the ruleset (names.bzl), which wheel_tags.bzl loads.
    assert names.normalize_name(name) == canonicalize_name(name)


# --------------------------------------------------------------------------- targets


DESCRIPTIONS = [
    (
        {
            "os": "linux",
            "cpu": "aarch64",
            "libc": "glibc",
            "libc_version": "2.28",
            "python_version": "3.11",
        },
        "linux_aarch64 (glibc 2.28), CPython 3.11",
    ),
    (
        {
            "os": "linux",
            "cpu": "x86_64",
            "libc": "musl",
            "libc_version": "1.2",
            "python_version": "3.12",
            "implementation": "cp",
        },
        "linux_x86_64 (musl 1.2), CPython 3.12",
    ),
    (
        {"os": "macos", "cpu": "aarch64", "macos_version": "14", "python_version": "3.13"},
        "macos_aarch64 (macOS 14.0), CPython 3.13",
    ),
    (
        {"os": "windows", "cpu": "x86_64", "python_version": "3.10", "libc": "glibc"},
        "windows_x86_64, CPython 3.10",
    ),
]


@pytest.mark.parametrize(("target", "text"), DESCRIPTIONS)
def test_describe_target(wt, target, text):
    assert wt.describe_target(target) == text


LINUX = {
    "os": "linux",
    "cpu": "x86_64",
    "libc": "glibc",
    "libc_version": "2.28",
    "python_version": "3.11",
}


# Also checked by the Bazel suite (tests/bzl/gen_vectors.py).
INVALID_TARGETS = [
    ("linux", "expected a dict"),
    ({**LINUX, "os": "freebsd"}, 'os "freebsd" is not one of linux, macos, windows'),
    ({**LINUX, "cpu": "arm64"}, 'cpu "arm64" is not one of aarch64, x86_64'),
    ({k: v for k, v in LINUX.items() if k != "libc"}, 'missing "libc"'),
    ({**LINUX, "libc": "uclibc"}, 'libc "uclibc" is not one of glibc, musl'),
    ({k: v for k, v in LINUX.items() if k != "libc_version"}, 'missing "libc_version"'),
    ({**LINUX, "libc_version": "2.x"}, 'libc_version "2.x" is not a version'),
    ({**LINUX, "python_version": "3.11.4.1"}, 'python_version "3.11.4.1" is not a version'),
    ({**LINUX, "python_version": 3.11}, "python_version must be a string"),
    ({**LINUX, "python_version": "2.7"}, 'python_version "2.7" is older than 3.3'),
    ({**LINUX, "python_version": "3.2"}, 'python_version "3.2" is older than 3.3'),
    ({**LINUX, "python_version": "3"}, 'python_version "3" is not a version'),
    ({**LINUX, "libc_version": "2"}, 'libc_version "2" is not a version'),
    ({**LINUX, "libc_version": "1.9"}, 'libc_version "1.9" is older than glibc 2.0'),
    ({**LINUX, "libc": "musl", "libc_version": "0.9"}, '"0.9" is older than musl 1.0'),
    ({**LINUX, "os": ["linux"]}, 'os ["linux"] is not one of linux, macos, windows'),
    ({**LINUX, "implementation": "pp"}, 'implementation "pp" is not supported'),
    ({"os": "macos", "cpu": "x86_64", "python_version": "3.11"}, 'missing "macos_version"'),
    (
        {"os": "macos", "cpu": "x86_64", "macos_version": "9.2", "python_version": "3.11"},
        'macos_version "9.2" is older than 10.0',
    ),
]


@pytest.mark.parametrize(("target", "reason"), INVALID_TARGETS)
def test_invalid_targets_fail_clearly(wt, target, reason):
    message = _fail_message(wt.target_tags, target)
    assert message.startswith("Invalid target ")
    assert reason in message


PATCH_BASE = {"os": "windows", "cpu": "x86_64", "python_version": "3.11"}


def test_python_version_may_carry_a_patch_level(wt):
    base = PATCH_BASE
    assert wt.target_tags({**base, "python_version": "3.11.9"}) == wt.target_tags(base)


# --------------------------------------------------------------------------- Bazel 4.2.3 subset

# Names that do not exist in Bazel 4.2.3's Starlark (or must not be used for other reasons).
_FORBIDDEN_NAMES = {
    "while",
    "lambda",
    "set",
    "chr",
    "ord",
    "removeprefix",
    "removesuffix",
    "isidentifier",
}


def test_source_uses_only_bazel_4_starlark():
    source = BZL.read_text()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        where = f"wheel_tags.bzl:{tok.start[0]}"
        if tok.type == tokenize.NAME:
            assert tok.string not in _FORBIDDEN_NAMES, f"{where}: {tok.string}"
            if tok.string in ("for", "if") and tok.start[1] == 0:
                pytest.fail(f"{where}: top-level {tok.string}")
        if tok.type == tokenize.OP:
            assert tok.string not in ("|", "|="), f"{where}: dict union"
        if tok.type == tokenize.STRING:
            assert not tok.string[:2].lower().startswith("f"), f"{where}: f-string"
        assert tok.type != getattr(tokenize, "FSTRING_START", -1), f"{where}: f-string"


def test_source_has_no_recursion():
    """Bazel rejects recursion at run time; the harness does not, so check the call graph."""
    tree = ast.parse(BZL.read_text())
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    calls = {
        name: {
            c.func.id
            for c in ast.walk(node)
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in functions
        }
        for name, node in functions.items()
    }
    for start in functions:
        seen, todo = set(), list(calls[start])
        while todo:
            callee = todo.pop()
            assert callee != start, f"{start} is recursive"
            if callee not in seen:
                seen.add(callee)
                todo.extend(calls[callee])
    for node in functions.values():
        assert ast.get_docstring(node) or node.name.startswith("_"), f"{node.name}: no docstring"


def _pure_wheel_inputs():
    filenames = [f"pkg-1.0-cp311-cp311-{p}.whl" for p in ("win_amd64", "macosx_11_0_arm64")]
    filenames.append("pkg-1.0-py3-none-any.whl")
    return filenames, _with_python(_targets(), ["3.10", "3.13"])


def test_every_target_accepts_a_pure_wheel(helpers):
    """Selection across many targets finds the py3-none-any wheel everywhere.

    Timing of the same selection lives in tools/bench_starlark.py.
    """
    filenames, targets = _pure_wheel_inputs()
    assert len(targets) > 40
    assert helpers.bench_all(filenames, 3, targets) == 3 * len(targets)


_EMPTY = {"libc": "", "libc_version": "", "macos_version": "", "implementation": "cp"}
_WIN = {"os": "windows", "cpu": "aarch64", "python_version": "3.12"}
_MAC = {"os": "macos", "cpu": "x86_64", "macos_version": "12.0", "python_version": "3.12"}
# (with keys of other platforms, without): Starlark must answer the same tags.
OTHER_KEYS = [
    ({**_WIN, **_EMPTY}, _WIN),
    ({**_EMPTY, **_MAC}, _MAC),
    ({**_EMPTY, **LINUX, "extra": "ignored"}, LINUX),
]


def test_keys_of_other_platforms_are_ignored(wt):
    """Callers may keep one dict shape, with empty values for facts that do not apply."""
    for with_keys, without in OTHER_KEYS:
        assert wt.target_tags(with_keys) == wt.target_tags(without)


def starlark_calls(calls, request) -> None:
    """Every Starlark call of this module, for the session's Bazel build to answer."""
    wt = calls.load(BZL_LABEL)
    helpers = calls.load_source(HELPERS_LABEL, _HELPERS)
    for target in GRID + EDGE_GRID:
        wt.target_tags(target)
        helpers.selections(WHEEL_SETS, target)
    for target in _targets() + EDGE_TARGETS:
        wt.target_platform_tags(target)
    wt.target_tags(HEAD_TARGET)
    wt.target_platform_tags(MAC_TARGET)
    wt.target_tags(OLD_CPYTHON)
    wt.target_tags(RANKED)
    wt.tag_priority_map(RANKED)
    for target in PRIORITY_GRID:
        helpers.priorities(ALL_WHEELS, target)
    py314 = {**LINUX311, "python_version": "3.14"}
    for files in (WHEEL_SETS["numpy_like"], WHEEL_SETS["build_tags_and_linux"], []):
        wt.select_wheel(files, LINUX311)
        wt.select_wheel(files, py314)
    wt.select_wheel(TWINS, LINUX311)
    wt.select_wheel(list(reversed(TWINS)), LINUX311)
    helpers.priority_forms(*PRIORITY_FORMS)
    for filename in VALID_WHEELS + [f for f, _ in INVALID_WHEELS]:
        wt.parse_wheel_filename(filename)
        helpers.shared_parse(_prime(filename), filename)
    for filename in VALID_SDISTS:
        wt.parse_sdist_filename(filename)
    for filename, project, *_ in SDISTS_WITH_PROJECT + SDIST_REJECTS:
        wt.parse_sdist_filename(filename, project)
    for name in NAMES:
        calls.load(NAMES_LABEL).normalize_name(name)
    for target, _ in DESCRIPTIONS:
        wt.describe_target(target)
    for target, _ in INVALID_TARGETS:
        wt.target_tags(target)
    wt.target_tags({**PATCH_BASE, "python_version": "3.11.9"})
    wt.target_tags(PATCH_BASE)
    filenames, targets = _pure_wheel_inputs()
    helpers.bench_all(filenames, 3, targets)
    for with_keys, without in OTHER_KEYS:
        wt.target_tags(with_keys)
        wt.target_tags(without)
