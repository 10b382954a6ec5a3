"""Programs the py_* rules build see the lock's packages, never the interpreter's own.

Real Bazel 4.2.3 builds a workspace whose interpreter is a virtual environment made here
with --system-site-packages: its site-packages holds a module the lock lacks
(`sysonly_mod`), a `sitecustomize` and a `.pth` hook that, when run inside a program,
rewrites a file of a locked package's installed tree (as a real system hook rewrote
certifi's cacert.pem). Beyond it, the distribution's own site-packages (Debian's
dist-packages) are the interpreter's too. Every kind of program the rules make is run:
a py_binary, its launcher directly, a py_pytest_test, py_console_script_binary and the
hub's `:bin`. Each must

- import nothing from the interpreter's site dirs, nor have any of them on sys.path,
- run no system `.pth` hook nor sitecustomize,
- still process the `.pth` files of the locked wheels (an import line and a path line),
- keep exit()/quit(), the standard library and the app's own import roots,

and editing the app must re-run no PyWheelInstall.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.bazel import BazelWorkspace, read_execution_log
from tests.support.pkgbuild import build_wheel
from tests.support.pyindex import PackageIndex
from tests.support.uvlock import make_project, uv_lock

pytestmark = pytest.mark.bazel

# The locked wheel: a report of what the program sees, two .pth files (one runs an import
# line, one adds a folder) and a data file a system hook would rewrite.
PTHPKG_INIT = """\
import builtins
import json
import os
import sys


def report():
    probes = {}
    for name in os.environ.get("PROBE", "").split(","):
        if name:
            try:
                module = __import__(name)
            except ImportError:
                probes[name] = None
            else:
                probes[name] = getattr(module, "__file__", None) or "(no file)"
    try:
        import pthpkg_extra_mod

        extra = pthpkg_extra_mod.VALUE
    except ImportError:
        extra = None
    main = sys.modules["__main__"]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "data.txt")) as f:
        data = f.read()
    return {
        "argv0": sys.argv[0],
        "main_name": main.__name__,
        "main_file": getattr(main, "__file__", None),
        "path": sys.path,
        "probes": probes,
        "hook": os.environ.get("PTHPKG_HOOK"),
        "extra": extra,
        "sitecustomize": "sitecustomize" in sys.modules,
        "exit": callable(getattr(builtins, "exit", None)),
        "quit": callable(getattr(builtins, "quit", None)),
        "stdlib": json.__file__,
        "data": data,
    }


def main():
    print(json.dumps(report()))
"""

PTHPKG_FILES = {
    "pthpkg/__init__.py": PTHPKG_INIT,
    "pthpkg/data.txt": "as installed\n",
    # An import line, as *-nspkg.pth files have.
    "pthpkg_hook.pth": 'import os; os.environ.setdefault("PTHPKG_HOOK", "ran")\n',
    # A path line: a folder of the tree, relative to the site dir.
    "pthpkg-paths.pth": "pthpkg_extra\n",
    "pthpkg_extra/pthpkg_extra_mod.py": 'VALUE = "extra"\n',
}

SYSTEM_HOOK = """\
import os
import sys

try:
    with open({marker!r}, "a") as f:
        f.write("system .pth hook ran\\n")
except OSError:
    pass
for entry in sys.path:
    target = os.path.join(entry, "pthpkg", "data.txt")
    if os.path.isfile(target):
        try:
            with open(target, "a") as f:
                f.write("rewritten by a system hook\\n")
        except OSError:
            pass
"""

SITECUSTOMIZE = """\
try:
    with open({marker!r}, "a") as f:
        f.write("system sitecustomize ran\\n")
except OSError:
    pass
"""

APP_BUILD = """\
load(
    "@rules_pyuv//py:defs.bzl",
    "py_binary",
    "py_console_script_binary",
    "py_library",
    "py_pytest_test",
)

py_library(
    name = "root",
    srcs = ["src/app_root_mod.py"],
    imports = ["src"],
)

py_binary(
    name = "app",
    srcs = ["main.py"],
    env = {{"PROBE": "{probe}"}},
    deps = [":root", "@pypi//pthpkg"],
)

py_console_script_binary(
    name = "show",
    env = {{"PROBE": "{probe}"}},
    pkg = "@pypi//pthpkg",
)

py_pytest_test(
    name = "isolation_test",
    srcs = ["isolation_test.py"],
    env = {{"PROBE": "{probe}", "SYSTEM_SITES": "{sites}"}},
    pytest = "@pypi//pytest",
    deps = ["@pypi//pthpkg"],
)
"""

APP_MAIN = """\
import json

import app_root_mod
import pthpkg

report = pthpkg.report()
report["root"] = app_root_mod.VALUE
print(json.dumps(report))
"""

# The same checks, from inside pytest under `bazel test`.
PYTEST_FILE = """\
import os
import sys

import pthpkg


