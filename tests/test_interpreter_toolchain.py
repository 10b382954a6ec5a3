"""The Python interpreter toolchain, driven by real Bazel 4.2.3.

Covers python_host_toolchain (the repository rule that wraps the host's python3), both
forms of py_interpreter_toolchain (absolute path and label) and its input checks.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.bazel import BazelWorkspace

TESTDATA = Path(__file__).parent / "testdata"

pytestmark = pytest.mark.bazel


def _fill(ws: BazelWorkspace) -> BazelWorkspace:
    for pkg, names in (
        ("pinning", ("BUILD.bazel", "pinned.bzl")),
        ("interpreter", ("BUILD.bazel", "python_launcher.sh")),
    ):
        for name in names:
            src = TESTDATA / pkg / name
            ws.write(f"{pkg}/{name}", src.read_text())
            shutil.copymode(src, ws.root / pkg / name)
    return ws


@pytest.fixture
def ws(bazel_workspace):
    """A fresh workspace: the tests that use it each declare their own toolchains."""
    return _fill(bazel_workspace)


@pytest.fixture(scope="module")
def plain_ws(tmp_path_factory, bazel_caches):
    """One workspace (and server) for the tests that only build a target and change nothing."""
    base = tmp_path_factory.mktemp("interpreter")
    ws = _fill(BazelWorkspace(base / "ws", base / "output_base", bazel_caches))
    yield ws
    ws.close()


def _host_python_facts(python: str) -> list[str]:
    out = subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def test_host_toolchain_wraps_the_host_python3(ws):
    ws.append(
        "WORKSPACE",
        """
        load("@rules_pyuv//py:repositories.bzl", "python_host_toolchain")

        python_host_toolchain(name = "python_host")

        register_toolchains("@python_host//:all")
        """,
    )
    ws.run("build", "//interpreter:probe")
    # The toolchain names the interpreter's real file (not a PATH shim) and its version.
    build = (ws.output_base / "external" / "python_host" / "BUILD.bazel").read_text()
    python3 = shutil.which("python3")
    real = str(
        Path(
            subprocess.check_output(
                [python3, "-c", "import os, sys; print(os.path.realpath(sys.executable))"],
                text=True,
            ).strip()
        )
    )
    assert f'interpreter_path = "{real}"' in build
    release = _host_python_facts(python3)[0]
    assert f'python_version = "{release}"' in build
    version = release.rsplit(".", 1)[0]
    cpu = {"x86_64": "x86_64", "aarch64": "aarch64"}[platform.machine()]
    assert f"@platforms//cpu:{cpu}" in build
    # The probe ran in the target-platform exec group, on the host, for the host.
    assert ws.bin_path("interpreter/probe.txt").read_text().split() == ["linux", cpu, version]


def test_host_toolchain_reports_a_missing_interpreter(ws):
    ws.append(
        "WORKSPACE",
        """
        load("@rules_pyuv//py:repositories.bzl", "python_host_toolchain")

        python_host_toolchain(name = "python_host", python = "no-such-python3")

        register_toolchains("@python_host//:all")
        """,
    )
    proc = ws.run("build", "//interpreter:probe", check=False)
    assert proc.returncode != 0
    assert 'python_host_toolchain(name = "python_host") found no "no-such-python3"' in proc.stderr


def test_interpreter_given_as_a_label(ws):
    ws.append(
        "WORKSPACE",
        'register_toolchains("//interpreter:python_from_label", '
        '"//interpreter:python_from_label_exec")\n',
    )
    ws.run("build", "//interpreter:probe")
    assert ws.bin_path("interpreter/probe.txt").read_text().split() == ["linux", "x86_64", "3.11"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("both_forms", "set exactly one of interpreter (a label) or interpreter_path"),
        ("relative_path", 'interpreter_path must be absolute, got "bin/python3"'),
        (
            "bad_version",
            'python_version must be "major.minor" (e.g. "3.11") or "major.minor.patch", got "3"',
        ),
    ],
)
def test_bad_interpreter_declarations_fail_clearly(plain_ws, target, message):
    proc = plain_ws.run("build", f"//interpreter:{target}", check=False)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr
