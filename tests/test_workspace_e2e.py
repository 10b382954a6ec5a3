"""The uv workspace example (e2e/workspace), end to end with real Bazel 4.2.3 for the host.

A copy of e2e/workspace is locked by real `uv lock` against the local index and built,
run and tested as a user would: member labels, an extra, dependency groups (pytest from
the `test` group), a path wheel (hash-checked) and a directory source built by an action.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.bazel import REPO_ROOT, BazelWorkspace, read_execution_log
from tests.support.workspace_e2e import WORKSPACE, lock_workspace

pytestmark = pytest.mark.bazel


def _python_tag() -> str:
    out = subprocess.run(
        ["/usr/bin/python3", "-c", "import sys; print('cp%d%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def expected_app_lines(machine: str, args: list[str]) -> list[str]:
    """What `//apps/app:run` prints on a Linux machine whose `uname -m` is machine."""
    cp = _python_tag()
    split = {"x86_64": "1.0.0", "aarch64": "2.0.0"}[machine]  # libs/greet/pyproject.toml
    return [
        f"machine: {machine}",
        "greet-lib 0.2.0",
        "purepkg: purepkg 1.0.0 py3-none-any",
        f"splitpkg: splitpkg {split} py3-none-any",
        "vendored (path wheel): vendored 1.0.0 py3-none-any",
        "localdir (directory): localdir 1.0.0 built from a directory",
        f"platpkg (extra fancy): platpkg 1.0.0 {cp}-{cp}-manylinux_2_17_{machine}"
        f".manylinux2014_{machine}",
        "markerpkg: markerpkg 1.0.0 py3-none-any",
        f"args: {args!r}",
    ]


def copy_workspace(dest: Path) -> None:
    """e2e/workspace without its lock, wheels and outputs, using this checkout."""
    ignore = shutil.ignore_patterns("bazel-*", "uv.lock", "wheels")
    shutil.copytree(WORKSPACE, dest, ignore=ignore, dirs_exist_ok=True)
    text = (dest / "WORKSPACE").read_text()
    (dest / "WORKSPACE").write_text(text.replace('path = "../.."', f'path = "{REPO_ROOT}"'))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("workspace")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches, name="workspace")
    copy_workspace(ws.root)
    lock_workspace(ws.root, package_index.url, uv_cache_dir)
    yield ws
    ws.close()


def test_the_app_runs_with_its_member_library_and_every_source_kind(workspace, tmp_path):
    machine = os.uname().machine
    proc = workspace.run("run", "//apps/app:run", "--", "--flag", "x y")
    assert proc.stdout.splitlines() == expected_app_lines(machine, ["--flag", "x y"])
    direct = subprocess.run(
        [str(workspace.bin_path("apps/app/run"))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert direct.stdout.splitlines() == expected_app_lines(machine, [])


def test_the_tool_member_runs_its_compiled_dependency(workspace):
    proc = workspace.run("run", "//tools/wstool:run", "--", "2", "3")
    assert proc.stdout.splitlines() == [f"wstool: 2 + 3 = 5 (compiled for {os.uname().machine})"]


def test_members_tests_pass_with_pytest_from_the_test_group(workspace):
    proc = workspace.run(
        "test", "//apps/app:main_test", "//libs/greet:greet_test", "--test_output=errors"
    )
    out = proc.stdout + proc.stderr
    for test in ("//apps/app:main_test", "//libs/greet:greet_test"):
        assert re.search(re.escape(test) + r"\s+(\(cached\) )?PASSED", out), out


def _direct_deps(workspace: BazelWorkspace, label: str) -> set[str]:
    proc = workspace.run("cquery", f"deps({label}, 1)", "--output=label")
    found = {line.split(" (")[0] for line in proc.stdout.splitlines()} - {label}
    # Without the platform and toolchain targets every rule gets.
    return {d for d in found if d.startswith(("@pypi//", "//"))}


def test_member_labels_resolve_members_to_their_targets_and_groups_to_packages(workspace):
    # app needs greet-lib[fancy]: the mapped target //libs/greet plus the extra's label.
    app = _direct_deps(workspace, "@pypi//app")
    assert "//libs/greet:greet" in app, app
    assert "@pypi//greet_lib:extra_fancy" in app, app
    assert "@pypi//markerpkg:markerpkg" in app, app
    # The extra is the member's runtime dependencies plus platpkg.
    extra = _direct_deps(workspace, "@pypi//greet_lib:extra_fancy")
    assert extra == {"@pypi//greet_lib:greet_lib", "@pypi//platpkg:platpkg"}, extra
    # Groups: per member and the root's, markers applied (colorama is Windows-only).
    lint = _direct_deps(workspace, "@pypi//app:group_lint")
    assert lint == {"@pypi//mixed_case_pkg:mixed_case_pkg"}, lint
    assert _direct_deps(workspace, "@pypi//wstool:group_test") == {"@pypi//pytest:pytest"}
    root_lint = _direct_deps(workspace, "@pypi//:group_lint")
    assert root_lint == {"@pypi//monorepo:group_lint"}, root_lint
    pytest_deps = _direct_deps(workspace, "@pypi//pytest")
    assert not any("colorama" in d for d in pytest_deps), pytest_deps


def test_the_directory_source_is_built_by_the_pinned_build_action(workspace, tmp_path):
    log = tmp_path / "exec.json"
    workspace.run("clean")
    workspace.run("build", "//libs/greet:greet_test", f"--execution_log_json_file={log}")
    builds = [s for s in read_execution_log(log) if s.get("mnemonic") == "PySdistBuild"]
    args = [" ".join(s.get("commandArgs", [])) for s in builds]
    assert any("--source-root third_party/localdir" in a for a in args), args


def test_the_path_wheel_is_checked_against_the_lock(workspace, tmp_path):
    wheel = workspace.root / "third_party" / "wheels" / "vendored-1.0.0-py3-none-any.whl"
    original = wheel.read_bytes()
    try:
        wheel.write_bytes(original + b"tampered")
        workspace.run("clean", "--expunge")
        # A fresh repository cache: the shared one would serve the locked content by
        # its sha256 without reading the file.
        proc = workspace.run(
            "build", "//apps/app:run", f"--repository_cache={tmp_path / 'repo-cache'}", check=False
        )
        assert proc.returncode != 0
        assert "vendored-1.0.0-py3-none-any.whl" in proc.stderr, proc.stderr
        assert "sha256" in proc.stderr.lower() or "checksum" in proc.stderr.lower(), proc.stderr
    finally:
        wheel.write_bytes(original)
        workspace.run("clean", "--expunge")


def test_a_member_without_a_target_names_the_label_to_create(workspace):
    text = (workspace.root / "WORKSPACE").read_text()
    mapping = '    members = {"greet-lib": "//libs/greet"},\n'
    assert mapping in text
    build = workspace.root / "libs" / "greet" / "BUILD.bazel"
    moved = build.with_name("BUILD.moved")
    try:
        (workspace.root / "WORKSPACE").write_text(text.replace(mapping, ""))
        build.rename(moved)
        proc = workspace.run("build", "//apps/app:run", check=False)
        assert proc.returncode != 0
        assert (
            "workspace member 'greet-lib' (source = { editable = \"libs/greet\" } in "
            in proc.stderr
        ), proc.stderr
        assert (
            'create libs/greet/BUILD.bazel with a py_library named "greet_lib" '
            "(label //libs/greet:greet_lib)" in proc.stderr
        ), proc.stderr
    finally:
        moved.rename(build)
        (workspace.root / "WORKSPACE").write_text(text)
