"""Merges package trees installed by whl_install.py: a conflict check and virtual environments.

    python venv_tool.py check --manifest M1 --manifest M2 ... [--stamp FILE]
    python venv_tool.py venv --out DIR --python /abs/path/python3 --python-version 3.11 \\
        --tree TREE_DIR:MANIFEST ... [--pth IMPORT_ROOT ...]

`check` fails (exit 1) when two packages install the same site-packages path with different
content; identical content (e.g. a legacy namespace package's `__init__.py`) is allowed. It
prints nothing on success and then writes the empty FILE given with --stamp, if any.

`venv` creates a virtual environment folder for IDEs and humans:

    DIR/pyvenv.cfg                        home, include-system-site-packages = false, version
    DIR/bin/python, python3, pythonX.Y    symbolic links to --python
    DIR/bin/<console or gui script>       generated (see below)
    DIR/bin/<script>                      the wheels' .data/scripts
    DIR/lib/pythonX.Y/site-packages/      every tree's site-packages, copied
    DIR/lib/pythonX.Y/site-packages/rules_pyuv.pth   imports _rules_pyuv_paths.py, which puts
                                          the --pth entries on sys.path
    DIR/include/site/pythonX.Y/<dist>/    the wheels' .data/headers
    DIR/...                               the wheels' .data/data (at sys.prefix, as pip does)

Every path the trees and the tool install is checked for conflicts as `check` does.

Scripts must keep working after DIR is moved or copied, and DIR is usually created inside a
Bazel sandbox whose path means nothing later, so no script holds an absolute path:

- console and gui scripts are `#!/bin/sh` / Python polyglots: the shell runs
  `exec "$(dirname "$0")/python" "$0" "$@"`, i.e. the venv's own python next to the
  script, which then runs the same file as Python (the shell lines are a string to Python).
  sys.argv[0] is the script and sys.path[0] is DIR/bin, as with pip's scripts.
- a .data script that whl_install gave `#!/usr/bin/env python3` (the wheel's `#!python`) is
  moved to DIR/lib/rules_pyuv/scripts/<name> unchanged and DIR/bin/<name> becomes a
  `#!/bin/sh` trampoline that runs it with the venv's python; prefixing the script itself
  would break a module docstring or `from __future__` import. Other .data scripts are
  copied as they are.

A script reached through a symbolic link placed elsewhere does not find the venv's python
(`$0` is the link); call it through DIR/bin or a PATH entry instead.

Runs on Python 3.8+ (the minimum of every action tool; docs/sdist-builds.md).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import keyword
import os
import re
import shutil
import sys
from pathlib import Path

GENERATOR_LINE = "generator = rules_pyuv"
PYTHON_SHEBANG = b"#!/usr/bin/env python3\n"
TOOL = "rules_pyuv"  # owner of the files this tool generates

_TRAMPOLINE = """#!/bin/sh
'''exec' "$(dirname "$0")/python" "$0" "$@"
' '''
import sys

from {module} import {name}

if __name__ == "__main__":
    sys.exit({call}())
"""

_SCRIPT_RUNNER = """#!/bin/sh
exec "$(dirname "$0")"{up}/python "$(dirname "$0")"{up}/../lib/rules_pyuv/scripts/{name} "$@"
"""

_FIX = (
    "only one of them can be on the path: keep one of them in deps (or in the lock), or "
    "choose versions that do not overlap"
)
_SHOWN = 3  # paths named per conflicting pair of packages


class VenvError(Exception):
    """A failure the user can act on; its message says what and how to fix it."""


def sha256_digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


# --- Manifests -----------------------------------------------------------------------------


def _safe_relative(path: str) -> bool:
    parts = path.split("/")
    return (
        bool(path)
        and not path.startswith("/")
        and "\\" not in path
        and "\0" not in path
        and all(p not in ("", ".", "..") for p in parts)
    )


def _dotted(text: str) -> bool:
    return bool(text) and all(
        p.isidentifier() and not keyword.iskeyword(p) for p in text.split(".")
    )


def load_manifest(path: str) -> dict:
    """Reads and validates a manifest written by whl_install.py."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise VenvError(f"cannot read the install manifest {path}: {e}") from None
    keys = ("name", "version", "wheel", "files", "console_scripts", "gui_scripts")
    if not isinstance(data, dict) or any(k not in data for k in keys):
        raise VenvError(f"{path} is not a whl_install manifest (it needs the keys {keys})")
    for rel, digest in data["files"].items():
        if not _safe_relative(rel) or not str(digest).startswith("sha256="):
            raise VenvError(f"{path}: bad file entry {rel!r}: {digest!r}")
    for group in ("console_scripts", "gui_scripts"):
        for name, ref in data[group].items():
            module, _, attr = str(ref).partition(":")
            if "/" in name or name in ("", ".", "..") or not _dotted(module) or not _dotted(attr):
                raise VenvError(f"{path}: bad {group} entry {name!r} = {ref!r}")
    data["_path"] = path
    return data


