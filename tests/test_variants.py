"""Variants (tool.uv.conflicts) and python_full_version forks in the planner, in Starlark.

Behaviour is checked on locks made by real `uv lock` against local indexes; bad input
on hand-edited copies. Real Bazel 4.2.3 answers the Starlark calls: ``starlark_calls``
below declares every call and the session's one Bazel build answers them
(tests/support/starlark_bazel.py); lock -> plan -> render is one call of
tests/support/hub_calls.bzl.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.starlark_bazel import StarlarkFail
from tests.support.variant_fixtures import variant_project

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK = "//uv/private:lock.bzl"
VARIANTS = "//uv/private:variants.bzl"
HUB_CALLS = "//tests/support:hub_calls.bzl"
HUB_SOURCE = (REPO_ROOT / "tests" / "support" / "hub_calls.bzl").read_text(encoding="utf-8")
SPLIT = [
    "splitpkg==1.0.0; python_full_version < '3.11.5'",
    "splitpkg==2.0.0; python_full_version >= '3.11.5'",
]
RELEASES = (("3.11.2", "1_0_0"), ("3.11.5", "2_0_0"), ("3.11.7", "2_0_0"))
BAD_RELEASES = ["3.11.x", "3.11.7rc1", "3.11.7.1", "3."]
MALFORMED_CONFLICTS = [
    'conflicts = "cpu"',
    'conflicts = [[{ package = "app" }]]',
    'conflicts = [[{ package = "app", extra = "c p u" }]]',
]
CONFLICT_SETS = [
    [
        {"package": "app", "kind": "extra", "name": "cpu"},
        {"package": "app", "kind": "extra", "name": "gpu"},
    ],
    [
        {"package": "app", "kind": "group", "name": "py"},
        {"package": "lib", "kind": "extra", "name": "py"},
    ],
]

_LOCKS: dict[int, dict[str, str]] = {}


def _locks(tmp_path_factory, uv_cache_dir, session_lock_project) -> dict[str, str]:
    """The uv.lock texts this module plans, each locked once per session.

    "extra"/"group": the variant project with conflicting extras/dependency groups;
    "pure": purepkg alone; "split": splitpkg forked on python_full_version.
    """
    key = id(uv_cache_dir)
    if key not in _LOCKS:
        texts = {}
        for conflict in ("extra", "group"):
            base = tmp_path_factory.mktemp(f"variants-{conflict}")
            with variant_project(base, uv_cache_dir, conflict=conflict) as project:
                texts[conflict] = project.lock.read_text()
        texts["pure"] = session_lock_project(["purepkg>=1.0"]).read_text()
        texts["split"] = session_lock_project(SPLIT).read_text()
        _LOCKS[key] = texts
    return _LOCKS[key]


@pytest.fixture(scope="module")
def locks(tmp_path_factory, uv_cache_dir, session_lock_project):
    return _locks(tmp_path_factory, uv_cache_dir, session_lock_project)


@pytest.fixture(scope="module")
def variant_lock(locks):
    return locks["extra"]


@pytest.fixture(scope="module")
def lock(starlark_bazel):
    return starlark_bazel.load(LOCK)


@pytest.fixture(scope="module")
def hub(starlark_bazel):
    """lock -> plan (-> render) as one call: plan_text, render_text."""
    return starlark_bazel.load_source(HUB_CALLS, HUB_SOURCE)


def _plan(hub, text, **kwargs):
    """parse_lock then plan_hub of hub "pypi", as one call."""
    return hub.plan_text(text, "pypi", "//:uv.lock", **kwargs)


def _render(hub, text, **kwargs):
    """parse_lock, plan_hub, render_hub, as one call."""
    return hub.render_text(text, "pypi", "//:uv.lock", **kwargs)


def _pkg(plan, label):
    return next(p for p in plan["packages"] if p["label"] == label)


def test_the_lock_model_keeps_conflicts_and_dependency_sources(lock, variant_lock):
    model = lock.parse_lock(variant_lock, "//:uv.lock")
    assert model["conflicts"] == [
        [
            {"package": "app", "kind": "extra", "name": "cpu"},
            {"package": "app", "kind": "extra", "name": "gpu"},
        ]
    ]
    torchy = [p for p in model["packages"] if p["name"] == "torchy"]
    assert len(torchy) == 3 and len({p["source"]["value"] for p in torchy}) == 3
    consumer = next(p for p in model["packages"] if p["name"] == "consumer")
    assert {d["source"] for d in consumer["dependencies"]} == {p["source"]["value"] for p in torchy}


def test_each_variant_picks_its_entries(hub, variant_lock):
    plan = _plan(hub, variant_lock, python_version="3.11")
    assert [v["name"] for v in plan["variants"]["variants"]] == ["none", "cpu", "gpu"]
    assert plan["variants"]["variants"][1]["extras"] == ["extra-3-app-cpu"]
    versions = _pkg(plan, "accelnative")["versions"]
    assert versions["cp311_linux_x86_64__cpu"] == "1.0.0+cpu"
    assert versions["cp311_linux_x86_64__gpu"] == "1.0.0+cu121"
    assert versions["cp311_linux_x86_64__none"] == ""
    whl = _pkg(plan, "torchy")["whl"]
    picked = {whl[f"cp311_linux_x86_64_glibc_2_17__{v}"] for v in ("none", "cpu", "gpu")}
    assert len(picked) == 3, "one torchy version, three artifacts by variant"
    settings = {e["name"]: e.get("variant") for e in plan["marker_envs"]}
    assert settings["cp311_linux_x86_64__gpu"] == "gpu"
    files = _render(hub, variant_lock, python_version="3.11")
    assert '"//:variant": "gpu"' in files["_markers/BUILD.bazel"]
    assert "variant_flag(" in files["BUILD.bazel"]


def test_a_lock_without_conflicts_has_no_variants(hub, locks):
    plan = _plan(hub, locks["pure"])
    assert plan["variants"] == {"variants": [], "sets": []}
    assert all("variant" not in e for e in plan["envs"])
    files = _render(hub, locks["pure"])
    assert "variant" not in files["BUILD.bazel"]


def test_one_version_from_two_sources_needs_declared_conflicts(lock, variant_lock):
    without = variant_lock.replace("conflicts = [[", "_ignored = [[", 1)
    with pytest.raises(StarlarkFail, match=r"package 'torchy' 1.0.0: it is locked twice"):
        lock.parse_lock(without, "//:uv.lock")


def _with_conflicts(variant_lock, conflicts):
    start = variant_lock.index("conflicts = [[")
    end = variant_lock.index("]]", start) + 2
    return variant_lock[:start] + conflicts + variant_lock[end:]


@pytest.mark.parametrize("conflicts", MALFORMED_CONFLICTS)
def test_malformed_conflicts_are_refused(lock, variant_lock, conflicts):
    text = _with_conflicts(variant_lock, conflicts)
    with pytest.raises(StarlarkFail, match=r"conflicts"):
        lock.parse_lock(text, "//:uv.lock")


def test_several_conflict_sets_combine(starlark_bazel):
    variants = starlark_bazel.load(VARIANTS)
    out = variants.plan_variants(CONFLICT_SETS, "//:uv.lock", "pypi")
    names = [v["name"] for v in out["variants"]]
    assert names[0] == "none"
    assert "cpu,app:group:py" in names and "gpu,lib:extra:py" in names and len(names) == 9
    by_name = {v["name"]: v for v in out["variants"]}
    assert by_name["cpu,app:group:py"]["extras"] == ["extra-3-app-cpu", "group-3-app-py"]
    assert len({v["suffix"] for v in out["variants"]}) == 9


def test_python_full_version_forks_need_the_full_release(hub, locks):
    text = locks["split"]
    key = "cp311_linux_x86_64_glibc_2_17"

    plan = _plan(hub, text, python_version="3.11")
    split = _pkg(plan, "splitpkg")
    assert split["whl"][key].startswith(":_unavailable_")
    assert "python_full_version < '3.11.5'" in split["unavailable"][0]["message"]
    # Other minor versions are whole: no patch release changes the choice there.
    assert "splitpkg_1_0_0" in split["whl"]["cp310_linux_x86_64_glibc_2_17"]
    assert "splitpkg_2_0_0" in split["whl"]["cp312_linux_x86_64_glibc_2_17"]

    for release, version in RELEASES:
        plan = _plan(hub, text, python_version=release)
        assert f"splitpkg_{version}" in _pkg(plan, "splitpkg")["whl"][key], release
        assert plan["default_python_version"] == "3.11"
        assert plan["python_full_versions"] == {"3.11": release}
        root = _render(hub, text, python_version=release)
        assert f'"3.11": "{release}"' in root["BUILD.bazel"]


@pytest.mark.parametrize("bad", BAD_RELEASES)
def test_a_malformed_full_release_is_refused(hub, locks, bad):
    with pytest.raises(StarlarkFail, match=r"python_version|not one the lock"):
        _plan(hub, locks["pure"], python_version=bad)


def test_conflicting_dependency_groups_are_variants_too(hub, locks):
    text = locks["group"]
    assert "extra == 'group-3-app-cpu'" in text
    plan = _plan(hub, text, python_version="3.11")
    variants = {v["name"]: v for v in plan["variants"]["variants"]}
    assert variants["cpu"]["extras"] == ["group-3-app-cpu"]
    assert variants["gpu"]["items"] == ['dependency group "gpu" of app']
    versions = _pkg(plan, "accelnative")["versions"]
    assert versions["cp311_linux_x86_64__cpu"] == "1.0.0+cpu"
    assert versions["cp311_linux_x86_64__gpu"] == "1.0.0+cu121"
    whl = _pkg(plan, "torchy")["whl"]
    assert len({whl[f"cp311_linux_x86_64_glibc_2_17__{v}"] for v in variants}) == 3


def starlark_calls(calls, request) -> None:
    """Every Starlark call of this module, for the session's Bazel build to answer."""
    locks = _locks(
        request.getfixturevalue("tmp_path_factory"),
        request.getfixturevalue("uv_cache_dir"),
        request.getfixturevalue("session_lock_project"),
    )
    parse = calls.load(LOCK).parse_lock
    hub = calls.load_source(HUB_CALLS, HUB_SOURCE)
    variant_lock = locks["extra"]
    parse(variant_lock, "//:uv.lock")
    parse(variant_lock.replace("conflicts = [[", "_ignored = [[", 1), "//:uv.lock")
    for conflicts in MALFORMED_CONFLICTS:
        parse(_with_conflicts(variant_lock, conflicts), "//:uv.lock")
    for text, kwargs in (
        (variant_lock, {"python_version": "3.11"}),
        (locks["pure"], {}),
        *((locks["split"], {"python_version": release}) for release, _ in RELEASES),
    ):
        _plan(hub, text, **kwargs)
        _render(hub, text, **kwargs)
    _plan(hub, locks["split"], python_version="3.11")
    _plan(hub, locks["group"], python_version="3.11")
    for bad in BAD_RELEASES:
        _plan(hub, locks["pure"], python_version=bad)
    calls.load(VARIANTS).plan_variants(CONFLICT_SETS, "//:uv.lock", "pypi")
