"""py/private/launcher_bootstrap.py run as the launcher runs it, without Bazel.

`python -S -s -B launcher_bootstrap.py SITE_DIR... -- MAIN ARG...` must run MAIN as
`python MAIN ARG...` would (argv, __main__, __file__, sys.path[0], exit status,
tracebacks, multiprocessing's spawn), with the site dirs' .pth files processed and none
of the interpreter's site-packages on sys.path. (tests/test_isolation_e2e.py checks the
same through real Bazel builds.)
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BOOTSTRAP = Path(__file__).resolve().parents[1] / "py" / "private" / "launcher_bootstrap.py"
# The system's Python and, where a pyenv has them, each version the rules support.
PYTHONS = [p for p in ["/usr/bin/python3"] if os.path.exists(p)] or [sys.executable]
PYTHONS += sorted(
    p
    for minor in range(8, 14)
    for p in glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/python3"))
)

REPORT = """\
names = sorted(n for n in globals() if not n.startswith("__"))
import builtins, json, os, sys
print(json.dumps({
    "argv": sys.argv,
    "name": __name__,
    "file": __file__,
    "path": sys.path,
    "globals": names,
    "pth": os.environ.get("TREE_PTH"),
    "extra": __import__("extra_mod").VALUE,
    "exit": callable(getattr(builtins, "exit", None)),
    "quit": callable(getattr(builtins, "quit", None)),
    "loader": type(__loader__).__name__,
    "spec": __spec__,
    "no_site": sys.flags.no_site,
}))
"""


@pytest.fixture
def layout(tmp_path):
    """A site dir with an import .pth and a path .pth; MAIN reached through a symlink."""
    tree = tmp_path / "tree" / "site-packages"
    (tree / "extra").mkdir(parents=True)
    (tree / "extra" / "extra_mod.py").write_text("VALUE = 'from a path .pth'\n")
    (tree / "a-nspkg.pth").write_text("import os; os.environ['TREE_PTH'] = 'ran'\n")
    (tree / "b.pth").write_text("# a comment\nextra\nmissing-folder\n")
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.py").write_text(REPORT)
    runfiles = tmp_path / "runfiles"
    runfiles.mkdir()
    (runfiles / "main.py").symlink_to(src / "main.py")
    return tree, src, runfiles


@pytest.fixture(params=PYTHONS)
def python(request):
    return request.param


def _run(python, args, cwd, env_path="", **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TREE_PTH")}
    if env_path:
        env["PYTHONPATH"] = env_path
    return subprocess.run(
        [python, "-S", "-s", "-B", str(BOOTSTRAP), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def _system_sites(python) -> list[str]:
    out = subprocess.run(
        [python, "-c", "import json, site; print(json.dumps(site.getsitepackages()))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_runs_main_like_the_interpreter_with_the_trees_pth_files(python, layout, tmp_path):
    tree, src, runfiles = layout
    main = str(runfiles / "main.py")
    proc = _run(python, [str(tree), "--", main, "a b", "--", "-c"], tmp_path, env_path=str(tree))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["argv"] == [main, "a b", "--", "-c"]
    assert report["name"] == "__main__"
    assert report["file"] == main
    # As `python main.py` does: main's real folder first, symlinks resolved.
    assert report["path"][0] == str(src.resolve())
    assert report["globals"] == []
    assert report["pth"] == "ran"
    assert report["extra"] == "from a path .pth"
    # The path .pth adds its existing folder once, after the tree itself.
    assert report["path"].count(str(tree / "extra")) == 1
    assert report["path"].count(str(tree)) == 1
    assert not any(p.endswith("missing-folder") for p in report["path"])
    assert report["exit"] and report["quit"]
    assert report["loader"] == "SourceFileLoader" and report["spec"] is None
    assert report["no_site"] == 1
    for site_dir in _system_sites(python):
        assert site_dir not in report["path"]


def test_exit_status_tracebacks_and_a_relative_main(python, tmp_path):
    (tmp_path / "quits.py").write_text("quit(5)\n")
    assert _run(python, ["--", "quits.py"], tmp_path).returncode == 5
    (tmp_path / "raises.py").write_text("def f():\n    raise KeyError('k')\n\n\nf()\n")
    proc = _run(python, ["--", "raises.py"], tmp_path)
    assert proc.returncode == 1
    assert f'File "{tmp_path / "raises.py"}", line 2, in f' in proc.stderr or (
        'File "raises.py", line 2, in f' in proc.stderr
    ), proc.stderr
    assert proc.stderr.rstrip().endswith("KeyError: 'k'")
    # A relative main: __file__ absolute, argv[0] as given (as the interpreter does).
    (tmp_path / "where.py").write_text("import sys; print(__file__, sys.argv[0])\n")
    out = _run(python, ["--", "where.py"], tmp_path)
    assert out.stdout.split() == [str(tmp_path / "where.py"), "where.py"]


def test_future_imports_of_the_bootstrap_do_not_leak_into_main(python, tmp_path):
    # Under `from __future__ import annotations` this annotation would stay a string.
    (tmp_path / "ann.py").write_text("x: int = 1\nprint(__annotations__)\n")
    out = _run(python, ["--", "ann.py"], tmp_path)
    assert out.stdout.strip() == "{'x': <class 'int'>}", out.stderr


def test_multiprocessing_spawn_finds_main_and_the_trees(python, layout, tmp_path):
    tree, _, _ = layout
    (tmp_path / "mp.py").write_text(
        "import multiprocessing as mp\n"
        "def work(x):\n"
        "    import extra_mod\n"
        "    return x * 2, extra_mod.VALUE\n"
        "if __name__ == '__main__':\n"
        "    with mp.get_context('spawn').Pool(1) as pool:\n"
        "        print(pool.map(work, [1, 2]))\n"
    )
    proc = _run(python, [str(tree), "--", str(tmp_path / "mp.py")], tmp_path, env_path=str(tree))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[(2, 'from a path .pth'), (4, 'from a path .pth')]"


def test_without_the_separator_it_says_how_it_is_called(python, tmp_path):
    proc = _run(python, ["main.py"], tmp_path)
    assert proc.returncode == 1
    assert "launcher_bootstrap.py needs SITE_DIR... -- MAIN [ARG...]" in proc.stderr