def owner(manifest: dict) -> str:
    return f"'{manifest['name']}' {manifest['version']}"


def unique(manifests: list[dict]) -> list[dict]:
    """Drops repeats of one wheel's manifest; refuses two wheels of one package."""
    by_name: dict[str, dict] = {}
    out = []
    for m in manifests:
        first = by_name.setdefault(m["name"], m)
        if first is m:
            out.append(m)
        elif (first["version"], first["wheel"]) != (m["version"], m["wheel"]):
            raise VenvError(
                f"package '{m['name']}' is there twice, as {first['version']} "
                f"({first['wheel']}) and {m['version']} ({m['wheel']}); a Python environment "
                "holds one version of a package: depend on it through a single lock"
            )
    return out


# --- Conflicts -----------------------------------------------------------------------------


def conflicts(entries: list[tuple[str, str, str]]) -> list[str]:
    """Messages for (path, digest, owner) entries that cannot share one tree.

    A path installed twice with different content is a conflict, and so is a path that is a
    file for one owner and a folder for another.
    """
    first: dict[str, tuple[str, str]] = {}
    pairs: dict[tuple[str, str], list[str]] = {}
    for path, digest, who in entries:
        seen = first.setdefault(path, (digest, who))
        if seen[0] != digest:
            pairs.setdefault((seen[1], who), []).append(path)
    messages = []
    for (a, b), paths in pairs.items():
        paths = sorted(paths)
        more = ""
        if len(paths) > 1:
            shown = ", ".join(paths[1 : _SHOWN + 1]) + (", ..." if len(paths) > _SHOWN + 1 else "")
            more = f" (and {len(paths) - 1} more: {shown})"
        if TOOL in (a, b):
            messages.append(
                f"rules_pyuv: package {b if a == TOOL else a} installs {paths[0]}{more}, which "
                "the virtual environment itself needs; leave the package out of this py_venv"
            )
            continue
        messages.append(
            f"rules_pyuv: packages {a} and {b} both install {paths[0]} with different "
            f"content{more}; {_FIX}"
        )
    folders: dict[str, str] = {}
    for path, _, who in entries:
        parts = path.split("/")
        for i in range(1, len(parts)):
            folders.setdefault("/".join(parts[:i]), who)
    for path, (_, who) in sorted(first.items()):
        if path in folders:
            messages.append(
                f"rules_pyuv: {who} installs the file {path} but {folders[path]} installs "
                f"files inside a folder of that name; {_FIX}"
            )
    return messages


def site_entries(manifests: list[dict]) -> list[tuple[str, str, str]]:
    return [
        (rel, digest, owner(m))
        for m in manifests
        for rel, digest in sorted(m["files"].items())
        if rel.startswith("site-packages/")
    ]


def check(manifest_paths: list[str], stamp: str | None) -> None:
    manifests = unique([load_manifest(p) for p in manifest_paths])
    messages = conflicts(site_entries(manifests))
    if messages:
        raise VenvError("\n".join(messages))
    if stamp:
        Path(stamp).write_bytes(b"")


# --- Virtual environments ------------------------------------------------------------------


def sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def script_runner(name: str) -> bytes:
    """bin/<name>: runs lib/rules_pyuv/scripts/<name> with the venv's python."""
    up = sh_quote("/.." * name.count("/")) if "/" in name else ""
    return _SCRIPT_RUNNER.format(up=up, name=sh_quote(name)).encode()


