"""The example app (e2e/example) and the py_* rules, end to end with real Bazel 4.2.3.

A copy of e2e/example is locked against the local index and built, run and tested as a
user would; further packages added to the copy cover env/args/data, py_venv and bad input.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest

from tests.support.bazel import REPO_ROOT, BazelWorkspace, read_execution_log
from tests.support.index_fixtures import BUILD_GROUP, LockProject
from tests.support.uvlock import uv_lock

pytestmark = pytest.mark.bazel

EXAMPLE = REPO_ROOT / "e2e" / "example"


def _python_tag() -> str:
    """cpXY of /usr/bin/python3, the interpreter of the example's platforms."""
    out = subprocess.run(
        ["/usr/bin/python3", "-c", "import sys; print('cp%d%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def _splitpkg_version(machine: str) -> str:
    """The splitpkg pin that e2e/example/pyproject.toml selects for platform_machine."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        found = re.fullmatch(r"splitpkg==(\S+); platform_machine == '(\w+)'", dep)
        if found and found.group(2) == machine:
            return found.group(1)
    raise AssertionError(f"e2e/example/pyproject.toml pins no splitpkg for {machine}")


def expected_lines(machine: str) -> list[str]:
    """What the example app prints on a Linux machine whose `uname -m` is `machine`."""
    cp = _python_tag()
    return [
        f"machine: {machine}",
        "purepkg: purepkg 1.0.0 py3-none-any",
        "markerpkg: markerpkg 1.0.0 py3-none-any",
        "mixed_case_pkg (extra cli): Mixed.Case_Pkg 0.1.0 py3-none-any",
        f"platpkg: platpkg 1.0.0 {cp}-{cp}-manylinux_2_17_{machine}.manylinux2014_{machine}",
        f"splitpkg: splitpkg {_splitpkg_version(machine)} py3-none-any",
        f"nativepkg: 2 + 3 = 5 (compiled for {machine})",
    ]


# This machine's.
EXPECTED_LINES = expected_lines(os.uname().machine)

EXTRA_BUILD = """\
load("@rules_pyuv//py:defs.bzl", "py_binary", "py_console_script_binary")

py_console_script_binary(
    name = "hello",
    pkg = "@pypi//mixed_case_pkg",
    script = "mixed-case-hello",
)

py_console_script_binary(
    name = "pytest",
    pkg = "@pypi//pytest",
    args = ["--version"],
)

py_console_script_binary(
    name = "no_such_script",
    pkg = "@pypi//pytest",
    script = "nope",
)

py_binary(
    name = "show",
    srcs = ["show.py"],
    args = ["--from-build", "$(rootpath greeting.txt)"],
    data = ["greeting.txt"],
    env = {"GREETING": "it's here"},
)
"""

SHOW_PY = """\
import os
import sys

runfiles = os.environ["RUNFILES_DIR"]
data = open(os.path.join(runfiles, "example", sys.argv[2])).read().strip()
print("args:", sys.argv[1:])
print("env:", os.environ["GREETING"])
print("data:", data)
"""


def _copy_example(dest: Path) -> None:
    ignore = shutil.ignore_patterns("bazel-*", "uv.lock")
    shutil.copytree(EXAMPLE, dest, ignore=ignore, dirs_exist_ok=True)
    workspace = (dest / "WORKSPACE").read_text()
    (dest / "WORKSPACE").write_text(workspace.replace('path = "../.."', f'path = "{REPO_ROOT}"'))


@pytest.fixture(scope="module")
def example(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("example")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches, name="example")
    _copy_example(ws.root)
    uv_lock(ws.root, package_index.url, cache_dir=uv_cache_dir)
    ws.write("extra/BUILD.bazel", EXTRA_BUILD)
    ws.write("extra/show.py", SHOW_PY)
    ws.write("extra/greeting.txt", "hello from data\n")
    yield ws
    ws.close()


def test_bazel_run_prints_every_dependency_including_the_compiled_one(example):
    proc = example.run("run", "//app:app")
    assert proc.stdout.splitlines() == EXPECTED_LINES


def test_the_launcher_in_bazel_bin_runs_directly(example, tmp_path):
    example.run("build", "//app:app")
    out = subprocess.run(
        [str(example.bin_path("app/app"))], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == EXPECTED_LINES


def test_env_args_and_data_with_bazel_run_and_directly(example, tmp_path):
    expected = [
        "args: ['--from-build', 'extra/greeting.txt', '--cli']",
        "env: it's here",
        "data: hello from data",
    ]
    proc = example.run("run", "//extra:show", "--", "--cli")
    assert proc.stdout.splitlines() == expected
    out = subprocess.run(
        [str(example.bin_path("extra/show")), "--cli"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.splitlines() == expected


def test_console_scripts_run(example):
    hub = example.run("run", "@pypi//mixed_case_pkg:bin")
    named = example.run("run", "//extra:hello")
    declared = example.run("run", "@pypi//mixed_case_pkg:mixed-case-hello")
    assert hub.stdout == named.stdout == declared.stdout
    assert "Mixed.Case_Pkg 0.1.0" in hub.stdout
    assert example.run("run", "//extra:pytest").stdout.startswith("pytest 9.2.0")
    proc = example.run("build", "//extra:no_such_script", check=False)
    assert proc.returncode != 0
    assert "package pytest has no console script 'nope'; it has: py.test, pytest" in proc.stderr


def test_pytest_from_the_lock_passes_and_a_failing_test_fails(example):
    proc = example.run("test", "//app:report_test", "--test_output=errors")
    assert "1 test passes" in proc.stderr or "PASSED" in proc.stderr + proc.stdout
    failing = example.run("test", "//app:failing_test", "--test_output=all", check=False)
    assert failing.returncode == 3, failing.stderr  # Bazel's "tests failed"
    out = failing.stdout + failing.stderr
    assert "assert (1 + 1) == 3" in out or "assert 2 == 3" in out, out
    assert "FAILED" in out


def test_editing_app_code_reinstalls_and_rebuilds_no_package(example, tmp_path):
    """Adding a module to the app's library and using it rebuilds the app (its runfiles),
    and nothing of the packages: no wheel install, no sdist build."""
    example.run("build", "//app:app")
    report, build = example.root / "app" / "report.py", example.root / "app" / "BUILD.bazel"
    originals = {report: report.read_text(), build: build.read_text()}
    marker = f"edited {uuid.uuid4().hex[:8]}"
    log, explain = tmp_path / "exec.json", tmp_path / "explain.txt"
    try:
        (example.root / "app" / "edit.py").write_text(f"LINE = {marker!r}\n")
        report.write_text(
            originals[report]
            + "\n\n_lines = lines\n\n\ndef lines() -> list[str]:\n"
            + "    from app import edit\n\n    return _lines() + [edit.LINE]\n"
        )
        build.write_text(
            originals[build].replace('srcs = ["report.py"]', 'srcs = ["report.py", "edit.py"]', 1)
        )
        example.run(
            "build",
            "//app:app",
            f"--execution_log_json_file={log}",
            f"--explain={explain}",
            "--verbose_explanations",
        )
        # The edit was picked up: Bazel executed the app's actions, and only those.
        executed = [
            x
            for x in explain.read_text().splitlines()
            if x.startswith("Executing action") and "BazelWorkspaceStatusAction" not in x
        ]
        assert executed, explain.read_text()
        assert all("//app:" in x or "app/app" in x for x in executed), executed
        mnemonics = [s.get("mnemonic") for s in read_execution_log(log)]
        assert "PyWheelInstall" not in mnemonics and "PySdistBuild" not in mnemonics, mnemonics
        # The edited code runs.
        assert example.run("run", "//app:app").stdout.splitlines() == EXPECTED_LINES + [marker]
    finally:
        for path, text in originals.items():
            path.write_text(text)
        (example.root / "app" / "edit.py").unlink(missing_ok=True)


def test_py_venv_is_a_working_virtual_environment(example, tmp_path):
    example.run("build", "//app:venv")
    venv = example.bin_path("app/venv")
    assert (venv / "pyvenv.cfg").exists()
    script = "from app import report; print(report.lines()[-1]); import pytest; print('pytest ok')"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.splitlines() == [EXPECTED_LINES[-1], "pytest ok"]
    assert (venv / "bin" / "pytest").exists()


def test_packages_for_another_python_than_the_interpreter_fail_clearly(example):
    # The hub may select wheels for 3.12, but this platform's interpreter is 3.11.
    proc = example.run("build", "//app:app", "--@pypi//:python_version=3.12", check=False)
    assert proc.returncode != 0
    assert (
        "//app:app: its packages were selected for CPython 3.12 (the hub's python_version "
        "flag" in proc.stderr
    ), proc.stderr
    assert "the interpreter for this target platform is CPython 3.11" in proc.stderr


def test_missing_main_and_non_python_dependency_fail_clearly(example):
    example.write(
        "bad/BUILD.bazel",
        """\
        load("@rules_pyuv//py:defs.bzl", "py_binary")

        py_binary(name = "two_srcs", srcs = ["a.py", "b.py"])

        filegroup(name = "not_python", srcs = ["a.py"])

        py_binary(name = "bad_dep", srcs = ["a.py"], deps = [":not_python"])
        """,
    )
    example.write("bad/a.py", "")
    example.write("bad/b.py", "")
    proc = example.run("build", "//bad:two_srcs", check=False)
    assert proc.returncode != 0
    assert "//bad:two_srcs: set main: srcs has 2 files and none is named two_srcs.py" in proc.stderr
    proc = example.run("build", "//bad:bad_dep", check=False)
    assert proc.returncode != 0
    assert "'//bad:not_python' does not have mandatory providers: 'PyDepsInfo'" in proc.stderr


def test_two_packages_writing_the_same_file_is_a_conflict(
    tmp_path_factory, bazel_caches, package_index, uv_cache_dir
):
    base = tmp_path_factory.mktemp("clash")
    lock = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)(
        ["clasha==1.0.0", "clashb==1.0.0"], groups=BUILD_GROUP, requires_python=">=3.11"
    )
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches, name="clash")
    try:
        _copy_example(ws.root)
        workspace = (ws.root / "WORKSPACE").read_text()
        # This lock has neither the example's packages nor their scripts.
        script_line = '    console_scripts = {"mixed-case-pkg": ["mixed-case-hello"]},\n'
        assert script_line in workspace
        (ws.root / "WORKSPACE").write_text(workspace.replace(script_line, ""))
        ws.write("uv.lock", lock.read_text())
        ws.write(
            "app/BUILD.bazel",
            """\
            load("@rules_pyuv//py:defs.bzl", "py_binary")

            py_binary(name = "clash", srcs = ["main.py"], deps = ["@pypi//clasha", "@pypi//clashb"])
            """,
        )
        proc = ws.run("build", "//app:clash", check=False)
        assert proc.returncode != 0
        clash = "packages 'clasha' 1.0.0 and 'clashb' 1.0.0 both install"
        assert f"{clash} site-packages/clash/__init__.py" in proc.stderr, proc.stderr
    finally:
        ws.close()
