#!/usr/bin/env python3
"""Benchmark: building an app of ~50 locked packages with Bazel against `uv sync`.

Generates N packages (mostly pure wheels with a dependency DAG, markers and extras; a few
hand-tagged manylinux x86_64 wheels; two C-extension packages offered only as sdists),
serves them with the seed wheels (setuptools, wheel, packaging) from a package index on
127.0.0.1, locks a project that depends on all of them with the real `uv lock`, and then
measures in the same run, each figure the best and median of --repeat fully cold runs:

* uv: `uv sync --frozen` into a fresh virtual environment with an empty uv cache (the two
  sdists are compiled from source), then `uv sync --frozen` again after an app source
  file changed (a no-op for uv);
* Bazel 4.2.3: the server start of a fresh output base (`bazel info server_pid`, which
  loads nothing), then `bazel build //app:app` with an empty repository cache and no disk
  cache (WORKSPACE and hub, artifact fetches, analysis, every wheel installed, the two
  sdists compiled by sdist_build), then the rebuild after appending a comment to
  app/main.py (the actions re-run, by mnemonic: PyWheelInstall and PySdistBuild must not
  appear), then a no-op rebuild.

Where the cold build's time goes comes from Bazel's JSON profile and execution log:
phases, repository rules, action time by mnemonic, the critical path; one PyWheelInstall
action against the same whl_install.py run directly; and, in the last run, every action
again after `bazel clean`, sandboxed (the default) and with --spawn_strategy=local.
The app's output from bazel-bin and from uv's venv must be identical.

Bazel's floor, in each run (--no-floor skips it): a workspace with no ruleset that fetches
the same artifacts the cold build fetched with Bazel's own repository rules, one
repository each (`http_file`; and `http_archive(type = "zip")`, Bazel's own unzip, for the
wheels), built cold on a fresh output base; and the same wheels unpacked with `unzip`, one
process per core, outside Bazel. The fetch plus the unpacking is the floor of a ruleset
that fetches each artifact in its own repository and installs in actions (ours); the
http_archive build, which unpacks while it fetches, is the floor of one that installs at
fetch time. The report prints both against uv and this build against the lesser.

It prints a table and the ratios Bazel / uv. Figures, not assertions: see
docs/performance.md.

With --real (or --requirements FILE), the app instead depends on real public packages
(tools/bench_real.py holds the default list, ~100 locked packages), locked at run time with
`uv lock` against uv's default index, so the run needs that index; uv and Bazel then
download the same files. The app imports each requirement's modules (found in uv's venv
after the first sync) and prints their versions and every distribution it can see.

    .venv/bin/python tools/bench_build.py [--packages 50] [--repeat 3]
    .venv/bin/python tools/bench_build.py --real [--requirements FILE] [--repeat 3]
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import datetime
import difflib
import gzip
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.bazel import BAZEL, read_execution_log  # noqa: E402
from tests.support.index_fixtures import BUILD_GROUP, seed_wheels  # noqa: E402
from tests.support.pkgbuild import build_sdist, build_wheel, import_name  # noqa: E402
from tests.support.pyindex import PackageIndex  # noqa: E402
from tests.support.uvlock import find_uv, make_project, uv_env, uv_lock  # noqa: E402
from tools import bench_real  # noqa: E402
from tools.bench_lock import _packed, _proto_fields  # noqa: E402

PYTHON = "/usr/bin/python3"  # the interpreter both sides use (3.11, as the lock targets)
MANYLINUX_TAG = "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
MANYLINUX_ARM_TAG = "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64"
WORDS = (
    "aero blue cask delta ember fjord grain harbor iris jade kelp lumen maple nova "
    "onyx pixel quartz raven sable tidal umber vortex willow xenon yarrow zephyr"
).split()
NOUNS = (
    "adapter auth cache client codec core format helpers io kit parser plugin proto "
    "runtime schema server signals utils validator wrapper"
).split()
EDGE_MARKERS = (
    'sys_platform == "linux"',
    'sys_platform != "win32"',
    'platform_machine == "x86_64"',
    'python_version >= "3.8"',
    'implementation_name == "cpython"',
    'sys_platform == "win32"',  # never true here: the edge is dropped on Linux
)

WORKSPACE = """\
workspace(name = "bench")

local_repository(
    name = "rules_pyuv",
    path = "{repo}",
)

load("@rules_pyuv//:repositories.bzl", "rules_pyuv_dependencies")

rules_pyuv_dependencies()

load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

uv_lock(
    name = "pypi",
    lockfile = "//:uv.lock",
    python_version = "{python_version}",{hub_attrs}
)

load("@pypi//:repositories.bzl", "install_deps")

install_deps()

register_toolchains(
    "//platforms:all",
    "@rules_pyuv//uv/toolchains:all",
)
"""

PLATFORMS_BUILD = """\
load("@rules_pyuv//py:toolchains.bzl", "py_interpreter_toolchain")

