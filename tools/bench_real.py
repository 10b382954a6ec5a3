"""The app of `tools/bench_build.py --real`: real public packages, locked at run time.

The requirements (names, optionally with extras and version specifiers) are locked with the
real `uv lock` against uv's default index, so nothing here names an index host. Which
modules the app imports is learned from uv's own virtual environment after the first
`uv sync` (each top-level distribution's RECORD, keeping the modules that import there),
so the same main.py runs on both sides and its output must be identical: one line per
imported module with its distribution's version, then every distribution the interpreter
can see, with its version.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

# Well-known public packages: together with their dependencies about 100 locked packages,
# with heavy native wheels (numpy, scipy, pandas, pyarrow, grpcio), namespace packages
# (google-cloud-*), platform and Python-version markers, and console scripts.
DEFAULT_REQUIREMENTS = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "google-cloud-storage",
    "grpcio",
    "protobuf",
    "requests",
    "pydantic",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "boto3",
    "click",
    "jinja2",
    "pyyaml",
    "attrs",
    "httpx",
    "rich",
    "matplotlib",
    "cryptography",
    "beautifulsoup4",
    "aiohttp",
    "tqdm",
    "psutil",
    "networkx",
    "sympy",
    "flask",
    "lxml",
    "python-dateutil",
    "pytz",
    "orjson",
    "msgpack",
    "pillow",
    "packaging",
    "typing-extensions",
    "certifi",
    "six",
    "pyarrow",
    "markdown",
)

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_SKIP = {"test", "tests", "testing", "docs", "doc", "benchmarks", "examples", "scripts"}


def read_requirements(path: Path) -> list[str]:
    """Requirement lines of a file: blank lines and `#` comments dropped."""
    reqs = []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-") or not _REQ.match(line):
            raise SystemExit(
                f"bench_build: {path}:{n}: {raw!r} is not a requirement (want a name with "
                "optional [extras], version specifiers and marker; no pip options)"
            )
        reqs.append(line)
    if not reqs:
        raise SystemExit(f"bench_build: {path} lists no requirements")
    return reqs


def split_requirement(req: str) -> tuple[str, list[str]]:
    """(distribution name, extras) of a requirement string."""
    m = _REQ.match(req)
    if not m:
        raise SystemExit(f"bench_build: {req!r} is not a requirement")
    extras = [e.strip() for e in (m.group(2) or "").split(",") if e.strip()]
    return m.group(1), extras


def hub_name(name: str) -> str:
    """The hub's label name of a distribution (PEP 503, then runs of -_. to _)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def app_build(requirements: list[str]) -> str:
    """BUILD of //app:app: one dep per requirement, plus its extras' labels."""
    labels = set()
    for req in requirements:
        name, extras = split_requirement(req)
        labels.add(f"@pypi//{hub_name(name)}")
        labels.update(f"@pypi//{hub_name(name)}:extra_{hub_name(e)}" for e in extras)
    deps = "".join(f'        "{label}",\n' for label in sorted(labels))
    return (
        'load("@rules_pyuv//py:defs.bzl", "py_binary")\n\n'
        "py_binary(\n"
        '    name = "app",\n'
        '    srcs = ["main.py"],\n'
        "    deps = [\n" + deps + "    ],\n)\n"
    )


# Runs in uv's venv: for each distribution, the modules its RECORD installs that import.
_DISCOVER = r"""
import importlib, importlib.metadata as md, json, sys

SKIP = set(sys.argv[2:])

def modules(dist):
    files = {str(f).replace("\\", "/") for f in (dist.files or ())}
    files = {f for f in files if not f.startswith("../") and "__pycache__" not in f
             and ".dist-info/" not in f and ".data/" not in f}
    found = []

    def walk(prefix, top):
        depth = len(prefix)
        children = set()
        for f in files:
            parts = f.split("/")
            if parts[:depth] == prefix and len(parts) > depth:
                children.add((parts[depth], len(parts) == depth + 1))
        for name, is_file in sorted(children):
            if name.startswith("_") or name in SKIP:
                continue
            if is_file:
                if top and name.endswith(".py"):
                    found.append(name[:-3])
                continue
            if "/".join(prefix + [name, "__init__.py"]) in files:
                found.append(".".join(prefix + [name]))
            elif depth < 3:
                walk(prefix + [name], False)  # a namespace package: look one level down

    walk([], True)
    return found

out = {}
for name in json.loads(sys.argv[1]):
    good = []
    for module in modules(md.distribution(name)):
        if "." in module and module.rsplit(".", 1)[0] in good:
            continue
        try:
            importlib.import_module(module)
        except Exception:
            continue
        good.append(module)
    out[name] = good
print(json.dumps(out))
"""


def discover_modules(venv_python: Path, requirements: list[str]) -> list[tuple[str, str]]:
    """(distribution, module) pairs the app imports, learned in uv's venv."""
    names = [split_requirement(r)[0] for r in requirements]
    proc = subprocess.run(
        [str(venv_python), "-c", _DISCOVER, json.dumps(names), *sorted(_SKIP)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench_build: finding the modules in uv's venv failed:\n{proc.stderr}")
    found = json.loads(proc.stdout)
    pairs = [(name, module) for name in names for module in found[name]]
    missing = [name for name in names if not found[name]]
    if missing:
        print(f"# no importable module found in uv's venv for: {', '.join(missing)}", flush=True)
    return pairs


def app_main(pairs: list[tuple[str, str]], edit: int = 0) -> str:
    """main.py: imports every module, prints its version and every visible distribution."""
    lines = ['"""Benchmark app: real packages report their versions."""', ""]
    lines += ["import importlib.metadata", "import sys", ""]
    lines += [f"import {module}" for module in sorted({m for _, m in pairs})]
    lines += ["", "MODULES = ["]
    lines += [f"    ({dist!r}, {module!r})," for dist, module in pairs]
    lines += [
        "]",
        "",
        'if __name__ == "__main__":',
        "    for dist, module in MODULES:",
        "        assert module in sys.modules, module",
        "        print(dist, module, importlib.metadata.version(dist))",
        "    dists = importlib.metadata.distributions()",
        '    seen = {(d.metadata["Name"].lower(), d.version) for d in dists}',
        "    for name, version in sorted(seen):",
        '        print("dist", name, version)',
    ]
    return "\n".join(lines) + "\n" + "".join(f"# edit {k}\n" for k in range(1, edit + 1))
