#!/usr/bin/env python3
"""Benchmark: how long turning a uv.lock into the hub repository takes, per package.

Generates realistic synthetic uv.lock files (version 1, revision 3) of N packages, checks
that the real `uv` accepts them, then times for each N:

* starlark-pyo3: parse_lock, plan_hub, render_hub and render_install_deps (the code the
  `uv_lock` repository rule runs), evaluated from the repository's real .bzl files;
* real Bazel 4.2.3: `bazel query @pypi//:all` right after the lock changed, i.e. the
  `uv_lock` repository rule re-running on a warm server (alone, and followed by
  `install_deps()` declaring every artifact repository in the WORKSPACE);
* uv, in the same run: `uv export --frozen` on the same lock (uv parses the lock and
  evaluates its markers), as the yardstick for the ratios.

It prints milliseconds per package and whether the per-package cost stays flat as N grows
(linear growth). Figures, not assertions: see docs/performance.md.

    .venv/bin/python tools/bench_lock.py [--sizes 100,1000,5000] [--no-bazel] [--repeat 3]
        [--platforms linux_x86_64,linux_aarch64] [--python-versions 3.11]

--platforms and --python-versions set the hub's attributes of the same names, so the
hub plans only those environments (docs/platforms.md); without them it plans them all.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.bazel import BAZEL, BazelCaches, BazelWorkspace  # noqa: E402
from tests.support.starlark_env import StarlarkEnv  # noqa: E402

# Artifacts point at a port nothing listens on: nothing here may download anything.
INDEX = "http://127.0.0.1:1/simple"
FILES = "http://127.0.0.1:1/files"
ROOT_NAME = "bench-app"
REQUIRES_PYTHON = ">=3.10"
FORK_MARKERS = ("python_full_version >= '3.12'", "python_full_version < '3.12'")
NATIVE_PYTHONS = ("cp310", "cp311", "cp312", "cp313")
NATIVE_PLATFORMS = (
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "manylinux_2_28_x86_64",
    "manylinux_2_28_aarch64",
    "musllinux_1_2_x86_64",
    "musllinux_1_2_aarch64",
    "macosx_10_9_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
)
EDGE_MARKERS = (
    "sys_platform == 'win32'",
    "sys_platform == 'linux'",
    "sys_platform != 'win32'",
    "platform_machine == 'x86_64'",
    "sys_platform == 'darwin' and platform_machine == 'arm64'",
    "python_full_version < '3.11'",
    "python_full_version >= '3.12'",
    "implementation_name == 'cpython'",
    "platform_python_implementation != 'PyPy'",
)
WORDS = (
    "async azure boto cloud crypto data django fast flask google grpc http json lib "
    "log micro net numpy open py pytest query rest rich schema sql stream test text "
    "tools type web yaml zope"
).split()
NOUNS = (
    "adapter api auth cache client codec core extras format helpers io kit lint "
    "parser plugin proto runtime sdk server signals stubs utils validator wrapper"
).split()
STARLARK_STAGES = ("parse_lock", "plan_hub", "render_hub", "render_install_deps")


# --------------------------------------------------------------------------- the lock


@dataclass
class _Pkg:
    name: str
    version: str
    kind: str  # "pure" | "native"
    fork: str = ""  # the resolution marker of one version of a forked package
    deps: list[tuple[str, str, list[str]]] = field(default_factory=list)  # name, marker, extras
    extras: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _artifact(rng: random.Random, filename: str, low: int, high: int) -> str:
    digest = hashlib.sha256(filename.encode()).hexdigest()
    when = datetime.datetime(2024, 1, 1) + datetime.timedelta(
        seconds=rng.randint(0, 365 * 86400), milliseconds=rng.randint(0, 999)
    )
    stamp = when.isoformat(timespec="milliseconds") + "Z"
    return (
        f'{{ url = "{FILES}/{filename}", hash = "sha256:{digest}", '
        f'size = {rng.randint(low, high)}, upload-time = "{stamp}" }}'
    )


def _dep_entry(name: str, marker: str, extras: list[str], version: str = "") -> str:
    parts = [f"name = {_q(name)}"]
    if extras:
        parts.append("extra = [" + ", ".join(_q(e) for e in extras) + "]")
    if version:
        parts.append(f'version = "{version}", source = {{ registry = "{INDEX}" }}')
    if marker:
        parts.append(f"marker = {_q(marker)}")
    return "    { " + ", ".join(parts) + " },\n"


def _packages(n: int, rng: random.Random) -> list[_Pkg]:
    """n locked packages (forked names count once per version), dependencies included."""
    forked_names = max(2, n // 50)
    plain = n - 2 * forked_names - 2  # setuptools and wheel are the build group
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < plain + forked_names:
        name = f"{rng.choice(WORDS)}-{rng.choice(NOUNS)}-{len(names)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    pkgs = []
    for i, name in enumerate(names[:plain]):
        version = f"{rng.randint(0, 30)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        kind = "native" if i % 10 == 3 else "pure"
        pkgs.append(_Pkg(name, version, kind))
    for name in names[plain:]:
        major = rng.randint(1, 9)
        pkgs.append(_Pkg(name, f"{major + 1}.0.0", "pure", fork=FORK_MARKERS[0]))
        pkgs.append(_Pkg(name, f"{major}.4.2", "pure", fork=FORK_MARKERS[1]))
    pkgs.append(_Pkg("setuptools", "80.9.0", "pure"))
    pkgs.append(_Pkg("wheel", "0.45.1", "pure"))

    # Dependencies point "down" the list (a DAG) and only at unforked packages, so an
    # edge never needs the version/source disambiguation of a forked name.
    for i, pkg in enumerate(pkgs[:plain]):
        if i % 9 == 4:
            pkg.extras = {"socks": [], "speedups": []}
    for i, pkg in enumerate(pkgs[:plain]):
        later = pkgs[i + 1 : plain]
        if not later:
            continue
        for target in rng.sample(later, min(len(later), rng.randint(0, 5))):
            marker = rng.choice(EDGE_MARKERS) if rng.random() < 0.2 else ""
            extras = ["socks"] if target.extras and rng.random() < 0.3 else []
            pkg.deps.append((target.name, marker, extras))
        for extra in pkg.extras:
            for target in rng.sample(later, min(len(later), rng.randint(1, 2))):
                marker = rng.choice(EDGE_MARKERS) if rng.random() < 0.3 else ""
                pkg.extras[extra].append((target.name, marker))
    return pkgs


def _render_package(pkg: _Pkg, rng: random.Random) -> str:
    out = [
        "[[package]]\n",
        f"name = {_q(pkg.name)}\n",
        f'version = "{pkg.version}"\n',
        f'source = {{ registry = "{INDEX}" }}\n',
    ]
    if pkg.fork:
        out.append(f"resolution-markers = [\n    {_q(pkg.fork)},\n]\n")
    if pkg.deps:
        out.append("dependencies = [\n")
        out.extend(_dep_entry(d, m, e) for d, m, e in sorted(pkg.deps))
        out.append("]\n")
    stem = pkg.name.replace("-", "_") + "-" + pkg.version
    out.append(f"sdist = {_artifact(rng, stem + '.tar.gz', 20_000, 3_000_000)}\n")
    if pkg.kind == "native":
        wheels = [
            _artifact(rng, f"{stem}-{py}-{py}-{plat}.whl", 300_000, 15_000_000)
            for py in NATIVE_PYTHONS
            for plat in NATIVE_PLATFORMS
        ]
    else:
        wheels = [_artifact(rng, f"{stem}-py3-none-any.whl", 5_000, 900_000)]
    out.append("wheels = [\n" + "".join(f"    {w},\n" for w in wheels) + "]\n")
    if pkg.extras:
        out.append("\n[package.optional-dependencies]\n")
        for extra, deps in sorted(pkg.extras.items()):
            out.append(f"{extra} = [\n")
            out.extend(_dep_entry(d, m, []) for d, m in sorted(deps))
            out.append("]\n")
    return "".join(out)


def _render_root(pkgs: list[_Pkg]) -> str:
    deps, requires = [], []
    for pkg in sorted(pkgs, key=lambda p: (p.name, p.fork)):
        if pkg.name in ("setuptools", "wheel"):
            continue
        if pkg.fork:
            deps.append(_dep_entry(pkg.name, pkg.fork, [], version=pkg.version))
            requires.append(
                f"    {{ name = {_q(pkg.name)}, marker = {_q(pkg.fork)}, "
                f'specifier = "=={pkg.version}" }},\n'
            )
        else:
            deps.append(_dep_entry(pkg.name, "", []))
            requires.append(f'    {{ name = {_q(pkg.name)}, specifier = ">={pkg.version}" }},\n')
    build = '    { name = "setuptools" },\n    { name = "wheel" },\n'
    return (
        "[[package]]\n"
        f'name = "{ROOT_NAME}"\n'
        'version = "0.1.0"\n'
        'source = { virtual = "." }\n'
        "dependencies = [\n" + "".join(deps) + "]\n\n"
        "[package.dev-dependencies]\nbuild = [\n" + build + "]\n\n"
        "[package.metadata]\nrequires-dist = [\n" + "".join(requires) + "]\n\n"
        "[package.metadata.requires-dev]\nbuild = [\n" + build + "]\n"
    )


def generate_lock(n: int, seed: int = 0) -> tuple[str, str]:
    """Returns (uv.lock text, pyproject.toml text) of a project locking n packages.

    About 10% of the packages are native (36 wheels: cp310-cp313 on manylinux 2.17/2.28,
    musllinux, macOS and Windows), the rest pure (one py3-none-any wheel); all have an
    sdist. 2% of the names are forked by Python version (two versions each, with
    resolution-markers); about 11% have extras; a fifth of the dependency edges carry a
    marker. The root project (virtual) depends on every package and has a `build`
    dependency group (setuptools, wheel).
    """
    if n < 10:
        raise ValueError("a benchmark lock needs at least 10 packages")
    rng = random.Random(seed * 1_000_003 + n)
    pkgs = _packages(n, rng)
    root = _render_root(pkgs)
    bodies = [(ROOT_NAME, "", root)]
    for pkg in pkgs:
        bodies.append((pkg.name, pkg.version, _render_package(pkg, rng)))
    bodies.sort(key=lambda b: (b[0], b[1]))
    header = (
        "version = 1\n"
        "revision = 3\n"
        f'requires-python = "{REQUIRES_PYTHON}"\n'
        "resolution-markers = [\n" + "".join(f"    {_q(m)},\n" for m in FORK_MARKERS) + "]\n"
    )
    lock = header + "".join("\n" + body for _, _, body in bodies)
    specs = [
        f"{p.name}=={p.version}; {p.fork}" if p.fork else f"{p.name}>={p.version}"
        for p in sorted(pkgs, key=lambda p: (p.name, p.fork))
        if p.name not in ("setuptools", "wheel")
    ]
    pyproject = (
        "[project]\n"
        f'name = "{ROOT_NAME}"\n'
        'version = "0.1.0"\n'
        f'requires-python = "{REQUIRES_PYTHON}"\n'
        "dependencies = [\n" + "".join(f"    {_q(s)},\n" for s in specs) + "]\n\n"
        '[dependency-groups]\nbuild = ["setuptools", "wheel"]\n\n'
        "[tool.uv]\npackage = false\n"
    )
    return lock, pyproject


# --------------------------------------------------------------------------- timing


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """The shortest wall time of repeat calls of fn, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _uv() -> str:
    uv = Path(sys.executable).parent / "uv"
    if uv.exists():
        return str(uv)
    found = shutil.which("uv")
    if not found:
        sys.exit("bench_lock: uv not found (run tools/setup)")
    return found