def console_script(ref: str) -> bytes:
    module, _, attr = ref.partition(":")
    name = attr.split(".")[0]
    return _TRAMPOLINE.format(module=module, name=name, call=attr).encode()


class Plan:
    """Files of the venv: relative path -> (digest, owner, how to write it)."""

    def __init__(self):
        self.entries: list[tuple[str, str, str]] = []
        self.writers: dict[str, tuple] = {}

    def add(self, path: str, who: str, digest: str, writer: tuple) -> None:
        self.entries.append((path, digest, who))
        self.writers.setdefault(path, writer)


def _venv_path(rel: str, site: str, include: str) -> str | None:
    """Where a tree's file goes in the venv."""
    top, _, rest = rel.partition("/")
    if top == "site-packages":
        return f"{site}/{rest}"
    if top == "bin":
        return rel
    if top == "include":
        return f"{include}/{rest}"
    if top == "data":
        return rest
    return None


PATHS_MODULE = '''"""Puts the workspace's import roots on sys.path (written by rules_pyuv).

Relative roots are taken from the real location of this folder, so they hold when the
venv is reached through a symbolic link.
"""

import os
import sys

ROOTS = {roots!r}

_here = os.path.dirname(os.path.realpath(__file__))
for _root in ROOTS:
    _path = os.path.normpath(os.path.join(_here, _root))
    if os.path.isdir(_path) and _path not in sys.path:
        sys.path.append(_path)
'''


def plan_venv(trees, python: str, version: str, pth: list[str]) -> Plan:
    major_minor = ".".join(version.split(".")[:2])
    site = f"lib/python{major_minor}/site-packages"
    include = f"include/site/python{major_minor}"
    plan = Plan()
    cfg = (
        f"home = {os.path.dirname(python)}\n"
        "include-system-site-packages = false\n"
        f"version = {version}\n"
        f"{GENERATOR_LINE}\n"
    ).encode()
    plan.add("pyvenv.cfg", TOOL, sha256_digest(cfg), ("bytes", cfg, 0o644))
    for name in ("python", "python3", f"python{major_minor}"):
        plan.add(f"bin/{name}", TOOL, "link=" + python, ("link", python))
    if pth:
        # Python joins relative .pth lines to site-packages textually, which goes wrong
        # when the venv is reached through a symlink (bazel-bin); this module resolves
        # them against the real location instead.
        module = PATHS_MODULE.format(roots=list(dict.fromkeys(pth))).encode()
        plan.add(
            f"{site}/_rules_pyuv_paths.py", TOOL, sha256_digest(module), ("bytes", module, 0o644)
        )
        text = b"import _rules_pyuv_paths\n"
        plan.add(f"{site}/rules_pyuv.pth", TOOL, sha256_digest(text), ("bytes", text, 0o644))
    for tree, m in trees:
        who = owner(m)
        for rel, digest in sorted(m["files"].items()):
            dest = _venv_path(rel, site, include)
            if dest is None:
                raise VenvError(f"{m['_path']}: unexpected path {rel!r} (not under a known folder)")
            source = tree / rel
            if rel.startswith("bin/") and _has_python_shebang(source):
                name = rel[len("bin/") :]
                runner = script_runner(name)
                plan.add(f"lib/rules_pyuv/scripts/{name}", who, digest, ("copy", source, digest))
                plan.add(rel, who, sha256_digest(runner), ("bytes", runner, 0o755))
            else:
                plan.add(dest, who, digest, ("copy", source, digest))
        for group in ("console_scripts", "gui_scripts"):
            for name, ref in sorted(m[group].items()):
                text = console_script(ref)
                plan.add(f"bin/{name}", who, sha256_digest(text), ("bytes", text, 0o755))
    return plan


def _has_python_shebang(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(PYTHON_SHEBANG)) == PYTHON_SHEBANG
    except OSError:
        return False  # reported when the file is copied


