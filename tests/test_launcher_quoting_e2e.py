"""The py_binary launcher and python_host_toolchain with hostile paths, in real Bazel 4.2.3.

A main file whose name holds `$(...)` and quotes must run as a file name, never as shell
code; the launcher must still run when reached through a symlink made elsewhere; and an
interpreter path with a quote and a backslash must give a loadable toolchain BUILD file.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.bazel

# A file name Bazel accepts that a careless launcher would run: $( ) and a quote.
MAIN = "m$(touch${IFS}PWNED)'x.py"


@pytest.fixture
def ws(bazel_workspace, tmp_path):
    # An interpreter at a path holding a double quote and a backslash (a copy of the
    # system python3 finds its standard library through its built-in prefix).
    odd = tmp_path / 'py"th\\on' / "bin"
    odd.mkdir(parents=True)
    python = odd / "python3"
    shutil.copy2(os.path.realpath("/usr/bin/python3"), python)
    bazel_workspace.append("WORKSPACE", _workspace_text(python))
    bazel_workspace.write(
        "app/BUILD.bazel",
        f"""
        load("@rules_pyuv//py:defs.bzl", "py_binary")

        py_binary(
            name = "app",
            srcs = ["{MAIN}"],
            main = "{MAIN}",
        )
        """,
    )
    bazel_workspace.write(f"app/{MAIN}", "import sys\nprint('ran', sys.executable)\n")
    return bazel_workspace, python


def _workspace_text(python) -> str:
    quoted = str(python).replace("\\", "\\\\").replace('"', '\\"')
    return f"""
load("@rules_pyuv//py:repositories.bzl", "python_host_toolchain")

python_host_toolchain(name = "python_host", python = "{quoted}")

register_toolchains("@python_host//:all")
"""


def test_hostile_main_name_runs_as_a_file_and_symlinks_to_the_launcher_work(ws, tmp_path):
    workspace, python = ws
    workspace.run("build", "//app")
    # The toolchain file loaded and names the odd interpreter path exactly.
    build = (workspace.output_base / "external/python_host/BUILD.bazel").read_text()
    assert "interpreter_path = " in build and 'py\\"th\\\\on' in build
    launcher = workspace.bin_path("app/app")
    for how, argv0 in (("directly", str(launcher)), ("through a symlink", None)):
        if argv0 is None:
            link_dir = tmp_path / "elsewhere"
            link_dir.mkdir()
            os.symlink(launcher, link_dir / "app")
            argv0 = str(link_dir / "app")
        env = {k: v for k, v in os.environ.items() if k != "RUNFILES_DIR"}
        proc = subprocess.run(
            [argv0], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60
        )
        assert proc.returncode == 0, (how, proc.stderr)
        assert proc.stdout.split() == ["ran", str(python)], (how, proc.stdout)
        assert not list(tmp_path.rglob("PWNED")), how
        assert not list(workspace.root.rglob("PWNED")), how
