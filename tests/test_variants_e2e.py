"""Variants end to end: a lock with `tool.uv.conflicts` made by real uv, built by Bazel 4.2.3.

The project (tests/support/variant_fixtures.py) has conflicting extras `cpu` and `gpu`
that pull two local versions of `accelnative` and the same version of `torchy` from two
explicit indexes. The hub's `//:variant` flag picks the side: the program prints which
builds it imported. Choosing both sides, or a variant the lock does not have, fails at
analysis naming the conflict and the fix; a package only one side uses fails without one.
"""

from __future__ import annotations

import platform

import pytest

from tests.support.bazel import BazelWorkspace
from tests.support.variant_fixtures import variant_project

pytestmark = pytest.mark.bazel

BUILD = """\
load("@rules_pyuv//py:defs.bzl", "py_binary")
load("@rules_pyuv//py:toolchains.bzl", "py_interpreter_toolchain")

HOST = ["@platforms//os:linux", "@platforms//cpu:{cpu}"]

py_interpreter_toolchain(
    name = "python",
    exec_compatible_with = HOST,
    interpreter_path = "/usr/bin/python3",
    python_version = "3.11",
    target_compatible_with = HOST,
)

py_binary(
    name = "show",
    srcs = ["show.py"],
    deps = ["@pypi//accelnative", "@pypi//consumer", "@pypi//torchy"],
)

py_binary(
    name = "show_default",
    srcs = ["show_default.py"],
    deps = ["@pypi//consumer", "@pypi//torchy"],
)
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, uv_cache_dir):
    base = tmp_path_factory.mktemp("variants")
    with variant_project(base / "lock", uv_cache_dir) as project:
        ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
        ws.write("uv.lock", project.lock.read_text())
        cpu = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine()]
        ws.write("BUILD.bazel", BUILD.replace("{cpu}", cpu))
        ws.write("show.py", "import accelnative, torchy\nprint(accelnative.KIND, torchy.KIND)\n")
        ws.write("show_default.py", "import consumer, torchy\nprint(torchy.KIND)\n")
        ws.append(
            "WORKSPACE",
            """
            load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

            uv_lock(name = "pypi", lockfile = "//:uv.lock", python_version = "3.11")

            load("@pypi//:repositories.bzl", "install_deps")

            install_deps()

            register_toolchains("//:python", "//:python_exec")
            """,
        )
        try:
            yield ws
        finally:
            ws.close()


@pytest.mark.parametrize("variant", ["cpu", "gpu"])
def test_the_variant_picks_the_local_version_and_the_index(ws, variant):
    proc = ws.run("run", "//:show", f"--@pypi//:variant={variant}")
    assert proc.stdout.split() == [variant, variant]


def test_without_a_variant_the_default_index_build_is_used(ws):
    assert ws.run("run", "//:show_default").stdout.split() == ["default"]
    assert ws.run("run", "//:show_default", "--@pypi//:variant=none").stdout.split() == ["default"]


def test_a_package_only_one_side_uses_needs_a_variant(ws):
    proc = ws.run("build", "//:show", check=False)
    assert proc.returncode != 0
    assert "accelnative is not part of the resolution" in proc.stderr
    assert 'The build\'s variant is "none"' in proc.stderr
    assert "--@pypi//:variant=cpu" in proc.stderr


def test_both_sides_of_a_conflict_fail_at_analysis(ws):
    proc = ws.run("build", "//:show", "--@pypi//:variant=cpu,gpu", check=False)
    assert proc.returncode != 0
    assert 'chooses both extra "cpu" of app and extra "gpu" of app' in proc.stderr
    assert "--@pypi//:variant=cpu" in proc.stderr


def test_an_unknown_variant_fails_at_analysis_naming_the_choices(ws):
    proc = ws.run("build", "//:show_default", "--@pypi//:variant=tpu", check=False)
    assert proc.returncode != 0
    assert '"tpu" is not a variant of the lock //:uv.lock' in proc.stderr
    assert 'cpu (extra "cpu" of app) | gpu (extra "gpu" of app)' in proc.stderr


def test_explain_shows_what_the_variant_selects(ws):
    out = ws.run("run", "@pypi//:explain", "--@pypi//:variant=gpu").stdout
    assert "variant gpu" in out
    assert "accelnative 1.0.0+cu121: wheel" in out