def uv_export(project: Path, cache: Path) -> subprocess.CompletedProcess:
    """`uv export --frozen` of the project, offline and without any configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update(
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_OFFLINE="1",
        UV_CACHE_DIR=str(cache),
        UV_NO_PROGRESS="1",
    )
    return subprocess.run(
        [_uv(), "export", "--frozen", "--offline", "--format", "requirements-txt", "--all-groups"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


_STARLARK_DRIVER = """\
load("//uv/private:hub_render.bzl", "render_hub", "render_install_deps")
load("//uv/private:lock.bzl", "parse_lock")
load("//uv/private:planner.bzl", "plan_hub")

def run(text):
    print("start")
    lock = parse_lock(text, "//:uv.lock")
    print("parse_lock")
    plan = plan_hub(lock, "pypi", "//:uv.lock", python_version = "3.11"{hub_args})
    print("plan_hub")
    files = render_hub(plan)
    print("render_hub")
    deps = render_install_deps(plan)
    print("render_install_deps")
    return len(files) + len(deps)
"""


class _Clock(list):
    """Stands in for StarlarkEnv.printed: stamps each print() of the driver with the time."""

    def append(self, message: object) -> None:
        super().append((message, time.perf_counter()))


def _hub_args(platforms: list[str], python_versions: list[str]) -> str:
    """The declared-environment attributes of the benchmark's hub, as Starlark kwargs."""
    out = ""
    if platforms:
        out += f", platforms = {platforms!r}"
    if python_versions:
        out += f", python_versions = {python_versions!r}"
    return out.replace("'", '"')