def _copy(source: Path, target: Path, digest: str, tree_hint: str) -> None:
    h = hashlib.sha256()
    try:
        with open(source, "rb") as src, open(target, "xb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                h.update(chunk)
                dst.write(chunk)
        executable = os.stat(source).st_mode & 0o111
    except OSError as e:
        raise VenvError(f"cannot copy {source} ({tree_hint}): {e}") from None
    got = "sha256=" + base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
    if got != digest:
        raise VenvError(
            f"{source} does not match its install manifest ({tree_hint}); pass each tree with "
            "the manifest whl_install wrote for it"
        )
    target.chmod(0o755 if executable else 0o644)


def write_plan(plan: Plan, out: Path) -> None:
    for rel in sorted(plan.writers):
        writer = plan.writers[rel]
        target = out.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        if writer[0] == "link":
            os.symlink(writer[1], target)
        elif writer[0] == "bytes":
            target.write_bytes(writer[1])
            target.chmod(writer[2])
        else:
            _copy(writer[1], target, writer[2], "an installed package tree")
    for folder, dirs, _ in os.walk(out):
        for d in dirs:
            path = os.path.join(folder, d)
            if not os.path.islink(path):
                os.chmod(path, 0o755)


def _prepare_out(out: Path) -> None:
    """Makes out an empty folder; an earlier venv of this tool is replaced, nothing else."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise VenvError(f"{out} exists and is not a folder; remove it or choose another --out")
    if out.exists() and any(out.iterdir()):
        cfg = out / "pyvenv.cfg"
        ours = cfg.is_file() and GENERATOR_LINE in cfg.read_text(errors="replace").splitlines()
        if not ours:
            raise VenvError(
                f"{out} is not empty and is not a virtual environment made by rules_pyuv; "
                "remove it or choose another --out"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o755)


def venv(out: Path, python: str, version: str, tree_args: list[str], pth: list[str]) -> None:
    if not os.path.isabs(python) or any(c in python for c in "\n\r\0"):
        raise VenvError(f"--python {python!r} must be an absolute path")
    if not re.match(r"^\d+\.\d+(\.\d+)?$", version):
        raise VenvError(f"--python-version {version!r} is not like '3.11'")
    for entry in pth:
        if not entry or any(c in entry for c in "\n\r\0") or re.match(r"^import[ \t]", entry):
            raise VenvError(f"--pth {entry!r} is not a path for a .pth file")
    pairs = []
    for arg in tree_args:
        tree, sep, manifest = arg.rpartition(":")
        if not sep or not tree or not manifest:
            raise VenvError(f"--tree {arg!r} is not TREE_DIR:MANIFEST")
        if not Path(tree).is_dir():
            raise VenvError(f"--tree {arg!r}: {tree} is not a folder")
        pairs.append((Path(tree), load_manifest(manifest)))
    kept = {id(m) for m in unique([m for _, m in pairs])}
    pairs = [(t, m) for t, m in pairs if id(m) in kept]
    messages = conflicts(site_entries([m for _, m in pairs]))
    if not messages:
        plan = plan_venv(pairs, python, version, pth)
        messages = conflicts(plan.entries)
    if messages:
        raise VenvError("\n".join(messages))
    _prepare_out(out)
    write_plan(plan, out)


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="fail on packages that install different files at one path")
    c.add_argument("--manifest", action="append", default=[], help="a whl_install manifest")
    c.add_argument("--stamp", help="file written (empty) when there is no conflict")
    v = sub.add_parser("venv", help="create a virtual environment folder")
    v.add_argument("--out", required=True, help="the venv folder (empty, or made by this tool)")
    v.add_argument("--python", required=True, help="absolute path of the interpreter")
    v.add_argument("--python-version", required=True, help="e.g. 3.11")
    v.add_argument("--tree", action="append", default=[], help="TREE_DIR:MANIFEST")
    v.add_argument("--pth", action="append", default=[], help="a line of rules_pyuv.pth")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "check":
            check(args.manifest, args.stamp)
        else:
            venv(Path(args.out), args.python, args.python_version, args.tree, args.pth)
    except VenvError as e:
        text = str(e)
        print(text if text.startswith("rules_pyuv:") else f"rules_pyuv: {text}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
