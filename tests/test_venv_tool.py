"""Unit tests of ``py/private/venv_tool.py``: conflict checks and virtual environments.

Trees come from ``uv/private/whl_install.py`` run on wheels built with
``tests/support/pkgbuild.py``. The virtual environments are used for real: their
``bin/python`` imports the packages and their scripts run, with the system's
``/usr/bin/python3`` when there is one and with the interpreter running the tests.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.pkgbuild import build_wheel

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOL = REPO_ROOT / "py" / "private" / "venv_tool.py"


def _load(path: Path, name: str):
    # A tool imports the modules beside it (whl_install: the wheel library), as sys.path[0]
    # gives them in actions.
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


venv_tool = _load(TOOL, "rules_pyuv_venv_tool")
whl_install = _load(REPO_ROOT / "uv" / "private" / "whl_install.py", "rules_pyuv_whl_install")


def _interpreters() -> list[str]:
    found = []
    for candidate in ("/usr/bin/python3", os.path.realpath(sys.executable)):
        if os.path.isfile(candidate) and os.path.realpath(candidate) not in map(
            os.path.realpath, found
        ):
            found.append(candidate)
    return found


INTERPRETERS = _interpreters()


def _version(python: str) -> str:
    code = "import sys; print('%d.%d' % sys.version_info[:2])"
    return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()


def install(tmp_path: Path, wheel: Path) -> str:
    """Installs a wheel with whl_install; returns the TREE:MANIFEST argument."""
    stem = wheel.name[: -len(".whl")]
    out, manifest = tmp_path / "trees" / stem, tmp_path / "trees" / f"{stem}.json"
    args = ["--wheel", str(wheel), "--out-dir", str(out), "--manifest", str(manifest)]
    assert whl_install.main(args) == 0
    return f"{out}:{manifest}"


def manifest_of(tree_arg: str) -> str:
    return tree_arg.rpartition(":")[2]


def make_venv(out: Path, python: str, trees: list[str], pth=()) -> int:
    args = ["venv", "--out", str(out), "--python", python, "--python-version", _version(python)]
    for t in trees:
        args += ["--tree", t]
    for p in pth:
        args += ["--pth", p]
    return venv_tool.main(args)


@pytest.fixture
def purepkg(tmp_path):
    return install(
        tmp_path,
        build_wheel(
            tmp_path / "w",
            "purepkg",
            "1.0.0",
            entry_points={
                "console_scripts": {"purepkg-hello": "purepkg:main"},
                "gui_scripts": {"purepkg-gui": "purepkg:main"},
            },
            files={
                "purepkg/__init__.py": (
                    "def hello():\n    return 'purepkg 1.0.0'\n\n\n"
                    "def main():\n    import sys\n    print(hello(), sys.argv[1:])\n"
                ),
                "purepkg-1.0.0.data/scripts/purepkg-legacy": (
                    '#!python\n"""Legacy script docstring."""\nfrom __future__ import annotations\n'
                    "import sys\nimport purepkg\nprint(__doc__, purepkg.hello(), sys.argv[1:])\n"
                ),
                "purepkg-1.0.0.data/scripts/purepkg-shell": "#!/bin/sh\necho shell script\n",
                "purepkg-1.0.0.data/headers/purepkg.h": "#define PUREPKG 1\n",
                "purepkg-1.0.0.data/data/share/purepkg/notes.txt": "notes\n",
            },
        ),
    )


def _wheel(tmp_path: Path, name: str, version: str, files: dict) -> str:
    return install(tmp_path, build_wheel(tmp_path / "w" / name, name, version, files=files))


# --- check ---------------------------------------------------------------------------------


def test_check_reports_conflict_with_both_packages(tmp_path, capsys):
    a = _wheel(tmp_path, "a", "1.0", {"x/__init__.py": "A = 1\n", "x/util.py": "U = 1\n"})
    b = _wheel(tmp_path, "b", "2.0", {"x/__init__.py": "B = 2\n", "x/util.py": "U = 2\n"})
    argv = ["check", "--manifest", manifest_of(a), "--manifest", manifest_of(b)]
    assert venv_tool.main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "rules_pyuv: packages 'a' 1.0 and 'b' 2.0 both install site-packages/x/__init__.py "
        "with different content (and 1 more: site-packages/x/util.py); "
    )


def test_check_allows_identical_files_and_is_silent(tmp_path, capsys):
    ns_init = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"
    a = _wheel(tmp_path, "ns-a", "1.0", {"ns/__init__.py": ns_init, "ns/a.py": "A = 1\n"})
    b = _wheel(tmp_path, "ns-b", "1.0", {"ns/__init__.py": ns_init, "ns/b.py": "B = 1\n"})
    stamp = tmp_path / "ok.stamp"
    argv = ["check", "--manifest", manifest_of(a), "--manifest", manifest_of(b)]
    assert venv_tool.main(argv + ["--manifest", manifest_of(a), "--stamp", str(stamp)]) == 0
    assert capsys.readouterr() == ("", "")
    assert stamp.read_bytes() == b""


def test_check_file_against_folder(tmp_path, capsys):
    a = _wheel(tmp_path, "a", "1.0", {"x.py": "", "shared": "a file\n"})
    b = _wheel(tmp_path, "b", "1.0", {"shared/__init__.py": ""})
    assert venv_tool.main(["check", "--manifest", manifest_of(a), "--manifest", manifest_of(b)])
    err = capsys.readouterr().err
    assert "'a' 1.0 installs the file site-packages/shared but 'b' 1.0 installs files" in err


def test_check_two_versions_of_one_package(tmp_path, capsys):
    one = install(tmp_path / "1", build_wheel(tmp_path / "w1", "dup", "1.0"))
    two = install(tmp_path / "2", build_wheel(tmp_path / "w2", "dup", "2.0"))
    assert venv_tool.main(["check", "--manifest", manifest_of(one), "--manifest", manifest_of(two)])
    assert "package 'dup' is there twice, as 1.0" in capsys.readouterr().err


def test_check_command_line(tmp_path):
    a = _wheel(tmp_path, "a", "1.0", {"x/__init__.py": "A = 1\n"})
    b = _wheel(tmp_path, "b", "2.0", {"x/__init__.py": "B = 2\n"})
    cmd = [sys.executable, str(TOOL), "check", "--manifest", manifest_of(a)]
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    bad = subprocess.run(cmd + ["--manifest", manifest_of(b)], capture_output=True, text=True)
    assert bad.returncode == 1 and "packages 'a' 1.0 and 'b' 2.0 both install" in bad.stderr


def test_bad_manifest(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x"}))
    assert venv_tool.main(["check", "--manifest", str(bad)]) == 1
    assert "is not a whl_install manifest" in capsys.readouterr().err


# --- venv ----------------------------------------------------------------------------------


def _run(path: Path, *args: str) -> str:
    proc = subprocess.run([str(path), *args], capture_output=True, text=True, env=_clean_env())
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.mark.parametrize("python", INTERPRETERS)
def test_venv_is_usable(tmp_path, purepkg, python):
    ns_init = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"
    ns_a = _wheel(tmp_path, "ns-a", "1.0", {"ns/__init__.py": ns_init, "ns/a.py": "A = 1\n"})
    ns_b = _wheel(tmp_path, "ns-b", "1.0", {"ns/__init__.py": ns_init, "ns/b.py": "B = 2\n"})
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "firstparty.py").write_text("NAME = 'firstparty'\n")
    (tmp_path / "abs_root").mkdir()
    (tmp_path / "abs_root" / "absparty.py").write_text("NAME = 'absparty'\n")
    out = tmp_path / "venv"
    pth = ["../../../../src", str(tmp_path / "abs_root")]
    assert make_venv(out, python, [purepkg, ns_a, ns_b, purepkg], pth) == 0
    version = _version(python)

    cfg = (out / "pyvenv.cfg").read_text()
    assert cfg.splitlines()[:3] == [
        f"home = {os.path.dirname(python)}",
        "include-system-site-packages = false",
        f"version = {version}",
    ]
    for name in ("python", "python3", f"python{version}"):
        assert os.readlink(out / "bin" / name) == python
    site = out / "lib" / f"python{version}" / "site-packages"
    assert (site / "rules_pyuv.pth").read_text() == "import _rules_pyuv_paths\n"
    assert f"ROOTS = {pth!r}" in (site / "_rules_pyuv_paths.py").read_text()
    assert (site / "purepkg-1.0.0.dist-info" / "INSTALLER").read_text() == "rules_pyuv\n"
    assert (out / "include/site" / f"python{version}" / "purepkg/purepkg.h").is_file()
    assert (out / "share/purepkg/notes.txt").read_text() == "notes\n"

    code = (
        "import sys, purepkg, ns.a, ns.b, firstparty, absparty; "
        "print(purepkg.hello(), ns.a.A + ns.b.B, firstparty.NAME, absparty.NAME, "
        "sys.prefix != sys.base_prefix, purepkg.__file__.startswith(sys.prefix))"
    )
    assert _run(out / "bin" / "python", "-c", code) == (
        "purepkg 1.0.0 3 firstparty absparty True True\n"
    )
    assert _run(out / "bin" / "purepkg-hello", "a", "b c") == "purepkg 1.0.0 ['a', 'b c']\n"
    assert _run(out / "bin" / "purepkg-gui") == "purepkg 1.0.0 []\n"
    assert _run(out / "bin" / "purepkg-legacy", "x") == (
        "Legacy script docstring. purepkg 1.0.0 ['x']\n"
    )
    assert _run(out / "bin" / "purepkg-shell") == "shell script\n"
    for script in ("purepkg-hello", "purepkg-legacy", "purepkg-shell"):
        assert stat.S_IMODE((out / "bin" / script).stat().st_mode) == 0o755
    assert b"/" + tmp_path.name.encode() not in (out / "bin" / "purepkg-hello").read_bytes()


def test_venv_works_after_a_move(tmp_path, purepkg):
    python = INTERPRETERS[0]
    assert make_venv(tmp_path / "venv", python, [purepkg]) == 0
    moved = tmp_path / "else where" / "moved venv"
    moved.parent.mkdir()
    shutil.move(str(tmp_path / "venv"), str(moved))
    assert _run(moved / "bin" / "purepkg-hello") == "purepkg 1.0.0 []\n"
    assert _run(moved / "bin" / "purepkg-legacy").startswith("Legacy script docstring.")
    code = "import sys; print(sys.prefix)"
    assert os.path.realpath(_run(moved / "bin" / "python", "-c", code).strip()) == str(
        moved.resolve()
    )


def test_script_names_are_not_shell_code(tmp_path):
    name = "x$(touch pwned)'`touch pwned2`"
    hostile = install(
        tmp_path,
        build_wheel(
            tmp_path / "w",
            "hostile",
            "1.0",
            files={
                "hostile/__init__.py": "",
                f"hostile-1.0.data/scripts/{name}": "#!python\nprint('harmless')\n",
                "hostile-1.0.data/scripts/sub/nested": "#!python\nprint('nested')\n",
            },
        ),
    )
    out = tmp_path / "venv"
    assert make_venv(out, INTERPRETERS[0], [hostile]) == 0
    work = tmp_path / "cwd"
    work.mkdir()
    for script, expected in ((name, "harmless\n"), ("sub/nested", "nested\n")):
        proc = subprocess.run(
            [str(out / "bin" / script)], capture_output=True, text=True, cwd=work, env=_clean_env()
        )
        assert (proc.returncode, proc.stdout) == (0, expected), proc.stderr
    assert list(work.iterdir()) == []


def test_venv_is_replaced_but_other_folders_are_not(tmp_path, purepkg, capsys):
    python = INTERPRETERS[0]
    out = tmp_path / "venv"
    assert make_venv(out, python, [purepkg]) == 0
    (out / "stale.txt").write_text("from an earlier run")
    assert make_venv(out, python, [purepkg]) == 0
    assert not (out / "stale.txt").exists()
    assert (out / "bin" / "purepkg-hello").is_file()

    other = tmp_path / "project"
    other.mkdir()
    (other / "keep.txt").write_text("precious")
    assert make_venv(other, python, [purepkg]) == 1
    assert "is not a virtual environment made by rules_pyuv" in capsys.readouterr().err
    assert (other / "keep.txt").read_text() == "precious"


def test_venv_is_deterministic(tmp_path, purepkg):
    python = INTERPRETERS[0]
    assert make_venv(tmp_path / "one", python, [purepkg]) == 0
    assert make_venv(tmp_path / "two", python, [purepkg]) == 0

    def listing(root: Path):
        return {
            p.relative_to(root).as_posix(): (
                os.readlink(p) if p.is_symlink() else p.read_bytes(),
                stat.S_IMODE(p.lstat().st_mode),
            )
            for p in sorted(root.rglob("*"))
            if p.is_symlink() or p.is_file()
        }

    assert listing(tmp_path / "one") == listing(tmp_path / "two")


def test_venv_refuses_conflicts(tmp_path, capsys):
    python = INTERPRETERS[0]
    a = _wheel(tmp_path, "a", "1.0", {"x/__init__.py": "A = 1\n"})
    b = _wheel(tmp_path, "b", "2.0", {"x/__init__.py": "B = 2\n"})
    assert make_venv(tmp_path / "venv", python, [a, b]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "rules_pyuv: packages 'a' 1.0 and 'b' 2.0 both install site-packages/x/__init__.py "
        "with different content"
    )
    assert not (tmp_path / "venv").exists()


def test_venv_refuses_scripts_that_clash(tmp_path, capsys):
    python = INTERPRETERS[0]
    shadow = install(
        tmp_path,
        build_wheel(
            tmp_path / "w1",
            "shadow",
            "1.0",
            entry_points={"console_scripts": {"python3": "shadow:main"}},
        ),
    )
    assert make_venv(tmp_path / "venv", python, [shadow]) == 1
    err = capsys.readouterr().err
    assert "package 'shadow' 1.0 installs bin/python3" in err

    one = install(
        tmp_path,
        build_wheel(
            tmp_path / "w2", "one", "1.0", entry_points={"console_scripts": {"tool": "one:main"}}
        ),
    )
    two = install(
        tmp_path,
        build_wheel(
            tmp_path / "w3", "two", "1.0", entry_points={"console_scripts": {"tool": "two:main"}}
        ),
    )
    assert make_venv(tmp_path / "venv", python, [one, two]) == 1
    assert "packages 'one' 1.0 and 'two' 1.0 both install bin/tool" in capsys.readouterr().err


def test_venv_checks_trees_against_manifests(tmp_path, purepkg, capsys):
    tree = Path(purepkg.rpartition(":")[0])
    init = tree / "site-packages" / "purepkg" / "__init__.py"
    init.chmod(0o644)
    init.write_text("tampered = True\n")
    assert make_venv(tmp_path / "venv", INTERPRETERS[0], [purepkg]) == 1
    assert "does not match its install manifest" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--python", "python3"], "must be an absolute path"),
        (["--python-version", "three"], "is not like '3.11'"),
        (["--pth", "import os; os.system('x')"], "is not a path for a .pth file"),
        (["--tree", "no-separator"], "is not TREE_DIR:MANIFEST"),
    ],
)
def test_venv_argument_errors(tmp_path, capsys, args, expected):
    argv = ["venv", "--out", str(tmp_path / "venv"), "--python", "/usr/bin/python3"]
    argv += ["--python-version", "3.11"] + args
    assert venv_tool.main(argv) == 1
    assert expected in capsys.readouterr().err