py_interpreter_toolchain(
    name = "python_linux_x86_64",
    exec_compatible_with = [
        "@platforms//os:linux",
        "@platforms//cpu:x86_64",
    ],
    interpreter_path = "{python}",
    python_version = "{python_version}",
    target_compatible_with = [
        "@platforms//os:linux",
        "@platforms//cpu:x86_64",
    ],
)
"""


# --------------------------------------------------------------------------- packages


@dataclass
class Package:
    name: str
    version: str
    kind: str  # "pure" | "manylinux" | "native"
    deps: list[str] = field(default_factory=list)  # requirement strings
    extras: dict[str, list[str]] = field(default_factory=dict)
    requires_python: str | None = None

    @property
    def module(self) -> str:
        return import_name(self.name)


def plan_packages(n: int, seed: int) -> list[Package]:
    """n packages: 2 C-extension sdists, 3 manylinux wheels, the rest pure wheels.

    Dependencies point down the list (a DAG); a fifth of the edges carry a marker, about
    one package in eight offers an extra.
    """
    if n < 10:
        raise SystemExit("bench_build: --packages must be at least 10")
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < n:
        name = f"{rng.choice(WORDS)}-{rng.choice(NOUNS)}"
        if name not in names:
            names.append(name)
    names[n // 3] = names[n // 3].title().replace("-", ".")  # one Mixed.Case name
    pkgs = []
    for i, name in enumerate(names):
        kind = "native" if i in (n // 4, n // 2) else "manylinux" if i % 15 == 7 else "pure"
        version = f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        pkgs.append(Package(name, version, kind, requires_python=rng.choice((None, ">=3.8"))))
    for i, pkg in enumerate(pkgs):
        later = pkgs[i + 1 :]
        for target in rng.sample(later, min(len(later), rng.randint(0, 4))):
            req = f"{target.name}>={target.version}"
            if rng.random() < 0.2:
                req += f"; {rng.choice(EDGE_MARKERS)}"
            pkg.deps.append(req)
        if i % 8 == 3 and len(later) > 2:
            pkg.extras = {"speedups": [f"{t.name}>=0" for t in rng.sample(later, 2)]}
    return pkgs


def build_packages(pkgs: list[Package], out: Path) -> list[Path]:
    files = []
    for pkg in pkgs:
        kw = dict(requires_dist=pkg.deps, extras=pkg.extras, requires_python=pkg.requires_python)
        if pkg.kind == "native":
            files.append(build_sdist(out, pkg.name, pkg.version, c_extension=True, **kw))
        elif pkg.kind == "manylinux":
            for tag in (MANYLINUX_TAG, MANYLINUX_ARM_TAG):
                files.append(build_wheel(out, pkg.name, pkg.version, tag=tag, **kw))
            files.append(build_sdist(out, pkg.name, pkg.version, **kw))
        else:
            files.append(build_wheel(out, pkg.name, pkg.version, **kw))
    return files


def top_level(pkgs: list[Package]) -> list[str]:
    """The project's dependencies: every package, with its extra where it has one."""
    reqs = []
    for pkg in pkgs:
        extras = f"[{','.join(pkg.extras)}]" if pkg.extras else ""
        reqs.append(f"{pkg.name}{extras}>={pkg.version}")
    return reqs


def app_main(pkgs: list[Package], edit: int = 0) -> str:
    modules = sorted(p.module for p in pkgs)
    natives = sorted(p.module for p in pkgs if p.kind == "native")
    lines = ['"""Benchmark app: every locked package reports where it came from."""', ""]
    lines += [f"import {m}" for m in modules]
    lines += ["", "MODULES = [" + ", ".join(modules) + "]", "", 'if __name__ == "__main__":']
    lines += ["    for module in MODULES:", "        print(module.hello())"]
    lines += [f"    print({m}.native_hello(), {m}.add(2, 3))" for m in natives]
    return "\n".join(lines) + "\n" + "".join(f"# edit {k}\n" for k in range(1, edit + 1))


def app_build(pkgs: list[Package]) -> str:
    labels = []
    for pkg in pkgs:
        label = import_name(pkg.name)
        labels.append(f"@pypi//{label}")
        labels += [f"@pypi//{label}:extra_{e}" for e in pkg.extras]
    deps = "".join(f'        "{label}",\n' for label in sorted(labels))
    return (
        'load("@rules_pyuv//py:defs.bzl", "py_binary")\n\n'
        "py_binary(\n"
        '    name = "app",\n'
        '    srcs = ["main.py"],\n'
        "    deps = [\n" + deps + "    ],\n)\n"
    )


# --------------------------------------------------------------------------- running


def _rmtree(path: Path) -> None:
    """Removes a tree, including Bazel's read-only output folders."""
    if not path.exists():
        return
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            p = os.path.join(root, d)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
    shutil.rmtree(path, ignore_errors=True)


def listen_overflows() -> int:
    """The machine's count of connections dropped because a listen backlog was full."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            row = dict(zip(names.split(), values.split(), strict=False))
            return int(row.get("ListenOverflows", 0))
    return 0


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(
            f"bench_build: `{' '.join(argv)}` exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    return seconds, proc.stdout + proc.stderr


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a live process and all its descendants, reaped or not.

    A process's own times plus the times of the children it has waited for; descendants
    still alive (Bazel's persistent workers) are counted from their own entries. Unlike
    wall time, this hardly moves with the load of other jobs on a shared machine.
    """
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after the command name
        # fields[1] is the parent pid; [11:15] are utime, stime, cutime, cstime.
        stats[int(entry.name)] = (int(fields[1]), sum(map(int, fields[11:15])) / tick)
    children: dict[int, list[int]] = collections.defaultdict(list)
    for child, (parent, _) in stats.items():
        children[parent].append(child)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo.extend(children[current])
    return total


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children so far (resource.getrusage)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class UvRun:
    cold: float
    noop: float
    installed: int
    summary: str  # uv's own "Prepared ... / Installed ..." lines of the cold sync
    overflows: int  # listen-backlog drops on the machine during the cold sync
    cpu: float = 0.0  # CPU seconds of the cold sync (uv and its build processes)
    load: float = 0.0  # load average (1 minute) at the end of the cold sync


def uv_sync_run(project: Path, scratch: Path, python: str, edit) -> UvRun:
    """A cold `uv sync --frozen` (empty cache, new venv), an app edit, then a no-op sync."""
    cache, venv = scratch / "uv-cache", scratch / "venv"
    env = uv_env(
        cache,
        extra={"UV_PYTHON": python, "UV_PROJECT_ENVIRONMENT": str(venv)},
    )
    argv = [find_uv(), "sync", "--frozen", "--color", "never"]
    overflows = listen_overflows()
    cpu = children_cpu()
    cold, out = _timed(argv, project, env)
    cpu = children_cpu() - cpu
    overflows = listen_overflows() - overflows
    edit()
    noop, _ = _timed(argv, project, env)
    installed = re.search(r"Installed (\d+) packages?", out)
    summary = [ln.strip() for ln in out.splitlines() if re.match(r"\s*(Prepared|Installed)", ln)]
    count = int(installed.group(1)) if installed else 0
    return UvRun(cold, noop, count, "; ".join(summary), overflows, cpu, os.getloadavg()[0])