def bench_starlark(
    text: str, repeat: int, platforms: list[str] = (), python_versions: list[str] = ()
) -> dict[str, float]:
    """Seconds per stage and in total, each the best of repeat runs.

    The driver prints between stages; the harness hands print() to Python, where _Clock
    notes the time. Everything else stays inside Starlark: the lock text goes in, an int
    comes out.
    """
    env = StarlarkEnv(REPO_ROOT, label_style="workspace")
    driver = _STARLARK_DRIVER.replace("{hub_args}", _hub_args(platforms, python_versions))
    run = env.load_source("//tools:bench_lock_driver.bzl", driver).run
    best = dict.fromkeys([*STARLARK_STAGES, "total"], float("inf"))
    for _ in range(repeat):
        env.printed = _Clock()
        run(text)
        stamps = dict(env.printed)
        previous = stamps["start"]
        for stage in STARLARK_STAGES:
            best[stage] = min(best[stage], stamps[stage] - previous)
            previous = stamps[stage]
        best["total"] = min(best["total"], previous - stamps["start"])
    return best


_WORKSPACE_HUB = """
load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

uv_lock(
    name = "pypi",
    lockfile = "//:uv.lock",
    python_version = "3.11"{hub_args},
)
"""

# Bazel's floor for a hub: a repository rule that reads the same lock, finds the package
# names with one builtin split, and writes as many files as the hub does (a BUILD.bazel per
# package, and one more in the folder of the PEP 503 spelling when the name has "-" or "."),
# with no parsing, planning or rendering. What it costs is what any hub rule pays here.
_FLOOR_BZL = """\
def _lock_floor_impl(rctx):
    text = rctx.read(rctx.attr.lockfile)
    names = [chunk.partition('"')[0] for chunk in text.split('[[package]]\\nname = "')[1:]]
    rctx.file("WORKSPACE", "")
    rctx.file("BUILD.bazel", "exports_files([])\\n")
    for name in {name: None for name in names}:  # a forked name is locked twice
        safe = name.replace("-", "_").replace(".", "_")
        alias = 'alias(name = "%s", actual = "%s")\\n'
        rctx.file(safe + "/BUILD.bazel", alias % (safe, "//:BUILD.bazel"))
        if safe != name:
            rctx.file(name + "/BUILD.bazel", alias % (name, "//" + safe))

lock_floor = repository_rule(
    implementation = _lock_floor_impl,
    attrs = {"lockfile": attr.label(allow_single_file = True)},
)
"""