def test_sees_the_lock_and_not_the_interpreters_site_packages():
    report = pthpkg.report()
    sites = os.environ["SYSTEM_SITES"].split(os.pathsep)
    assert report["probes"]["sysonly_mod"] is None
    for name, where in report["probes"].items():
        assert where is None or not any(where.startswith(s + os.sep) for s in sites), name
    for entry in sys.path:
        assert os.path.realpath(entry) not in sites, entry
    assert report["hook"] == "ran"
    assert report["extra"] == "extra"
    assert not report["sitecustomize"]
    assert report["exit"] and report["quit"]
    assert report["data"] == "as installed\\n"
"""


def _interpreter_facts(python: Path) -> dict:
    """The interpreter's site dirs and the top-level modules they hold (as it runs normally)."""
    script = """\
import json, os, site, sys
sites = [os.path.realpath(p) for p in site.getsitepackages() if os.path.isdir(p)]
names = set()
for d in sites:
    for entry in os.listdir(d):
        stem = entry[:-3] if entry.endswith(".py") else entry
        full = os.path.join(d, entry)
        if stem.isidentifier() and (entry.endswith(".py") or os.path.isfile(
            os.path.join(full, "__init__.py"))):
            names.add(stem)
names -= set(sys.stdlib_module_names)
print(json.dumps({"sites": sites, "modules": sorted(names),
                  "version": "%d.%d" % sys.version_info[:2]}))
"""
    out = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def system_python(tmp_path_factory):
    """A venv (with the distribution's site-packages too) whose site dir we control."""
    base = tmp_path_factory.mktemp("system-python")
    venv = base / "venv"
    subprocess.run(
        ["/usr/bin/python3", "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
        timeout=120,
    )
    python = venv / "bin" / "python3"
    facts = _interpreter_facts(python)
    (own,) = [s for s in facts["sites"] if s.startswith(os.path.realpath(venv) + os.sep)]
    marker = base / "ran.txt"
    own = Path(own)
    (own / "sysonly_mod.py").write_text("VALUE = 'from the system'\n")
    (own / "sysonly_hook.py").write_text(SYSTEM_HOOK.format(marker=str(marker)))
    (own / "zz_sysonly_hook.pth").write_text("import sysonly_hook\n")
    # (A sitecustomize in the standard library's folder, as Debian has, wins over this one.)
    (own / "sitecustomize.py").write_text(SITECUSTOMIZE.format(marker=str(marker)))
    # The interpreter does see them when it runs normally (the test would prove nothing
    # otherwise).
    seen = subprocess.run(
        [
            str(python),
            "-s",
            "-c",
            "import sysonly_mod, sys; print(sysonly_mod.VALUE); "
            "print('sitecustomize' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert seen.stdout.splitlines() == ["from the system", "True"]
    assert "system .pth hook ran" in marker.read_text()
    marker.unlink()
    # A few of the distribution's own modules, beside the controlled one.
    probe = ["sysonly_mod"] + [m for m in facts["modules"] if m != "sysonly_mod"][:8]
    return {
        "python": python,
        "sites": facts["sites"],
        "probe": probe,
        "marker": marker,
        "version": facts["version"],
    }


def _cpu() -> str:
    machine = os.uname().machine
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[
        machine
    ]


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, standard_packages, uv_cache_dir, system_python):
    base = tmp_path_factory.mktemp("isolation")
    wheel = build_wheel(
        base / "wheels",
        "pthpkg",
        "1.0.0",
        files=PTHPKG_FILES,
        entry_points={"console_scripts": {"pthpkg": "pthpkg:main"}},
    )
    index = PackageIndex([*standard_packages.all_files(), wheel]).start()
    workspace = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    try:
        make_project(workspace.root, "app", ["pthpkg==1.0.0", "pytest"], requires_python=">=3.11")
        uv_lock(workspace.root, index.url, cache_dir=uv_cache_dir)
        workspace.append(
            "WORKSPACE",
            f"""
            load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

            uv_lock(
                name = "pypi",
                lockfile = "//:uv.lock",
                python_version = "{system_python["version"]}",
            )

            load("@pypi//:repositories.bzl", "install_deps")

            install_deps()

            register_toolchains("//toolchains:all")
            """,
        )
        constraints = json.dumps(["@platforms//os:linux", f"@platforms//cpu:{_cpu()}"])
        workspace.write(
            "toolchains/BUILD.bazel",
            f"""
            load("@rules_pyuv//py:toolchains.bzl", "py_interpreter_toolchain")

            py_interpreter_toolchain(
                name = "venv_python",
                exec_compatible_with = {constraints},
                interpreter_path = {json.dumps(str(system_python["python"]))},
                python_version = "{system_python["version"]}",
                target_compatible_with = {constraints},
            )
            """,
        )
        sites = os.pathsep.join(system_python["sites"])
        probe = ",".join(system_python["probe"])
        workspace.write("app/BUILD.bazel", APP_BUILD.format(probe=probe, sites=sites))
        workspace.write("app/main.py", APP_MAIN)
        workspace.write("app/src/app_root_mod.py", 'VALUE = "app root"\n')
        workspace.write("app/isolation_test.py", PYTEST_FILE)
        yield workspace
    finally:
        workspace.close()
        index.stop()


def _problems(report: dict, system_python: dict) -> list[str]:
    """What in a program's report shows the interpreter's site-packages leaking in."""
    sites = system_python["sites"]
    problems = []
    if report["probes"].get("sysonly_mod", "missing") is not None:
        problems.append(f"sysonly_mod imported: {report['probes'].get('sysonly_mod')}")
    for name, where in report["probes"].items():
        if where and any(where.startswith(s + os.sep) for s in sites):
            problems.append(f"{name} imported from the system: {where}")
    for entry in report["path"]:
        if os.path.realpath(entry) in sites:
            problems.append(f"system site dir on sys.path: {entry}")
    if report["hook"] != "ran":
        problems.append("the locked wheel's import .pth did not run")
    if report["extra"] != "extra":
        problems.append("the locked wheel's path .pth was not processed")
    if report["sitecustomize"]:
        problems.append("a sitecustomize was imported")
    if not (report["exit"] and report["quit"]):
        problems.append("exit()/quit() are missing")
    if any(report["stdlib"].startswith(s + os.sep) for s in sites):
        problems.append(f"json came from {report['stdlib']}")
    if report["data"] != "as installed\n":
        problems.append(f"pthpkg/data.txt was rewritten: {report['data']!r}")
    marker = system_python["marker"]
    if marker.exists():
        problems.append(f"the system's hooks ran: {marker.read_text()!r}")
    return problems


def _report(stdout: str) -> dict:
    (line,) = [x for x in stdout.splitlines() if x.startswith("{")]
    return json.loads(line)


def test_py_binary_sees_only_the_lock_run_and_direct(ws, system_python, tmp_path):
    report = _report(ws.run("run", "//app:app").stdout)
    assert _problems(report, system_python) == []
    assert report["root"] == "app root"
    assert report["main_name"] == "__main__"
    assert report["main_file"].endswith("/app/main.py")
    # sys.path[0] is main's real folder, as `python main.py` makes it.
    assert report["path"][0] == str((ws.root / "app").resolve())
    launcher = ws.bin_path("app/app")
    env = {k: v for k, v in os.environ.items() if k != "RUNFILES_DIR"}
    out = subprocess.run(
        [str(launcher)], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    direct = _report(out.stdout)
    assert _problems(direct, system_python) == []
    assert direct["argv0"].endswith("/app/main.py")


def test_console_scripts_see_only_the_lock(ws, system_python):
    named = _report(ws.run("run", "//app:show").stdout)
    assert _problems(named, system_python) == []
    assert named["argv0"] == "pthpkg"
    # The hub's :bin has no PROBE of its own; the controlled module is checked by sys.path.
    hub = _report(ws.run("run", "@pypi//pthpkg:bin").stdout)
    assert _problems(hub | {"probes": {"sysonly_mod": None}}, system_python) == []


def test_pytest_sees_only_the_lock(ws, system_python):
    proc = ws.run("test", "//app:isolation_test", "--test_output=errors", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not system_python["marker"].exists(), system_python["marker"].read_text()


def test_exit_status_and_tracebacks_are_the_programs(ws, tmp_path):
    ws.write(
        "fail/BUILD.bazel",
        """
        load("@rules_pyuv//py:defs.bzl", "py_binary")

        py_binary(name = "quits", srcs = ["quits.py"])

        py_binary(name = "raises", srcs = ["raises.py"])
        """,
    )
    ws.write("fail/quits.py", "import sys\nprint(sys.argv[1:])\nquit(7)\n")
    ws.write("fail/raises.py", "def boom():\n    raise ValueError('boom')\n\n\nboom()\n")
    ws.run("build", "//fail:all")
    quits = subprocess.run(
        [str(ws.bin_path("fail/quits")), "a b", "--", "c"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (quits.returncode, quits.stdout) == (7, "['a b', '--', 'c']\n"), quits.stderr
    raises = subprocess.run(
        [str(ws.bin_path("fail/raises"))], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert raises.returncode == 1
    assert 'raises.py", line 2, in boom' in raises.stderr
    assert raises.stderr.rstrip().endswith("ValueError: boom"), raises.stderr


def test_running_then_editing_the_app_reinstalls_no_package(ws, system_python, tmp_path):
    ws.run("build", "//app:app")
    # Running the program used to let a system hook write into the installed tree.
    subprocess.run([str(ws.bin_path("app/app"))], cwd=tmp_path, check=True, timeout=60)
    main = ws.root / "app" / "main.py"
    original = main.read_text()
    log = tmp_path / "exec.json"
    try:
        main.write_text(original + "print('edited')\n")
        ws.run("build", "//app:app", f"--execution_log_json_file={log}")
        mnemonics = [s.get("mnemonic") for s in read_execution_log(log)]
        assert "PyWheelInstall" not in mnemonics, mnemonics
        out = ws.run("run", "//app:app").stdout
        assert out.splitlines()[-1] == "edited"
        assert _problems(_report(out), system_python) == []
    finally:
        main.write_text(original)