@dataclass
class BuildFigures:
    seconds: float
    processes: str  # Bazel's "N processes: ..." summary
    runners: collections.Counter  # executed spawns by runner (linux-sandbox, ...)
    spawns: collections.Counter  # executed spawns by mnemonic (execution log)
    profile: Profile
    cpu: float = 0.0  # CPU seconds of the Bazel server and its workers and actions
    starlark: float = 0.0  # Starlark CPU seconds (--starlark_cpu_profile)
    hub_starlark: float = 0.0  # ... of them in the hub rule (uv_lock)


@dataclass
class BazelRun:
    server_start: float
    cold: BuildFigures
    edit: BuildFigures
    noop: BuildFigures
    app_output: str
    # After `bazel clean` (fetched repositories stay): every action again, with the
    # default sandboxed strategy and with --spawn_strategy=local; None when skipped.
    sandboxed: BuildFigures | None = None
    local: BuildFigures | None = None


@dataclass
class FloorRun:
    """Bazel with no ruleset: the same artifacts fetched by Bazel's own repository rules."""

    server_start: float
    fetch: BuildFigures  # every artifact through http_file
    extract: BuildFigures  # wheels through http_archive(type = "zip"), sdists through http_file


FLOOR_WORKSPACE_HEAD = """\
workspace(name = "floor")

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive", "http_file")
"""

FLOOR_BUILD = """\
filegroup(
    name = "all",
    srcs = {srcs},
)
"""


def lock_artifacts(lock: Path) -> dict[str, tuple[str, str]]:
    """File name -> (URL, sha256) of every wheel and sdist in the lock."""
    found: dict[str, tuple[str, str]] = {}
    for package in tomllib.loads(lock.read_text()).get("package", []):
        for artifact in [*package.get("wheels", []), package.get("sdist") or {}]:
            url, digest = artifact.get("url", ""), artifact.get("hash", "")
            if url and digest.startswith("sha256:"):
                found[urllib.parse.unquote(url.rsplit("/", 1)[-1])] = (url, digest[7:])
    return found


def floor_workspace(dest: Path, artifacts: list[tuple[str, str, str]], extract: bool) -> None:
    """A workspace that fetches the artifacts with Bazel's own rules and nothing else.

    Its target depends on every repository, so building it runs every fetch (and, with
    extract, Bazel's own unzip of every wheel) but no action: what no ruleset that
    fetches through Bazel can go under.
    """
    dest.mkdir(parents=True)
    lines, srcs = [FLOOR_WORKSPACE_HEAD], []
    for i, (filename, url, sha256) in enumerate(artifacts):
        name = f"artifact_{i}"
        if extract and filename.endswith(".whl"):
            lines.append(
                f"http_archive(\n    name = {json.dumps(name)},\n    urls = [{json.dumps(url)}],\n"
                f'    sha256 = {json.dumps(sha256)},\n    type = "zip",\n'
                '    build_file_content = \'filegroup(name = "files", srcs = [], '
                'visibility = ["//visibility:public"])\',\n)\n'
            )
            srcs.append(f"@{name}//:files")
        else:
            lines.append(
                f"http_file(\n    name = {json.dumps(name)},\n    urls = [{json.dumps(url)}],\n"
                f"    sha256 = {json.dumps(sha256)},\n"
                f"    downloaded_file_path = {json.dumps(filename)},\n)\n"
            )
            srcs.append(f"@{name}//file")
    (dest / "WORKSPACE").write_text("\n".join(lines))
    (dest / "BUILD.bazel").write_text(FLOOR_BUILD.format(srcs=json.dumps(srcs, indent=8)))


def floor_run(scratch: Path, user_root: Path, artifacts: list[tuple[str, str, str]]) -> FloorRun:
    """Server start and cold build of the two floor workspaces, each on a fresh output base."""
    figures: list[BuildFigures] = []
    start = 0.0
    for extract in (False, True):
        ws = scratch / ("extract" if extract else "fetch")
        floor_workspace(ws / "ws", artifacts, extract)
        (ws / "bazel").mkdir()
        bazel = Bazel(ws / "ws", ws / "bazel", user_root)
        try:
            seconds = bazel.start()
            start = start or seconds
            figures.append(bazel.build("//:all"))
        finally:
            bazel.shutdown()
    _rmtree(scratch)
    return FloorRun(start, *figures)


PHASE_NAMES = {
    "Launch Blaze": "launch",
    "Initialize command": "init",
    "Evaluate target patterns": "target patterns (WORKSPACE, hub)",
    "Load and analyze dependencies": "load+analyze (artifact fetches)",
    "Analyze licenses": "licenses",
    "Prepare for build": "prepare",
    "Build artifacts": "execute",
    "Complete build": "finish",
}


@dataclass
class Profile:
    phases: dict[str, float]  # seconds per build phase
    actions: dict[str, float]  # summed seconds of action processing by mnemonic
    action_counts: collections.Counter  # actions by mnemonic ("internal" for non-spawns)
    repositories: dict[str, float]  # seconds per repository rule run (those profiled)
    critical_path: list[tuple[str, float]]  # (mnemonic, seconds) in order
    # (seconds, mnemonic, progress message) of every spawn action, slowest first
    spawn_times: list[tuple[float, str, str]] = field(default_factory=list)


