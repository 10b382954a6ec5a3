"""Variants (tool.uv.conflicts) and python_full_version forks in the planner, in Starlark.

Behaviour is checked on locks made by real `uv lock` against local indexes; bad input
on hand-edited copies.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.starlark_env import StarlarkEnv, StarlarkFail
from tests.support.variant_fixtures import variant_project

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def env():
    return StarlarkEnv(REPO_ROOT)


@pytest.fixture(scope="module")
def lock(env):
    return env.load("//uv/private:lock.bzl")


@pytest.fixture(scope="module")
def planner(env):
    return env.load("//uv/private:planner.bzl")


@pytest.fixture(scope="module")
def variant_lock(tmp_path_factory, uv_cache_dir):
    with variant_project(tmp_path_factory.mktemp("variants"), uv_cache_dir) as project:
        yield project.lock.read_text()


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


def test_each_variant_picks_its_entries(planner, lock, variant_lock):
    model = lock.parse_lock(variant_lock, "//:uv.lock")
    plan = planner.plan_hub(model, "pypi", "//:uv.lock", python_version="3.11")
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
    files = StarlarkEnv(REPO_ROOT).load("//uv/private:hub_render.bzl").render_hub(plan)
    assert '"//:variant": "gpu"' in files["_markers/BUILD.bazel"]
    assert "variant_flag(" in files["BUILD.bazel"]


def test_a_lock_without_conflicts_has_no_variants(planner, lock, lock_project):
    model = lock.parse_lock(lock_project(["purepkg>=1.0"]).read_text(), "//:uv.lock")
    plan = planner.plan_hub(model, "pypi", "//:uv.lock")
    assert plan["variants"] == {"variants": [], "sets": []}
    assert all("variant" not in e for e in plan["envs"])
    files = StarlarkEnv(REPO_ROOT).load("//uv/private:hub_render.bzl").render_hub(plan)
    assert "variant" not in files["BUILD.bazel"]


def test_one_version_from_two_sources_needs_declared_conflicts(lock, variant_lock):
    without = variant_lock.replace("conflicts = [[", "_ignored = [[", 1)
    with pytest.raises(StarlarkFail, match=r"package 'torchy' 1.0.0: it is locked twice"):
        lock.parse_lock(without, "//:uv.lock")


@pytest.mark.parametrize(
    "conflicts",
    [
        'conflicts = "cpu"',
        'conflicts = [[{ package = "app" }]]',
        'conflicts = [[{ package = "app", extra = "c p u" }]]',
    ],
)
def test_malformed_conflicts_are_refused(lock, variant_lock, conflicts):
    start = variant_lock.index("conflicts = [[")
    end = variant_lock.index("]]", start) + 2
    text = variant_lock[:start] + conflicts + variant_lock[end:]
    with pytest.raises(StarlarkFail, match=r"conflicts"):
        lock.parse_lock(text, "//:uv.lock")


def test_several_conflict_sets_combine(env):
    variants = env.load("//uv/private:variants.bzl")
    sets = [
        [
            {"package": "app", "kind": "extra", "name": "cpu"},
            {"package": "app", "kind": "extra", "name": "gpu"},
        ],
        [
            {"package": "app", "kind": "group", "name": "py"},
            {"package": "lib", "kind": "extra", "name": "py"},
        ],
    ]
    out = variants.plan_variants(sets, "//:uv.lock", "pypi")
    names = [v["name"] for v in out["variants"]]
    assert names[0] == "none"
    assert "cpu,app:group:py" in names and "gpu,lib:extra:py" in names and len(names) == 9
    by_name = {v["name"]: v for v in out["variants"]}
    assert by_name["cpu,app:group:py"]["extras"] == ["extra-3-app-cpu", "group-3-app-py"]
    assert len({v["suffix"] for v in out["variants"]}) == 9


def test_python_full_version_forks_need_the_full_release(planner, lock, lock_project):
    text = lock_project(
        [
            "splitpkg==1.0.0; python_full_version < '3.11.5'",
            "splitpkg==2.0.0; python_full_version >= '3.11.5'",
        ]
    ).read_text()
    model = lock.parse_lock(text, "//:uv.lock")
    key = "cp311_linux_x86_64_glibc_2_17"

    plan = planner.plan_hub(model, "pypi", "//:uv.lock", python_version="3.11")
    split = _pkg(plan, "splitpkg")
    assert split["whl"][key].startswith(":_unavailable_")
    assert "python_full_version < '3.11.5'" in split["unavailable"][0]["message"]
    # Other minor versions are whole: no patch release changes the choice there.
    assert "splitpkg_1_0_0" in split["whl"]["cp310_linux_x86_64_glibc_2_17"]
    assert "splitpkg_2_0_0" in split["whl"]["cp312_linux_x86_64_glibc_2_17"]

    for release, version in (("3.11.2", "1_0_0"), ("3.11.5", "2_0_0"), ("3.11.7", "2_0_0")):
        plan = planner.plan_hub(model, "pypi", "//:uv.lock", python_version=release)
        assert f"splitpkg_{version}" in _pkg(plan, "splitpkg")["whl"][key], release
        assert plan["default_python_version"] == "3.11"
        assert plan["python_full_versions"] == {"3.11": release}
        root = StarlarkEnv(REPO_ROOT).load("//uv/private:hub_render.bzl").render_hub(plan)
        assert f'"3.11": "{release}"' in root["BUILD.bazel"]


@pytest.mark.parametrize("bad", ["3.11.x", "3.11.7rc1", "3.11.7.1", "3."])
def test_a_malformed_full_release_is_refused(planner, lock, lock_project, bad):
    model = lock.parse_lock(lock_project(["purepkg>=1.0"]).read_text(), "//:uv.lock")
    with pytest.raises(StarlarkFail, match=r"python_version|not one the lock"):
        planner.plan_hub(model, "pypi", "//:uv.lock", python_version=bad)


def test_conflicting_dependency_groups_are_variants_too(planner, lock, tmp_path, uv_cache_dir):
    with variant_project(tmp_path, uv_cache_dir, conflict="group") as project:
        text = project.lock.read_text()
    assert "extra == 'group-3-app-cpu'" in text
    model = lock.parse_lock(text, "//:uv.lock")
    plan = planner.plan_hub(model, "pypi", "//:uv.lock", python_version="3.11")
    variants = {v["name"]: v for v in plan["variants"]["variants"]}
    assert variants["cpu"]["extras"] == ["group-3-app-cpu"]
    assert variants["gpu"]["items"] == ['dependency group "gpu" of app']
    versions = _pkg(plan, "accelnative")["versions"]
    assert versions["cp311_linux_x86_64__cpu"] == "1.0.0+cpu"
    assert versions["cp311_linux_x86_64__gpu"] == "1.0.0+cu121"
    whl = _pkg(plan, "torchy")["whl"]
    assert len({whl[f"cp311_linux_x86_64_glibc_2_17__{v}"] for v in variants}) == 3
