"""The Python helpers that run inside Bazel actions work on the oldest Python we accept.

The minimum is stated once, in docs/sdist-builds.md ("Python of the action tools"), and
here as MIN_PYTHON; every tool says it in its docstring. Two checks: vermin's static
analysis of every .py under py/private and uv/private, and real runs of the tools with an
interpreter of exactly that version (a pyenv or system one; missing: a skip locally, a
failure in CI).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.support.pkgbuild import build_wheel
from tests.support.prerequisites import require

REPO_ROOT = Path(__file__).resolve().parents[1]
MIN_PYTHON = (3, 8)
ACTION_TOOLS = sorted(
    p.relative_to(REPO_ROOT).as_posix()
    for d in ("py/private", "uv/private")
    for p in (REPO_ROOT / d).glob("*.py")
)
MINE = [
    "py/private/console_script_tool.py",
    "py/private/image_tool.py",
    "py/private/pytest_main.py",
    "py/private/venv_tool.py",
    "uv/private/build_helper.py",
    "uv/private/pyuv_wheel.py",
    "uv/private/whl_install.py",
]
WANT = "{}.{}".format(*MIN_PYTHON)


def test_the_minimum_is_stated_in_the_docs_and_by_each_tool():
    docs = (REPO_ROOT / "docs" / "sdist-builds.md").read_text()
    assert f"Python {WANT} or newer" in docs
    for tool in MINE:
        text = " ".join((REPO_ROOT / tool).read_text().split())
        assert f"Runs on Python {WANT}+" in text, tool
        assert tool in ACTION_TOOLS


def test_vermin_finds_nothing_newer_than_the_minimum():
    vermin = shutil.which("vermin", path=str(Path(sys.executable).parent))
    if vermin is None:
        require("vermin is not installed (tools/requirements.txt); run tools/setup")
    proc = subprocess.run(
        [vermin, "--no-tips", "--violations", f"-t={WANT}-", *ACTION_TOOLS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    # With --violations, vermin lists only what breaks the target and exits non-zero then.
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return None
    m = re.fullmatch(r"(\d+)\.(\d+)\s*", out.stdout)
    return (int(m[1]), int(m[2])) if out.returncode == 0 and m else None


@pytest.fixture(scope="module")
def oldest_python() -> str:
    """An interpreter of exactly MIN_PYTHON from this machine (pyenv's or the system's)."""
    home = os.path.expanduser("~")
    candidates = sorted(glob.glob(f"{home}/.pyenv/versions/{WANT}*/bin/python3"))
    candidates += [f"/usr/bin/python{WANT}", f"/usr/local/bin/python{WANT}"]
    found = shutil.which(f"python{WANT}")
    candidates += [found] if found else []
    for python in candidates:
        if os.path.exists(python) and _version_of(python) == MIN_PYTHON:
            return python
    require(f"no Python {WANT} interpreter on this machine (looked at {candidates})")


def test_every_tool_compiles_and_starts_on_the_minimum(oldest_python):
    for tool in ACTION_TOOLS:
        source = (REPO_ROOT / tool).read_text()
        check = f"compile(open({str(REPO_ROOT / tool)!r}).read(), {tool!r}, 'exec')"
        proc = subprocess.run([oldest_python, "-c", check], capture_output=True, text=True)
        assert proc.returncode == 0, f"{tool}: {proc.stderr}"
        if "argparse" in source and "__main__" in source:
            proc = subprocess.run(
                [oldest_python, "-S", str(REPO_ROOT / tool), "--help"],
                capture_output=True,
                text=True,
            )
            assert proc.returncode == 0 and "usage:" in proc.stdout, f"{tool}: {proc.stderr}"


def test_whl_install_installs_on_the_minimum(oldest_python, tmp_path):
    wheel = build_wheel(tmp_path / "w", "oldpkg", "1.0")
    out, manifest = tmp_path / "out", tmp_path / "m.json"
    proc = subprocess.run(
        [oldest_python, "-S", str(REPO_ROOT / "uv/private/whl_install.py"), "--wheel", str(wheel)]
        + ["--out-dir", str(out), "--manifest", str(manifest)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "site-packages" / "oldpkg" / "__init__.py").exists()


def test_build_helper_unpacks_and_reads_markers_on_the_minimum(oldest_python, tmp_path):
    src = tmp_path / "src" / "old-1.0"
    src.mkdir(parents=True)
    (src / "setup.py").write_text("")
    sdist = tmp_path / "old-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        tf.add(src, arcname="old-1.0")
    code = (
        "import importlib.util, sys, pathlib\n"
        "sys.path.insert(0, str(pathlib.Path(sys.argv[1]).parent))  # the wheel library\n"
        "spec = importlib.util.spec_from_file_location('bh', sys.argv[1])\n"
        "bh = importlib.util.module_from_spec(spec); spec.loader.exec_module(bh)\n"
        "top = bh.extract_sdist(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]))\n"
        'marker = \'python_version >= "3.8" and (os_name == "posix")\'\n'
        "print(top.name, bh.evaluate_marker(marker))\n"
        "print(bh.read_build_system(top)[1])\n"
    )
    proc = subprocess.run(
        [oldest_python, "-S", "-c", code, str(REPO_ROOT / "uv/private/build_helper.py")]
        + [str(sdist), str(tmp_path / "x")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["old-1.0", "True", "setuptools.build_meta:__legacy__"]