def read_profile(path: Path, mnemonics: dict[str, str]) -> Profile:
    """Reads Bazel's JSON trace profile; mnemonics maps progress messages to mnemonics."""
    with gzip.open(path, "rt") as f:
        events = json.load(f)
    events = events["traceEvents"] if isinstance(events, dict) else events
    markers = sorted((e["ts"], e["name"]) for e in events if e.get("cat") == "build phase marker")
    end = max((e.get("ts", 0) + e.get("dur", 0) for e in events), default=0)
    phases: dict[str, float] = {}
    for (ts, name), nxt in zip(markers, [*markers[1:], (end, "")], strict=True):
        key = PHASE_NAMES.get(name, name)
        phases[key] = phases.get(key, 0.0) + max(0, nxt[0] - ts) / 1e6
    actions: dict[str, float] = collections.defaultdict(float)
    counts: collections.Counter = collections.Counter()
    repositories: dict[str, float] = {}
    critical: list[tuple[str, float]] = []
    spawn_times: list[tuple[float, str, str]] = []
    for e in events:
        cat, name, dur = e.get("cat"), e.get("name", ""), e.get("dur", 0) / 1e6
        if cat == "action processing":
            mnemonic = mnemonics.get(name, "internal")
            actions[mnemonic] += dur
            counts[mnemonic] += 1
            if mnemonic != "internal":
                spawn_times.append((dur, mnemonic, name))
        elif cat == "Starlark repository function call" and name.startswith("//external:"):
            repositories[name.removeprefix("//external:")] = dur
        elif cat == "critical path component":
            message = name.removeprefix("action '").removesuffix("'")
            critical.append((mnemonics.get(message, "internal"), dur))
    spawn_times.sort(reverse=True)
    return Profile(phases, dict(actions), counts, repositories, critical, spawn_times)


def starlark_cpu(path: Path, function: str = "_uv_lock_impl") -> tuple[float, float]:
    """(all, in function) Starlark CPU seconds of a --starlark_cpu_profile (pprof) file.

    A sample counts for function when that function is on its stack.
    """
    data = gzip.decompress(path.read_bytes())
    strings, samples, locations, functions = [], [], {}, {}
    for number, _, value in _proto_fields(data):
        if number == 6:  # Profile.string_table
            strings.append(value.decode())
        elif number == 2:  # Profile.sample: location ids, values (the last: CPU µs)
            ids, values = [], []
            for n, wire, v in _proto_fields(value):
                (ids if n == 1 else values if n == 2 else []).extend(_packed(wire, v))
            samples.append((ids, values[-1] if values else 0))
        elif number == 4:  # Profile.location: id, lines (function ids)
            fields = list(_proto_fields(value))
            loc = next((v for n, _, v in fields if n == 1), 0)
            locations[loc] = [
                next((x for m, _, x in _proto_fields(v) if m == 1), 0)
                for n, _, v in fields
                if n == 4
            ]
        elif number == 5:  # Profile.function: id, name (a string index)
            fields = {n: v for n, _, v in _proto_fields(value)}
            functions[fields.get(1, 0)] = fields.get(2, 0)
    total = inside = 0
    for ids, micros in samples:
        total += micros
        names = {strings[functions[f]] for i in ids for f in locations.get(i, [])}
        inside += micros if function in names else 0
    return total / 1e6, inside / 1e6


def interpreter_version(python: str) -> str:
    """The interpreter's full release, e.g. "3.11.2"."""
    return subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def snapshot_ruleset(dest: Path) -> Path:
    """A copy of the ruleset as committed (HEAD) for the benchmark's WORKSPACE to use.

    Other work may edit the checkout while a benchmark runs: an edited .bzl file of the
    hub rule makes Bazel evaluate the hub again, charged to the step being measured, and
    a file caught mid-edit breaks the build. Without git, the working tree is copied.
    """
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", "HEAD"],
        capture_output=True,
    )
    if archive.returncode == 0:
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    else:
        ignore = shutil.ignore_patterns(".git", ".cache", ".venv", "bazel-*", "node_modules")
        shutil.copytree(REPO_ROOT, dest, ignore=ignore, symlinks=True, dirs_exist_ok=True)
    return dest


# --bazel-flag: further options of every `bazel build` (e.g. to weigh a lever such as
# --strategy=PyWheelInstall=sandboxed against the default persistent worker).
EXTRA_BUILD_FLAGS: list[str] = []
# --startup-flag: further startup options of the benchmark's Bazel servers.
EXTRA_STARTUP_FLAGS: list[str] = []
# --keep: the folder (one, or none) that gets a copy of every build's JSON profile, as
# build-N.json.gz in the order of the builds.
PROFILE_COPIES: list[Path] = []


class Bazel:
    """Bazel 4.2.3 on one fresh output base with a fresh repository cache."""

    def __init__(self, workspace: Path, scratch: Path, output_user_root: Path):
        self.workspace = workspace
        self.scratch = scratch
        self.startup = [
            f"--output_user_root={output_user_root}",
            f"--output_base={scratch / 'output_base'}",
            "--max_idle_secs=600",
            *EXTRA_STARTUP_FLAGS,
        ]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
        self.log = scratch / "exec.json"
        self.profile = scratch / "profile.json.gz"
        self.starlark = scratch / "starlark.pprof.gz"
        self.pid = 0
        self.flags = [
            f"--repository_cache={scratch / 'repository-cache'}",
            "--disk_cache=",
            "--color=no",
            "--curses=no",
            f"--execution_log_json_file={self.log}",
            f"--profile={self.profile}",
            f"--starlark_cpu_profile={self.starlark}",
            *EXTRA_BUILD_FLAGS,
        ]
        self.started = False

    def start(self) -> float:
        """Starts the server (`bazel info server_pid` loads nothing); returns the seconds."""
        self.started = True
        seconds, out = _timed(
            [str(BAZEL), *self.startup, "info", "server_pid"], self.workspace, self.env
        )
        self.pid = int(re.findall(r"^(\d+)$", out, re.M)[-1])
        return seconds

    def clean(self) -> None:
        _timed([str(BAZEL), *self.startup, "clean"], self.workspace, self.env)

    def build(self, target: str, *extra: str) -> BuildFigures:
        argv = [str(BAZEL), *self.startup, "build", *self.flags, *extra, target]
        cpu = cpu_seconds(self.pid)
        seconds, out = _timed(argv, self.workspace, self.env)
        cpu = cpu_seconds(self.pid) - cpu
        starlark = starlark_cpu(self.starlark)
        for folder in PROFILE_COPIES:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.profile, folder / f"build-{len(list(folder.iterdir())) + 1}.json.gz")
        match = re.search(r"INFO: (\d+ process(es)?[^\n]*?)\.?\n", out)
        spawns = read_execution_log(self.log)
        mnemonics = {s.get("progressMessage", ""): s.get("mnemonic", "?") for s in spawns}
        return BuildFigures(
            seconds,
            match.group(1) if match else "?",
            collections.Counter(s.get("runner", "?") for s in spawns),
            collections.Counter(s.get("mnemonic", "?") for s in spawns),
            read_profile(self.profile, mnemonics),
            cpu,
            *starlark,
        )

    def shutdown(self) -> None:
        if self.started:
            subprocess.run(
                [str(BAZEL), *self.startup, "shutdown"],
                cwd=self.workspace,
                env=self.env,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=120,
            )
            self.started = False