_WORKSPACE_FLOOR = """
load("//:floor.bzl", "lock_floor")

lock_floor(
    name = "floor",
    lockfile = "//:uv.lock",
)
"""

_WORKSPACE_INSTALL = """
load("@pypi//:repositories.bzl", "install_deps")

install_deps()
"""


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _proto_fields(data: bytes):
    """(field number, wire type, value) of a protobuf message, enough for pprof."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        wire = key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            size, i = _varint(data, i)
            value, i = data[i : i + size], i + size
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        yield key >> 3, wire, value


def starlark_cpu_seconds(profile: Path) -> float:
    """Total CPU time in a --starlark_cpu_profile file (pprof: samples of CPU microseconds)."""
    data = gzip.decompress(profile.read_bytes())
    total = 0
    for number, _, sample in _proto_fields(data):
        if number != 2:  # Profile.sample
            continue
        values: list[int] = []
        for field_number, wire, value in _proto_fields(sample):
            if field_number == 2:  # Sample.value: packed or not
                values += _packed(wire, value)
        total += values[-1] if values else 0
    return total / 1e6


def _packed(wire: int, value) -> list[int]:
    if wire == 0:
        return [value]
    out, j = [], 0
    while j < len(value):
        v, j = _varint(value, j)
        out.append(v)
    return out


def starlark_cpu_by_function(profile: Path) -> dict[str, float]:
    """Seconds of a --starlark_cpu_profile per function, inclusive of what it calls.

    Builtins appear under their name (`file` is repository_ctx.file).
    """
    data = gzip.decompress(profile.read_bytes())
    strings: list[str] = []
    samples: list[tuple[list[int], int]] = []
    locations: dict[int, list[int]] = {}
    functions: dict[int, int] = {}
    for number, _, value in _proto_fields(data):
        if number == 6:  # string_table
            strings.append(value.decode("utf-8", "replace"))
        elif number == 2:  # sample: location ids, values
            ids: list[int] = []
            values: list[int] = []
            for f, w, v in _proto_fields(value):
                if f == 1:
                    ids += _packed(w, v)
                elif f == 2:
                    values += _packed(w, v)
            samples.append((ids, values[-1] if values else 0))
        elif number == 4:  # location: id, lines (function ids)
            loc_id, funcs = 0, []
            for f, _, v in _proto_fields(value):
                if f == 1:
                    loc_id = v
                elif f == 4:
                    funcs += [v2 for f2, _, v2 in _proto_fields(v) if f2 == 1]
            locations[loc_id] = funcs
        elif number == 5:  # function: id, name
            fields = {f: v for f, _, v in _proto_fields(value) if f in (1, 2)}
            functions[fields.get(1, 0)] = fields.get(2, 0)
    seconds: dict[str, float] = {}
    for ids, micros in samples:
        names = {strings[functions[f]] for i in ids for f in locations.get(i, [])}
        for name in names:
            seconds[name] = seconds.get(name, 0.0) + micros / 1e6
    return seconds


# Where the hub rule's Starlark CPU goes: the stages, and the writing of its files.
CPU_PARTS = ("parse_lock", "plan_hub", "render_hub", "file")


@dataclass
class BazelFigures:
    hub: float  # lock changed: uv_lock re-runs, then @pypi//:BUILD.bazel is loaded
    install: float  # the same with install_deps() in the WORKSPACE (one run)
    noop: float  # nothing changed: the query alone
    cpu: float  # Starlark CPU time of the fastest hub run (from --starlark_cpu_profile)
    parts: dict[str, float]  # the same per function of CPU_PARTS
    peak_rss_mb: float | None  # the server's peak resident memory (JVM heap grows lazily)
    floor: float = 0.0  # the same lock change, @floor (_FLOOR_BZL) instead of the hub
    floor_cpu: float = 0.0  # its Starlark CPU time (fastest run)


def _marker_mtime(ws: BazelWorkspace, repo: str = "pypi") -> int:
    marker = ws.output_base / "external" / f"@{repo}.marker"
    return marker.stat().st_mtime_ns if marker.exists() else 0


def _peak_rss_mb(ws: BazelWorkspace) -> float | None:
    try:
        pid = (ws.output_base / "server" / "server.pid.txt").read_text().strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


class _CappedWorkspace(BazelWorkspace):
    """A workspace whose Bazel server runs as a user's does, its Java heap capped at max_heap.

    The tests' servers use only the JVM's quick compiler (`-XX:TieredStopAtLevel=1`),
    which pays for servers that live a few commands; a user's server has the optimising
    compiler too, and the hub's Starlark runs faster under it, so the benchmark leaves
    that option out.
    """

    max_heap = ""

    def _startup(self) -> list[str]:
        startup = [f for f in super()._startup() if "TieredStopAtLevel" not in f]
        extra = [f"--host_jvm_args=-Xmx{self.max_heap}"] if self.max_heap else []
        return [*startup, *extra]


def bench_bazel(
    lock: str,
    warm_up: str,
    base: Path,
    caches: BazelCaches,
    repeat: int,
    hub_args: str = "",
    max_heap: str = "",
):
    """Times the uv_lock repository rule on a warm Bazel server of its own.

    A fresh output base; a first query with the small warm_up lock starts the server and
    loads rules_pyuv; then each measured query follows an edit of the lock (a new
    comment changes its digest, so Bazel re-runs uv_lock).
    """
    ws = _CappedWorkspace(base / "ws", base / "output_base", caches, name="bench")
    ws.max_heap = max_heap
    profile = base / "starlark_cpu.pprof"
    edits = [0]
    cpu: dict[float, float] = {}
    parts: dict[float, dict[str, float]] = {}

    def query(*flags: str, repo: str = "pypi") -> None:
        ws.run("query", f"@{repo}//:all", "--noshow_progress", *flags)

    def changed_lock_query(repo: str = "pypi") -> None:
        edits[0] += 1
        (ws.root / "uv.lock").write_text(lock + f"# edit {edits[0]}\n")
        before = _marker_mtime(ws, repo)
        start = time.perf_counter()
        query(f"--starlark_cpu_profile={profile}", repo=repo)
        wall = time.perf_counter() - start
        if _marker_mtime(ws, repo) == before:
            raise RuntimeError(f"bazel query did not re-run @{repo} after the lock changed")
        cpu[wall] = starlark_cpu_seconds(profile)
        by_function = starlark_cpu_by_function(profile)
        parts[wall] = {name: by_function.get(name, 0.0) for name in CPU_PARTS}

    try:
        ws.write("uv.lock", warm_up)
        ws.write("floor.bzl", _FLOOR_BZL)
        ws.append("WORKSPACE", _WORKSPACE_FLOOR)
        ws.append("WORKSPACE", _WORKSPACE_HUB.replace("{hub_args}", hub_args))
        query()
        hub = best_of(repeat, changed_lock_query)
        hub_cpu = cpu[min(cpu)]
        hub_parts = parts[min(parts)]
        noop = best_of(repeat, query)
        cpu.clear()
        query(repo="floor")  # after the hub's runs: the server is at least as warm
        floor = best_of(repeat, lambda: changed_lock_query("floor"))
        floor_cpu = cpu[min(cpu)]
        ws.append("WORKSPACE", _WORKSPACE_INSTALL)
        install = best_of(1, changed_lock_query)
        rss = _peak_rss_mb(ws)
        return BazelFigures(hub, install, noop, hub_cpu, hub_parts, rss, floor, floor_cpu)
    finally:
        ws.close(wait=True)


def _rmtree(path: Path) -> None:
    def writable(func, p, _exc_info):
        os.chmod(p, 0o755)
        func(p)

    if path.exists():
        shutil.rmtree(path, onerror=writable)


# --------------------------------------------------------------------------- report


def _ms(seconds: float, n: int) -> str:
    return f"{seconds * 1000 / n:.3f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "| " + " | ".join("-" * (w - 1) + ":" for w in widths) + " |"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def _linearity(label: str, seconds: dict[int, float]) -> str:
    """A verdict on growth: per-package cost at the largest N against the smaller ones.

    Fixed costs (process start, warm-up) inflate the per-package cost of small locks, so
    the marginal cost between the two pairs of successive sizes is printed too; a
    quadratic spot shows as a ratio well above 1 in both.
    """
    sizes = sorted(seconds)
    if len(sizes) < 2:
        return f"{label}: one size only, no linearity figure"
    big = sizes[-1]
    per = {n: seconds[n] / n for n in sizes}
    ratios = [per[big] / per[n] for n in reversed(sizes[:-1])]
    text = ", ".join(
        f"{r:.2f}x that at {n}" for r, n in zip(ratios, reversed(sizes[:-1]), strict=True)
    )
    worst = ratios[0]
    if len(sizes) >= 3:
        a, b, c = sizes[-3:]
        slope_hi = (seconds[c] - seconds[b]) / (c - b)
        slope_lo = (seconds[b] - seconds[a]) / (b - a)
        if slope_lo > 0:
            text += f"; marginal cost {b}->{c} is {slope_hi / slope_lo:.2f}x that of {a}->{b}"
    verdict = "linear" if worst < 1.5 else "NOT linear"
    return f"{label}: {verdict}: per-package cost at {big} is {text}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="package counts (comma list)")
    parser.add_argument("--no-bazel", action="store_true", help="skip the real Bazel figures")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best counts)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the lock generator")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (prints it)")
    parser.add_argument(
        "--platforms",
        default="",
        help="the hub's `platforms` attribute (comma list, e.g. linux_x86_64,linux_aarch64); "
        "default: not set, every platform is planned",
    )
    parser.add_argument(
        "--python-versions",
        default="",
        help="the hub's `python_versions` attribute (comma list, e.g. 3.11); default: not "
        "set, every version the lock allows is planned",
    )
    parser.add_argument(
        "--max-heap",
        default="",
        help="cap the Bazel server's Java heap (-Xmx, e.g. 1g): a run that completes shows "
        "the hub fits; without it the JVM grows lazily up to a quarter of RAM",
    )
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    platforms = [p.strip() for p in args.platforms.split(",") if p.strip()]
    python_versions = [v.strip() for v in args.python_versions.split(",") if v.strip()]
    hub_args = _hub_args(platforms, python_versions)
    if not args.no_bazel and not (REPO_ROOT / ".cache" / "bazel4" / "bazelrc").exists():
        sys.exit(f"bench_lock: {BAZEL} is not set up: run tools/setup, or pass --no-bazel")

    uv_version = subprocess.run([_uv(), "--version"], capture_output=True, text=True).stdout
    print(
        f"# bench_lock {datetime.date.today().isoformat()}: {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
        f"Python {platform.python_version()}, {uv_version.strip()}, best of {args.repeat}",
        flush=True,
    )
    print(f'# hub: uv_lock(python_version = "3.11"{hub_args})', flush=True)
    if args.max_heap:
        print(f"# Bazel server: --host_jvm_args=-Xmx{args.max_heap}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_lock."))
    caches = BazelCaches.under(REPO_ROOT / ".cache" / "bazel-bench")
    sl_rows, uv_rows, bazel_rows, cpu_rows, floor_rows = [], [], [], [], []
    totals: dict[str, dict[int, float]] = {
        "starlark-pyo3": {},
        "bazel uv_lock": {},
        "bazel uv_lock, Starlark CPU": {},
        "uv": {},
    }
    try:
        warm_up = generate_lock(100, args.seed + 1)[0]
        for n in sizes:
            lock, pyproject = generate_lock(n, args.seed)
            project = tmp / f"project_{n}"
            project.mkdir()
            (project / "uv.lock").write_text(lock)
            (project / "pyproject.toml").write_text(pyproject)
            check = uv_export(project, tmp / "uv-cache")
            if check.returncode != 0:
                sys.exit(f"bench_lock: uv rejects the generated lock of {n}:\n{check.stderr}")
            exported = sum(1 for ln in check.stdout.splitlines() if ln[:1].isalnum())

            uv_s = best_of(args.repeat, lambda p=project: uv_export(p, tmp / "uv-cache"))
            totals["uv"][n] = uv_s
            uv_rows.append(
                [str(n), f"{len(lock) / 1e6:.1f}", str(lock.count(".whl")), str(exported)]
                + [f"{uv_s * 1000:.0f}", _ms(uv_s, n)]
            )

            sl = bench_starlark(lock, args.repeat, platforms, python_versions)
            totals["starlark-pyo3"][n] = sl["total"]
            sl_rows.append(
                [str(n)]
                + [_ms(sl[stage], n) for stage in STARLARK_STAGES]
                + [f"{sl['total'] * 1000:.0f}", _ms(sl["total"], n), f"{sl['total'] / uv_s:.0f}x"]
            )

            if not args.no_bazel:
                bz = bench_bazel(
                    lock, warm_up, tmp / f"bazel_{n}", caches, args.repeat, hub_args, args.max_heap
                )
                totals["bazel uv_lock"][n] = bz.hub
                totals["bazel uv_lock, Starlark CPU"][n] = bz.cpu
                bazel_rows.append(
                    [str(n), f"{bz.noop * 1000:.0f}", f"{bz.hub * 1000:.0f}", _ms(bz.hub, n)]
                    + [f"{bz.hub / uv_s:.0f}x", _ms(bz.cpu, n)]
                    + [_ms(bz.install, n), f"{bz.install / uv_s:.0f}x"]
                    + [f"{bz.peak_rss_mb:.0f}" if bz.peak_rss_mb else "-"]
                )
                cpu_rows.append(
                    [str(n), _ms(bz.cpu, n)]
                    + [_ms(bz.parts[name], n) for name in CPU_PARTS]
                    + [f"{os.getloadavg()[0]:.1f}"]
                )
                floor_rows.append(
                    [str(n), f"{bz.floor * 1000:.0f}", _ms(bz.floor, n), _ms(bz.floor_cpu, n)]
                    + [f"{bz.hub / bz.floor:.1f}x", f"{bz.cpu / max(bz.floor_cpu, 1e-9):.1f}x"]
                )
            print(f"# N={n} done", flush=True)
    finally:
        if args.keep:
            print(f"# kept {tmp}")
        else:
            _rmtree(tmp)

    print("\nuv: `uv export --frozen` of the same lock, in the same run")
    print(_table(["N", "lock MB", "wheels", "exported", "ms", "ms/pkg"], uv_rows))
    print("\nstarlark-pyo3: ms per package per stage, then the whole")
    print(_table(["N", *STARLARK_STAGES, "total ms", "ms/pkg", "/uv"], sl_rows))
    if bazel_rows:
        print("\nBazel 4.2.3: `bazel query @pypi//:all` on a warm server after the lock changed")
        header = ["N", "no-op ms", "uv_lock ms", "ms/pkg", "/uv", "CPU ms/pkg"]
        header += ["+install_deps ms/pkg", "/uv", "peak RSS MB"]
        print(_table(header, bazel_rows))
        print("\nBazel 4.2.3: Starlark CPU ms/pkg of the fastest hub run, and where it goes")
        names = [f"{name}()" if name == "file" else name for name in CPU_PARTS]
        print(_table(["N", "CPU ms/pkg", *names, "load after"], cpu_rows))
        print(
            "\nBazel 4.2.3: the floor, a repository rule that reads the same lock and writes as"
            " many files as the hub, nothing else (same server, same lock change)"
        )
        header = ["N", "floor ms", "ms/pkg", "CPU ms/pkg", "hub / floor", "CPU hub / floor"]
        print(_table(header, floor_rows))
    print()
    for label, seconds in totals.items():
        if seconds:
            print(_linearity(label, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