def bazel_run(
    workspace: Path,
    scratch: Path,
    user_root: Path,
    edit,
    sandbox_compare: bool,
    wheel_dir: Path | None = None,
    fetched: list[str] | None = None,
) -> BazelRun:
    """Server start, cold build, edit, no-op (and the clean rebuilds); wheel_dir gets a
    copy of every wheel file the cold build fetched, and fetched the names of every
    wheel and sdist it fetched, when given."""
    bazel = Bazel(workspace, scratch, user_root)
    try:
        server_start = bazel.start()
        cold = bazel.build("//app:app")
        if fetched is not None:
            external = scratch / "output_base" / "external"
            fetched[:] = sorted({p.name for p in external.glob("*/*") if p.is_file()})
        if wheel_dir is not None:
            wheel_dir.mkdir(parents=True, exist_ok=True)
            for wheel in (scratch / "output_base" / "external").glob("*/*.whl"):
                shutil.copy(wheel, wheel_dir / wheel.name)
        output = subprocess.run(
            [str(workspace / "bazel-bin" / "app" / "app")],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        edit()
        edited = bazel.build("//app:app")
        runfiles_main = (
            workspace / "bazel-bin" / "app" / "app.runfiles" / "bench" / "app" / "main.py"
        )
        if runfiles_main.read_text() != (workspace / "app" / "main.py").read_text():
            raise SystemExit("bench_build: the rebuilt app's runfiles miss the edit of main.py")
        noop = bazel.build("//app:app")
        run = BazelRun(server_start, cold, edited, noop, output)
        if sandbox_compare:
            bazel.clean()
            run.sandboxed = bazel.build("//app:app")
            bazel.clean()
            run.local = bazel.build("//app:app", "--spawn_strategy=local")
        return run
    finally:
        bazel.shutdown()
        _rmtree(scratch)


# --------------------------------------------------------------------------- report


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        cells = [cells[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)
        ]
        return "| " + " | ".join(cells) + " |"

    sep = "| " + " | ".join(["-" * widths[0]] + ["-" * (w - 1) + ":" for w in widths[1:]]) + " |"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def _s(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def _counts(counter: collections.Counter) -> str:
    return ", ".join(f"{n} {m}" for m, n in sorted(counter.items(), key=lambda x: (-x[1], x[0])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=50, help="packages the app depends on")
    parser.add_argument("--repeat", type=int, default=3, help="fully cold runs per figure")
    parser.add_argument("--seed", type=int, default=0, help="seed of the package generator")
    parser.add_argument("--python", default=PYTHON, help="Python 3.11 both sides use")
    parser.add_argument(
        "--no-sandbox-compare",
        dest="sandbox_compare",
        action="store_false",
        help="skip re-running every action after `bazel clean`, sandboxed and not (last run)",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="lock real public packages with `uv lock` against uv's default index instead",
    )
    parser.add_argument(
        "--requirements",
        type=Path,
        metavar="FILE",
        help="with --real: the requirements to lock (one a line) instead of the default list",
    )
    parser.add_argument(
        "--declared",
        action="store_true",
        help="declare on the hub only what the app targets: platforms = [linux_<cpu>], "
        "python_versions = [the interpreter's minor] (docs/platforms.md)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temp dir (prints it), with every build's JSON profile in profiles/",
    )
    parser.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="skip Bazel's floor: the same artifacts fetched by http_file / http_archive "
        "alone, with no ruleset (each run)",
    )
    parser.add_argument(
        "--bazel-flag",
        action="append",
        default=[],
        metavar="FLAG",
        help="an option for every bazel build, e.g. --bazel-flag=--loading_phase_threads=16",
    )
    parser.add_argument(
        "--startup-flag",
        action="append",
        default=[],
        metavar="FLAG",
        help="a startup option of the Bazel servers, e.g. "
        "--startup-flag=--host_jvm_args=-XX:TieredStopAtLevel=1",
    )
    args = parser.parse_args(argv)
    EXTRA_BUILD_FLAGS[:] = args.bazel_flag
    EXTRA_STARTUP_FLAGS[:] = args.startup_flag
    if args.requirements:
        args.real = True
    if not (REPO_ROOT / ".cache" / "bazel4" / "bazelrc").exists():
        sys.exit(f"bench_build: {BAZEL} is not set up: run tools/setup")

    uv_version = subprocess.run([find_uv(), "--version"], capture_output=True, text=True).stdout
    py_version = interpreter_version(args.python)
    print(
        f"# bench_build {datetime.date.today().isoformat()}: {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
        f"{args.python} (Python {py_version}), {uv_version.strip()}, Bazel 4.2.3, "
        f"--repeat {args.repeat} "
        + (
            f"--real {args.requirements or '(default requirements)'}"
            if args.real
            else f"--packages {args.packages} --seed {args.seed}"
        )
        + "".join(f" --bazel-flag={flag}" for flag in args.bazel_flag)
        + "".join(f" --startup-flag={flag}" for flag in args.startup_flag)
        + (" --declared" if args.declared else ""),
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench_build."))
    if args.keep:
        PROFILE_COPIES[:] = [tmp / "profiles"]
    user_root = REPO_ROOT / ".cache" / "bazel-bench" / "root"
    index = None
    try:
        ws = tmp / "ws"  # one project: uv's pyproject.toml and Bazel's workspace
        if args.real:
            requirements = (
                bench_real.read_requirements(args.requirements)
                if args.requirements
                else list(bench_real.DEFAULT_REQUIREMENTS)
            )
            pairs: list[tuple[str, str]] = []  # (distribution, module), learned from uv's venv
            make_project(
                ws, "bench-app", requirements, groups=BUILD_GROUP, requires_python=">=3.11"
            )
            # No --default-index: uv locks against its own default index.
            lock_start = time.perf_counter()
            lock = uv_lock(ws, None, cache_dir=tmp / "lock-cache", timeout=900)
            lock_seconds = time.perf_counter() - lock_start
            _rmtree(tmp / "lock-cache")
            app_text = lambda edit=0: bench_real.app_main(pairs, edit)  # noqa: E731
            build_text = bench_real.app_build(requirements)
            n = len(requirements)
        else:
            pkgs = plan_packages(args.packages, args.seed)
            files = build_packages(pkgs, tmp / "packages")
            index = PackageIndex([*files, *seed_wheels()]).start()
            make_project(
                ws, "bench-app", top_level(pkgs), groups=BUILD_GROUP, requires_python=">=3.11"
            )
            lock = uv_lock(ws, index.url, cache_dir=tmp / "lock-cache")
            _rmtree(tmp / "lock-cache")
            app_text = lambda edit=0: app_main(pkgs, edit)  # noqa: E731
            build_text = app_build(pkgs)
            n = len(pkgs)
        locked = lock.read_text().count("[[package]]") - 1  # minus the project itself
        # The interpreter's full release: a real lock may fork on python_full_version.
        hub_attrs = ""
        if args.declared:  # the one environment the app is built for (PLATFORMS_BUILD)
            minor = ".".join(py_version.split(".")[:2])
            hub_attrs = f'\n    python_versions = ["{minor}"],\n    platforms = ["linux_x86_64"],'
        (ws / "WORKSPACE").write_text(
            WORKSPACE.format(
                repo=snapshot_ruleset(tmp / "rules_pyuv"),
                python_version=py_version,
                hub_attrs=hub_attrs,
            )
        )
        (ws / "BUILD.bazel").write_text("")
        (ws / "platforms").mkdir()
        (ws / "platforms" / "BUILD.bazel").write_text(
            PLATFORMS_BUILD.format(python=args.python, python_version=py_version)
        )
        (ws / "app").mkdir()
        (ws / "app" / "BUILD.bazel").write_text(build_text)
        main_py = ws / "app" / "main.py"
        edits = [0]

        def reset() -> None:
            edits[0] = 0
            main_py.write_text(app_text())

        def edit() -> None:
            edits[0] += 1
            main_py.write_text(app_text(edits[0]))

        if args.real:
            print(f"# {n} requirements; {lock_summary(lock)}; locked in {_s(lock_seconds)} s")
        else:
            edges = sum(len(p.deps) for p in pkgs)
            marked = sum(";" in d for p in pkgs for d in p.deps)
            kinds = collections.Counter(p.kind for p in pkgs)
            print(
                f"# {len(pkgs)} packages: {kinds['pure']} pure wheels, {kinds['manylinux']} with "
                f"manylinux x86_64 wheels, {kinds['native']} C-extension sdists; {edges} "
                f"dependency edges ({marked} with markers), "
                f"{sum(bool(p.extras) for p in pkgs)} extras; "
                f"uv.lock: {locked} packages (with the build group)",
                flush=True,
            )

        uv_runs, bz_runs, floor_runs = [], [], []
        fetched: list[str] = []  # the artifacts the first cold build fetched
        artifacts: list[tuple[str, str, str]] = []  # the same, with their URL and sha256
        wheel_dir = tmp / "wheels"  # the wheels the first cold build fetched
        for i in range(args.repeat):
            compare = args.sandbox_compare and i == args.repeat - 1
            reset()
            uv_runs.append(uv_sync_run(ws, tmp / f"uv-{i}", args.python, edit))
            if i == 0:
                venv_python = tmp / "uv-0" / "venv" / "bin" / "python"
                if args.real:
                    pairs[:] = bench_real.discover_modules(venv_python, requirements)
                    print(
                        f"# the app imports {len(pairs)} modules of {n} distributions",
                        flush=True,
                    )
                    reset()
                uv_output = subprocess.run(
                    [str(venv_python), str(main_py)], capture_output=True, text=True, check=True
                ).stdout
            _rmtree(tmp / f"uv-{i}")
            reset()
            bz_runs.append(
                bazel_run(
                    ws,
                    tmp / f"bazel-{i}",
                    user_root,
                    edit,
                    compare,
                    wheel_dir if i == 0 else None,
                    fetched if i == 0 else None,
                )
            )
            if args.floor:
                if i == 0:
                    known = lock_artifacts(lock)
                    artifacts = [(f, *known[f]) for f in fetched if f in known]
                floor_runs.append(floor_run(tmp / f"floor-{i}", user_root, artifacts))
            u, b = uv_runs[-1], bz_runs[-1]
            print(
                f"# run {i + 1}: uv cold {_s(u.cold)} s ({_s(u.cpu)} s CPU, load {u.load:.1f}), "
                f"no-op {_s(u.noop)} s; Bazel server {_s(b.server_start)} s, cold "
                f"{_s(b.cold.seconds)} s ({_s(b.cold.cpu)} s CPU, Starlark "
                f"{_s(b.cold.starlark)} s of which hub {_s(b.cold.hub_starlark)} s; load "
                f"{os.getloadavg()[0]:.1f}), after edit {_s(b.edit.seconds)} s, no-op "
                f"{_s(b.noop.seconds)} s"
                + (
                    f"; floor (no ruleset, {len(artifacts)} artifacts: "
                    f"{sum(a[0].endswith('.whl') for a in artifacts)} wheels): http_file "
                    f"{_s(floor_runs[-1].fetch.seconds)} s, http_archive "
                    f"{_s(floor_runs[-1].extract.seconds)} s"
                    if floor_runs
                    else ""
                ),
                flush=True,
            )
        if args.real:
            wheels = sorted(wheel_dir.glob("*.whl"))
        else:
            wheels = [f for f in files if f.name.endswith(("-none-any.whl", "x86_64.whl"))]
        direct = (direct_installs(wheels, args.python, tmp / "direct"), len(wheels))
        fetched_wheels = sorted(wheel_dir.glob("*.whl"))
        unzipped = [unzip_floor(fetched_wheels, tmp / f"unzip-{i}") for i in range(args.repeat)]
    finally:
        if index is not None:
            index.stop()
        if args.keep:
            print(f"# kept {tmp}")
        else:
            _rmtree(tmp)

    report(
        uv_runs,
        bz_runs,
        uv_output,
        n,
        direct,
        "requirements" if args.real else "packages",
        floor_runs,
        (min(u[0] for u in unzipped), unzipped[0][1], len(fetched_wheels)),
    )
    return 0


def lock_summary(lock: Path) -> str:
    """Locked packages, those locked at several versions (forks), and the lock's forks."""
    data = tomllib.loads(lock.read_text())
    packages = [p for p in data.get("package", []) if "virtual" not in p.get("source", {})]
    names = collections.Counter(p["name"] for p in packages)
    forked = sorted(name for name, k in names.items() if k > 1)
    sdists = sum(1 for p in packages if "sdist" in p and not p.get("wheels"))
    return (
        f"uv.lock: {len(packages)} package entries, {len(names)} names (with the build "
        f"group), {len(data.get('resolution-markers', []))} resolution forks, "
        f"several versions of: {', '.join(forked) or 'none'}; {sdists} with only an sdist"
    )


def unzip_floor(wheels: list[Path], scratch: Path) -> tuple[float, str]:
    """Seconds to unpack the wheels with no checks, one process per core: the least any
    install that writes the files (rather than hard-linking them out of a cache, as uv
    does) costs on this machine. Uses Info-ZIP's unzip when there is one."""
    unzip = shutil.which("unzip")
    scratch.mkdir()

    def one(job: tuple[int, Path]) -> None:
        i, wheel = job
        out = scratch / f"site-{i}"
        if unzip:
            subprocess.run([unzip, "-q", "-o", str(wheel), "-d", str(out)], check=True)
        else:
            subprocess.run(
                [sys.executable, "-m", "zipfile", "-e", str(wheel), str(out)], check=True
            )

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(one, enumerate(wheels)))
    seconds = time.perf_counter() - start
    _rmtree(scratch)
    return seconds, "unzip" if unzip else "python -m zipfile"


def direct_installs(wheels: list[Path], python: str, scratch: Path) -> float:
    """Seconds to run Bazel's whl_install.py on each wheel directly, one after the other."""
    installer = REPO_ROOT / "uv" / "private" / "whl_install.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    scratch.mkdir()
    start = time.perf_counter()
    for i, wheel in enumerate(wheels):
        out = scratch / f"site-{i}"
        argv = [python, str(installer), "--wheel", str(wheel), "--out-dir", str(out)]
        _timed([*argv, "--manifest", str(scratch / f"site-{i}.json")], scratch, env)
    seconds = time.perf_counter() - start
    _rmtree(scratch)
    return seconds


def report(
    uv_runs: list[UvRun],
    bz_runs: list[BazelRun],
    uv_output: str,
    n: int,
    direct: tuple[float, int],
    what: str = "packages",
    floor_runs: list[FloorRun] | None = None,
    unzipped: tuple[float, str, int] | None = None,
) -> None:
    def fig(values: list[float]) -> tuple[float, float]:
        return min(values), statistics.median(values)

    def ratio(a: tuple[float, float], b: tuple[float, float], which: int = 1) -> str:
        return f"{a[which] / b[which]:.1f}x"

    uv_cold = fig([r.cold for r in uv_runs])
    uv_noop = fig([r.noop for r in uv_runs])
    start = fig([r.server_start for r in bz_runs])
    cold = fig([r.cold.seconds for r in bz_runs])
    cold_all = fig([r.cold.seconds + r.server_start for r in bz_runs])
    edit = fig([r.edit.seconds for r in bz_runs])
    noop = fig([r.noop.seconds for r in bz_runs])
    # The breakdowns describe the run whose cold build took the median time.
    run = sorted(bz_runs, key=lambda r: r.cold.seconds)[len(bz_runs) // 2]
    uv_run = sorted(uv_runs, key=lambda r: r.cold)[len(uv_runs) // 2]

    def actions(b: BuildFigures) -> str:
        return str(sum(b.spawns.values()))

    def both(a: tuple[float, float], b: tuple[float, float]) -> list[str]:
        return [ratio(a, b, 0), ratio(a, b, 1)]

    rows = [
        ["uv sync, cold (empty cache, new venv)", *map(_s, uv_cold), "", "1.0x", "1.0x"],
        ["uv sync after the edit (no-op)", *map(_s, uv_noop), "", "1.0x", "1.0x"],
        ["bazel server start (fresh output base)", *map(_s, start), "", "", ""],
        ["bazel build, cold (server up)", *map(_s, cold), actions(run.cold), *both(cold, uv_cold)],
        ["bazel build, cold + server start", *map(_s, cold_all), "", *both(cold_all, uv_cold)],
        ["bazel build after the edit", *map(_s, edit), actions(run.edit), *both(edit, uv_noop)],
        ["bazel build, no-op", *map(_s, noop), actions(run.noop), *both(noop, uv_noop)],
    ]
    for label, pick in (("http_file", "fetch"), ("http_archive zip", "extract")):
        if floor_runs:
            floor = fig([getattr(r, pick).seconds for r in floor_runs])
            row = [f"floor: {label}, no ruleset (server up)", *map(_s, floor), "0"]
            rows.append([*row, *both(floor, uv_cold)])
    print(f"\nBuilding an app of {n} locked {what} ({len(uv_runs)} runs; spawns = actions run)")
    print(_table(["step", "best s", "median s", "spawns", "/uv best", "/uv median"], rows))
    print(
        f"\nRatios (best; median): Bazel cold / uv cold = {ratio(cold, uv_cold, 0)}; "
        f"{ratio(cold, uv_cold)} ({ratio(cold_all, uv_cold, 0)}; {ratio(cold_all, uv_cold)} "
        f"with the server start); Bazel rebuild after the edit / uv no-op sync = "
        f"{ratio(edit, uv_noop, 0)}; {ratio(edit, uv_noop)}"
    )

    uv_cpu = min(r.cpu for r in uv_runs)
    bz_cpu = min(r.cold.cpu for r in bz_runs)
    print(
        f"CPU seconds, cold (best): uv {_s(uv_cpu)}, Bazel {_s(bz_cpu)} (server, workers and "
        f"actions; Starlark {_s(min(r.cold.starlark for r in bz_runs))}, of which the hub "
        f"{_s(min(r.cold.hub_starlark for r in bz_runs))}) = {bz_cpu / max(uv_cpu, 1e-9):.1f}x; "
        f"load average {', '.join(f'{r.load:.1f}' for r in uv_runs)} after each uv sync"
    )
    print(f"\nuv cold (median run): {uv_run.summary}; {uv_run.installed} packages installed")
    dropped = sum(r.overflows for r in uv_runs)
    if dropped:
        print(
            f"  WARNING: {dropped} connections dropped by full listen backlogs on this machine "
            "during the uv syncs: uv waited for TCP retransmits, its figures are too high"
        )
    prof = run.cold.profile
    print(f"Bazel cold (median run): {run.cold.processes}")
    print(f"  spawns: {_counts(run.cold.spawns)}; runner: {_counts(run.cold.runners)}")
    print("  phases: " + ", ".join(f"{k} {_s(v)} s" for k, v in prof.phases.items()))
    hub = prof.repositories.get("pypi")
    others = {k: v for k, v in prof.repositories.items() if k != "pypi"}
    print(
        f"  repository rules: hub @pypi (uv_lock) {_s(hub) if hub else '?'} s; "
        f"{len(others)} more profiled, {_s(sum(others.values()))} s in all"
    )
    busy = sorted(prof.actions.items(), key=lambda x: -x[1])
    print(
        "  action time (summed, 2 run at once): "
        + ", ".join(f"{m} {_s(t)} s / {prof.action_counts[m]}" for m, t in busy)
    )
    path = " -> ".join(f"{m} {_s(t)} s" for m, t in prof.critical_path)
    print(f"  critical path: {_s(sum(t for _, t in prof.critical_path))} s: {path}")
    installs = prof.action_counts.get("PyWheelInstall", 0)
    if installs and direct[1]:
        per = prof.actions["PyWheelInstall"] / installs
        print(
            f"  one PyWheelInstall action: {per * 1000:.0f} ms in Bazel; the same "
            f"whl_install.py run directly: {direct[0] / direct[1] * 1000:.0f} ms "
            f"(mean over {direct[1]} wheels)"
        )
    times = sorted(t for t, m, _ in prof.spawn_times if m == "PyWheelInstall")
    if times:
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(
            f"  PyWheelInstall per action: median {statistics.median(times) * 1000:.0f} ms, "
            f"90th percentile {p90 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
        )
    slowest = "; ".join(f"{_s(t)} s {msg}" for t, _, msg in prof.spawn_times[:6])
    print(f"  slowest actions: {slowest}")
    slow_repos = sorted(prof.repositories.items(), key=lambda x: -x[1])[:6]
    print("  slowest repository rules: " + ", ".join(f"{k} {_s(v)} s" for k, v in slow_repos))
    compared = [r for r in bz_runs if r.sandboxed and r.local]
    if compared:
        parts = []
        for label, b in (("sandboxed", compared[-1].sandboxed), ("local", compared[-1].local)):
            p = b.profile
            mean = p.actions.get("PyWheelInstall", 0.0) / max(1, p.action_counts["PyWheelInstall"])
            parts.append(
                f"{label} ({_counts(b.runners)}): execute {_s(p.phases.get('execute', 0.0))} s, "
                f"one PyWheelInstall {mean * 1000:.0f} ms"
            )
        print("Every action again after `bazel clean` (last run): " + "; ".join(parts))
    for label, pick in (("after the edit", "edit"), ("no-op", "noop")):
        b = getattr(run, pick)
        reran = [getattr(r, pick).spawns for r in bz_runs]
        heavy = sum(c.get("PyWheelInstall", 0) + c.get("PySdistBuild", 0) for c in reran)
        print(
            f"Bazel {label}: {b.processes}; spawns: {_counts(b.spawns) or 'none'}; "
            f"PyWheelInstall + PySdistBuild re-run, all runs: {heavy}"
        )
    if floor_runs and unzipped:
        fetch = fig([r.fetch.seconds for r in floor_runs])[0]
        extract = fig([r.extract.seconds for r in floor_runs])[0]
        apart = fetch + unzipped[0]
        floor = min(apart, extract)
        print(
            f"Bazel's floor here (best): every artifact fetched by http_file, one repository "
            f"each, {_s(fetch)} s, then the {unzipped[2]} wheels unpacked by {unzipped[1]}, "
            f"{os.cpu_count()} at a time, {_s(unzipped[0])} s: {_s(apart)} s "
            f"({apart / uv_cold[0]:.1f}x uv's best cold sync); or the wheels fetched and "
            f"unpacked together by http_archive: {_s(extract)} s ({extract / uv_cold[0]:.1f}x). "
            f"This build: {cold[0] / floor:.1f}x the lesser"
        )
    if floor_runs:
        for label, pick in (("http_file", "fetch"), ("http_archive", "extract")):
            median = sorted(floor_runs, key=lambda r: getattr(r, pick).seconds)
            b = getattr(median[len(median) // 2], pick)
            print(
                f"Floor, {label} (median run): {_s(b.seconds)} s, {_s(b.cpu)} s CPU; phases: "
                + ", ".join(f"{k} {_s(v)} s" for k, v in b.profile.phases.items())
            )
    same = "identical" if run.app_output == uv_output else "DIFFERENT"
    print(
        f"App output: {len(uv_output.splitlines())} lines from the uv venv and "
        f"{len(run.app_output.splitlines())} from bazel-bin/app/app: {same}"
    )
    if same == "DIFFERENT":
        diff = difflib.unified_diff(
            uv_output.splitlines(), run.app_output.splitlines(), "uv", "bazel", lineterm=""
        )
        print("\n".join(diff))


if __name__ == "__main__":
    sys.exit(main())
