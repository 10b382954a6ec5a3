"""Builds one wheel from an sdist inside a Bazel action (mnemonic PySdistBuild).

Runs on the execution platform that matches the target platform, with the interpreter
of that platform's Python toolchain. Uses only the standard library, the wheel library
beside it (pyuv_wheel.py) and what the action supplies: the build requirements (from the
lock) as installed trees (`--requirement-tree`, what PyWheelInstall made of their wheels),
or as wheels (`--requirement-wheel`) that it installs first with the same installer.
Nothing is downloaded and nothing is isolated with pip.

Steps:
  1. put the build requirements' site-packages on the path (and their bin/ on PATH);
  2. unpack the sdist safely (no absolute paths, no `..`, no links out of the tree,
     no device files), then apply the package's pre-build patches to it (`--patch`,
     with patch_tool.py beside it: no host `patch`; a hunk that fails stops the build
     naming the package, patch, file and hunk);
  3. read [build-system] from pyproject.toml and check that the supplied wheels satisfy
     `requires` (and what the backend asks for on top);
  4. call the PEP 517 backend's build_wheel (through pyproject_hooks when it is among
     the build requirements, else through a small runner of our own);
  5. check that exactly one wheel with the expected name and version came out and that
     its tags run on the target platform and Python;
  6. rewrite it deterministically (sorted entries, fixed times and modes) into --out-dir.

Every archive (the sdist and any requirement wheel) is unpacked by streaming, within the
size caps of UNPACK_LIMITS. Runs on Python 3.8+ (the minimum of every action tool;
docs/sdist-builds.md).
"""

from __future__ import annotations

import argparse
import base64
import bz2
import csv
import email.parser
import gzip
import hashlib
import io
import json
import lzma
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path

from patch_tool import PatchError, apply_patches
from pyuv_wheel import (
    UNPACK_LIMITS,
    UnpackLimits,
    WheelError,
    check_sizes,
    inside,
    install,
    member_parts,
    normalize_name,
    parse_filename,
    tags_fit,
    top_dist_infos,
    version_key,
)

_CHUNK = 1 << 20
# Longest symbolic link target an sdist may hold (Linux's PATH_MAX).
_MAX_LINK = 4096


class BuildError(WheelError):
    """A failure the user can act on; its message says what and how to fix it."""


# --- Safe archive extraction -------------------------------------------------------------


def _member_parts(archive: str, name: str) -> list[str]:
    """Checks an sdist member's name and returns its path components."""
    return member_parts(archive, name, strict=False, error=BuildError)


def _write_file(archive: str, root: Path, parts: list[str], src, executable: bool):
    """Writes one member from the file object src in chunks (memory stays bounded)."""
    target = root.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Files are written before any link exists, so no write can pass through a link;
    # this guards against directories that were themselves replaced by a link.
    if not inside(root, target.parent):
        raise BuildError(f"{archive}: member {'/'.join(parts)!r} would be written outside the tree")
    with open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
    target.chmod(0o755 if executable else 0o644)


def _link_target(archive: str, parts: list[str], raw) -> str:
    """A link's target as text; refuses targets no file system path can be."""
    name = "/".join(parts)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BuildError(f"{archive}: link {name!r} has a target that is not UTF-8") from None
    try:
        raw.encode("utf-8")  # tarfile keeps undecodable bytes as surrogates
    except UnicodeEncodeError:
        raise BuildError(f"{archive}: link {name!r} has a target that is not UTF-8") from None
    if "\0" in raw:
        raise BuildError(f"{archive}: link {name!r} has a NUL character in its target")
    if not raw:
        raise BuildError(f"{archive}: link {name!r} has an empty target")
    return raw


def _make_links(archive: str, root: Path, links: list[tuple[list[str], str]]):
    links = [(parts, _link_target(archive, parts, target)) for parts, target in links]
    real_root = os.path.realpath(root)
    for parts, target in links:
        if target.startswith("/") or re.match(r"^[A-Za-z]:", target):
            raise BuildError(
                f"{archive}: link {'/'.join(parts)!r} points to absolute path {target!r}"
            )
        # The link's folder must be a real folder of the tree: making it (or the link)
        # through a link made earlier could write outside the tree.
        parent = os.path.join(real_root, *parts[:-1])
        if os.path.realpath(parent) != parent:
            raise BuildError(f"{archive}: link {'/'.join(parts)!r} lies inside another link")
        os.makedirs(parent, exist_ok=True)
        os.symlink(target, os.path.join(parent, parts[-1]))
    # Check only once all links exist: a chain of links can escape where none does alone.
    for parts, target in links:
        path = root.joinpath(*parts)
        if not inside(root, path):
            raise BuildError(
                f"{archive}: link {'/'.join(parts)!r} -> {target!r} points outside the tree"
            )


class _Bounded:
    """A read-only stream that fails once more than `limit` bytes were read from it."""

    def __init__(self, raw, on_over):
        self.raw, self.on_over, self.count = raw, on_over, 0

    def read(self, size=-1):
        data = self.raw.read(size)
        self.count += len(data)
        self.on_over(self.count)
        return data


def _decompressed(archive: Path):
    """The archive's bytes, decompressed as they are read (gzip, bzip2, xz or none)."""
    with open(archive, "rb") as f:
        magic = f.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(archive, "rb")
    if magic.startswith(b"BZh"):
        return bz2.open(archive, "rb")
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(archive, "rb")
    return open(archive, "rb")


def extract_tar(archive: Path, dest: Path, limits: UnpackLimits | None = None) -> None:
    """Unpacks a tar archive into dest, refusing anything that could escape dest.

    The archive is read as a stream, each member written in chunks, and reading stops as
    soon as the decompressed stream passes what the caps allow: memory and disk use stay
    bounded whatever the archive claims.
    """
    name = archive.name
    limits = limits or UnpackLimits.from_args({}, BuildError)
    size = archive.stat().st_size
    allowed = limits.total_allowed(size)

    def on_over(count: int) -> None:
        if count > allowed:
            limits.check_total(name, size, count, BuildError)

    links, hardlinks, seen = [], [], {}
    try:
        with _decompressed(archive) as raw:  # one `with` each: 3.8 has no parenthesised form
            tf = tarfile.open(fileobj=_Bounded(raw, on_over), mode="r|")
            with tf:
                for m in tf:
                    parts = _member_parts(name, m.name)
                    if m.isdir():
                        dest.joinpath(*parts).mkdir(parents=True, exist_ok=True)
                    elif m.isfile():
                        limits.check_member(name, m.name, m.size, BuildError)
                        _write_file(name, dest, parts, tf.extractfile(m), bool(m.mode & 0o111))
                        seen["/".join(parts)] = True
                    elif m.issym():
                        links.append((parts, m.linkname))
                    elif m.islnk():
                        hardlinks.append((parts, m.linkname))
                    else:
                        kind = (
                            "device"
                            if (m.ischr() or m.isblk())
                            else "fifo"
                            if m.isfifo()
                            else "special"
                        )
                        raise BuildError(
                            f"{name}: member {m.name!r} is a {kind} file; sdists hold none"
                        )
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as e:
        raise BuildError(f"{name}: not a readable tar archive ({e})") from None
    except OSError as e:
        if e.filename is None:  # gzip/bz2 report a corrupt stream as OSError
            raise BuildError(f"{name}: not a readable tar archive ({e})") from None
        raise
    for parts, target in hardlinks:
        try:
            key = "/".join(_member_parts(name, target))
        except BuildError:  # absolute or through '..': certainly not a member
            key = None
        if key not in seen:
            raise BuildError(
                f"{name}: hard link {'/'.join(parts)!r} -> {target!r} does not point to a "
                "regular file of the archive"
            )
        source = dest.joinpath(*key.split("/"))
        with open(source, "rb") as src:
            _write_file(name, dest, parts, src, os.access(source, os.X_OK))
    _make_links(name, dest, links)


def _zip_kind(info: zipfile.ZipInfo) -> str:
    """'dir', 'file', 'link' or the name of another file type, from a zip member's mode.

    A member whose mode has no file-type bits (written on Windows, or by tools that store
    only permissions) is a regular file, as unzip and pip take it.
    """
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if info.is_dir() or kind == stat.S_IFDIR:
        return "dir"
    if kind in (0, stat.S_IFREG):
        return "file"
    if kind == stat.S_IFLNK:
        return "link"
    return {
        stat.S_IFCHR: "device",
        stat.S_IFBLK: "device",
        stat.S_IFIFO: "fifo",
        stat.S_IFSOCK: "socket",
    }.get(kind, "special")


def extract_zip(archive: Path, dest: Path, limits: UnpackLimits | None = None) -> None:
    """Unpacks a zip archive into dest, refusing anything that could escape dest."""
    name = archive.name
    limits = limits or UnpackLimits.from_args({}, BuildError)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as e:
        raise BuildError(f"{name}: not a readable zip archive ({e})") from None
    links = []
    with zf:
        infos = zf.infolist()
        check_sizes(name, archive.stat().st_size, infos, limits, BuildError)
        for info in infos:
            parts = _member_parts(name, info.filename)
            kind = _zip_kind(info)
            try:
                if kind == "dir":
                    dest.joinpath(*parts).mkdir(parents=True, exist_ok=True)
                elif kind == "link":
                    if info.file_size > _MAX_LINK:
                        raise BuildError(
                            f"{name}: link {info.filename!r} has a target of {info.file_size} "
                            "bytes; no path is that long"
                        )
                    links.append((parts, zf.read(info)))
                elif kind == "file":
                    mode = info.external_attr >> 16
                    with zf.open(info) as src:
                        _write_file(name, dest, parts, src, bool(mode & 0o111))
                else:
                    raise BuildError(
                        f"{name}: member {info.filename!r} is a {kind} file; sdists hold only "
                        "regular files, folders and links"
                    )
            except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                raise BuildError(f"{name}: member {info.filename!r} cannot be read: {e}") from None
    _make_links(name, dest, links)


def extract_sdist(sdist: Path, dest: Path, limits: UnpackLimits | None = None) -> Path:
    """Unpacks an sdist and returns its project directory (the single top folder)."""
    if sdist.name.endswith(".zip"):
        extract = extract_zip
    elif sdist.name.endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")):
        extract = extract_tar
    else:
        raise BuildError(f"{sdist.name}: not an sdist archive (.tar.gz or .zip)")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        extract(sdist, dest, limits)
    except OSError as e:  # e.g. a member that is both a file and a folder, or a link
        path = e.filename2 or e.filename  # os.symlink(target, path) names path second
        where = os.path.relpath(path, dest) if path and os.path.isabs(path) else path
        raise BuildError(f"{sdist.name}: cannot unpack member {where!r}: {e.strerror}") from None
    entries = [p for p in dest.iterdir()]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    if (dest / "pyproject.toml").exists() or (dest / "setup.py").exists():
        return dest
    raise BuildError(
        f"{sdist.name}: expected one top-level folder, found {sorted(p.name for p in entries)}"
    )


def copy_sources(files: list[str], root: str, dest: Path) -> Path:
    """Copies a local project's files (paths under root) into dest; returns dest.

    A local directory source arrives as its files (the user's filegroup), not as an
    archive: each must lie under root, the folder of the project's pyproject.toml.
    """
    prefix = root.rstrip("/") + "/"
    for name in files:
        if not name.startswith(prefix) or ".." in name[len(prefix) :].split("/"):
            raise BuildError(
                f"{name} is not inside the project folder {root}: list only files under "
                "the folder that holds pyproject.toml in the source's filegroup"
            )
        target = dest / name[len(prefix) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(name, target)  # follows the sandbox's symlinks
    if not (dest / "pyproject.toml").exists():
        raise BuildError(f"the files of {root} hold no pyproject.toml")
    return dest


# --- The build environment ---------------------------------------------------------------


def find_wheels(paths: list[str]) -> list[Path]:
    """Wheel files among the given paths (files, or folders holding built wheels)."""
    wheels = []
    for p in map(Path, paths):
        if p.is_dir():
            wheels.extend(sorted(p.glob("*.whl")))
        else:
            wheels.append(p)
    return wheels


def install_requirements(wheels: list[Path], into: Path, limits: UnpackLimits) -> list[Path]:
    """Installs requirement wheels with the one installer; returns their trees."""
    trees = []
    for i, wheel in enumerate(wheels):
        tree = into / str(i)
        install(wheel, tree, limits=limits)
        trees.append(tree)
    return trees


def installed_distributions(sites: list[Path]) -> dict[str, str]:
    """Maps normalized names to versions of the distributions installed in sites."""
    found = {}
    for site in sites:
        for meta in sorted(site.glob("*.dist-info/METADATA")):
            text = meta.read_text(encoding="utf-8", errors="replace")
            msg = email.parser.Parser().parsestr(text, headersonly=True)
            if msg.get("Name"):
                found.setdefault(normalize_name(msg["Name"]), msg.get("Version", ""))
    return found


def read_build_system(project: Path) -> tuple[list[str], str, list[str]]:
    """Returns (requires, build-backend, backend-path) of a project (PEP 517/518)."""
    pyproject = project / "pyproject.toml"
    if not pyproject.exists():
        # PEP 517's fallback for projects that predate pyproject.toml.
        return ["setuptools>=40.8.0"], "setuptools.build_meta:__legacy__", []
    try:
        import tomllib  # novermin (3.11+; older interpreters use tomli below)
    except ImportError:  # Python < 3.11: tomli, if the build requirements bring it
        try:
            import tomli as tomllib
        except ImportError:
            raise BuildError(
                "reading pyproject.toml needs Python 3.11+ or 'tomli' among the build "
                "requirements; add tomli to the lock's build dependency group"
            ) from None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise BuildError(f"pyproject.toml of the sdist is not valid TOML: {e}") from None
    system = data.get("build-system")
    if system is None:
        return ["setuptools>=40.8.0"], "setuptools.build_meta:__legacy__", []
    requires = system.get("requires")
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise BuildError("pyproject.toml: [build-system] has no 'requires' list of strings")
    backend = system.get("build-backend", "setuptools.build_meta:__legacy__")
    if not isinstance(backend, str) or not re.fullmatch(r"[\w.]+(:[\w.]+)?", backend):
        raise BuildError(
            f"pyproject.toml: [build-system] build-backend {backend!r} is not a "
            "'module:object' reference"
        )
    return requires, backend, check_backend_path(project, system.get("backend-path", []))


def check_backend_path(project: Path, backend_path) -> list[str]:
    """The backend-path entries, each checked to be a folder inside the source tree.

    PEP 517: they are relative to the project and must not leave it; an absolute entry or
    one through `..` or a link would put host folders on the backend's PYTHONPATH.
    """
    if not isinstance(backend_path, list) or not all(isinstance(p, str) for p in backend_path):
        raise BuildError("pyproject.toml: [build-system] backend-path must be a list of strings")
    root = os.path.realpath(project)
    for entry in backend_path:
        real = "" if "\0" in entry else os.path.realpath(os.path.join(root, entry))
        if os.path.isabs(entry) or not (real == root or real.startswith(root + os.sep)):
            raise BuildError(
                f"pyproject.toml: [build-system] backend-path entry {entry!r} lies outside the "
                "sdist's source tree; PEP 517 allows only folders inside it"
            )
    return backend_path


def _split_requirement(text: str):
    """(name, specifier, applies) of a PEP 508 requirement, with packaging when present.

    Without packaging the specifier is left as text (not checked) and the marker is
    evaluated by evaluate_marker.
    """
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*)(;.*)?$", text)
        if not m:
            raise BuildError(f"cannot read build requirement {text!r}") from None
        applies = evaluate_marker(m.group(4)[1:]) if m.group(4) else True
        return normalize_name(m.group(1)), m.group(3).strip(), applies
    try:
        req = Requirement(text)
    except InvalidRequirement as e:
        raise BuildError(f"cannot read build requirement {text!r}: {e}") from None
    applies = req.marker is None or req.marker.evaluate()
    return normalize_name(req.name), req.specifier, applies


def marker_environment() -> dict[str, str]:
    """The PEP 508 marker variables of the running interpreter (the target's)."""
    impl = sys.implementation
    version = f"{impl.version.major}.{impl.version.minor}.{impl.version.micro}"
    if impl.version.releaselevel != "final":
        version += impl.version.releaselevel[0] + str(impl.version.serial)
    return {
        "os_name": os.name,
        "sys_platform": sys.platform,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "python_full_version": platform.python_version(),
        "implementation_name": impl.name,
        "implementation_version": version,
        "extra": "",
    }


_MARKER_OPERAND = r"""(?:'[^']*'|"[^"]*"|(?<![\w.])[A-Za-z_][\w.]*(?![\w.]))"""
_MARKER_COMPARISON = re.compile(
    rf"({_MARKER_OPERAND})\s*(===|==|!=|<=|>=|~=|<|>|(?<![\w.])(?:not\s+in|in)(?![\w.]))"
    rf"\s*({_MARKER_OPERAND})"
)


def _release(text: str) -> tuple[int, ...] | None:
    """The leading release numbers of a version ("3.13.0rc1" -> (3, 13, 0)), if any."""
    m = re.match(r"\d+(\.\d+)*", text)
    return tuple(int(x) for x in m.group().split(".")) if m else None


def _marker_compare(left: str, op: str, right: str) -> bool:
    """One marker comparison; versions compare by their release numbers only."""
    if op in ("in", "not in"):
        return (left in right) == (op == "in")
    have, want = _release(left), _release(right[:-2] if right.endswith(".*") else right)
    if op in ("==", "!=") and right.endswith(".*"):
        return (have is not None and have[: len(want or ())] == want) == (op == "==")
    releases = re.fullmatch(r"[\d.]+", left) and re.fullmatch(r"[\d.]+", right)
    if op == "===" or (op in ("==", "!=") and not releases):
        return (left == right) == (op != "!=")
    if have is None or want is None:
        raise BuildError(f"cannot compare {left!r} {op} {right!r} in a marker")
    prefix = want[:-1]
    size = max(len(have), len(want))
    have, want = have + (0,) * (size - len(have)), want + (0,) * (size - len(want))
    if op == "~=":
        return have >= want and have[: len(prefix)] == prefix
    return {
        "==": have == want,
        "!=": have != want,
        "<": have < want,
        "<=": have <= want,
        ">": have > want,
        ">=": have >= want,
    }[op]


def evaluate_marker(marker: str, environment: dict[str, str] | None = None) -> bool:
    """Evaluates a PEP 508 marker without packaging (the build may not supply it)."""
    env = marker_environment() if environment is None else environment

    def value(operand: str) -> str:
        if operand[0] in "'\"":
            return operand[1:-1]
        if operand not in env:
            raise BuildError(f"unknown variable {operand!r} in the marker {marker!r}")
        return env[operand]

    def compare(m: re.Match) -> str:
        op = " ".join(m[2].split())
        return f" {_marker_compare(value(m[1]), op, value(m[3]))} "

    # Each comparison becomes True or False; what is left must be and/or/parentheses,
    # read by a small parser (whole words only: `orand` is no operator).
    tokens = re.findall(r"[()]|[^\s()]+", _MARKER_COMPARISON.sub(compare, marker))
    pos = 0

    def fail():
        raise BuildError(f"cannot read the marker {marker!r}")

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def atom() -> bool:
        nonlocal pos
        token = peek()
        pos += 1
        if token in ("True", "False"):
            return token == "True"
        if token == "(":
            result = either()
            if peek() != ")":
                fail()
            pos += 1
            return result
        fail()

    def chain(word: str, operand) -> bool:
        """operand (word operand)*: every operand is parsed, none short-circuits the read."""
        nonlocal pos
        result = operand()
        while peek() == word:
            pos += 1
            right = operand()
            result = (result and right) if word == "and" else (result or right)
        return result

    def both() -> bool:
        return chain("and", atom)

    def either() -> bool:
        return chain("or", both)

    verdict = either()
    if pos != len(tokens):
        fail()
    return verdict


def missing_requirements(requires: list[str], installed: dict[str, str]) -> list[str]:
    """The requirements that the unpacked wheels do not satisfy."""
    missing = []
    for text in requires:
        name, specifier, applies = _split_requirement(text)
        if not applies:
            continue
        version = installed.get(name)
        if version is None:
            missing.append(text)
        elif specifier and hasattr(specifier, "contains"):
            if not specifier.contains(version, prereleases=True):
                missing.append(f"{text} (the lock supplies {name} {version})")
    return missing


def _missing_message(missing: list[str], name: str) -> str:
    names = " ".join(sorted({re.split(r"[\s\[<>=!~;(]", m, maxsplit=1)[0] for m in missing}))
    return (
        f"the build requirements of {name} are not all supplied: {', '.join(missing)}. "
        "Lock them in the build dependency group (e.g. `uv add --group build "
        f"{names}`), or list them for this package in build_dependencies of uv_lock/uv.lock"
    )


# --- Calling the backend -----------------------------------------------------------------

# Runs in a fresh interpreter: imports the backend and calls one PEP 517 hook.
_HOOK_RUNNER = r"""
import importlib, json, os, sys
# PEP 517: the source tree is not importable (only backend-path is), as with pyproject_hooks.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
hook, backend, out, arg = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
config = json.loads(sys.argv[5])
module, _, obj = backend.partition(":")
target = importlib.import_module(module)
for attr in filter(None, obj.split(".")):
    target = getattr(target, attr)
fn = getattr(target, hook, None)
if hook == "get_requires_for_build_wheel":
    result = fn(config) if fn else []
else:
    result = fn(arg, config)
with open(out, "w") as f:
    json.dump(result, f)
"""


class _Backend:
    """Calls PEP 517 hooks in a subprocess with the build environment on sys.path."""

    def __init__(
        self,
        project: Path,
        backend: str,
        backend_path: list[str],
        env: dict,
        config_settings: dict | None = None,
    ):
        self.project = project
        self.config_settings = config_settings or {}
        self.backend = backend
        self.env = dict(env)
        paths = [str(project / p) for p in backend_path] + [self.env.get("PYTHONPATH", "")]
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)

    def _run(self, cmd, cwd, extra_environ=None):
        env = dict(self.env)
        env.update(extra_environ or {})
        if sys.flags.no_site and cmd and cmd[0] == sys.executable and "-S" not in cmd[1:2]:
            # The helper runs with -S (sdist_build passes it): the backend must not see the
            # interpreter's site-packages either, only the lock's build requirements.
            cmd = [cmd[0], "-S", *cmd[1:]]
        # The backend's chatter is kept unless it fails: Bazel would print it for every
        # successful build.
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout.decode("utf-8", "replace"))
            sys.stderr.flush()
            raise BuildError(
                f"the build backend {self.backend!r} failed (exit {proc.returncode}); "
                "its output is above"
            )

    def call(self, hook: str, arg: str = "") -> object:
        try:
            import pyproject_hooks
        except ImportError:
            pyproject_hooks = None
        if pyproject_hooks is not None:
            caller = pyproject_hooks.BuildBackendHookCaller(
                str(self.project), self.backend, runner=self._run, python_executable=sys.executable
            )
            try:
                if hook == "get_requires_for_build_wheel":
                    return caller.get_requires_for_build_wheel(self.config_settings)
                return caller.build_wheel(arg, self.config_settings)
            except pyproject_hooks.BackendUnavailable as e:
                raise BuildError(f"cannot import the build backend {self.backend!r}: {e}") from None
            except pyproject_hooks.HookMissing as e:
                raise BuildError(f"the build backend {self.backend!r} has no hook {e}") from None
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.json")
            config = json.dumps(self.config_settings)
            cmd = [sys.executable, "-c", _HOOK_RUNNER, hook, self.backend, out, arg, config]
            self._run(cmd, str(self.project))
            with open(out) as f:
                return json.load(f)


# --- Checking the result -----------------------------------------------------------------


def check_wheel(filename: str, name: str, version: str, target: dict) -> None:
    """Raises BuildError unless the built wheel is the expected one and fits the target."""
    try:
        meta = parse_filename(filename)
    except WheelError:
        raise BuildError(
            f"the backend produced {filename!r}, which is not a wheel file name"
        ) from None
    if normalize_name(meta["name"]) != normalize_name(name):
        raise BuildError(f"the sdist of {name} built a wheel of another project: {filename}")
    if version_key(meta["version"]) != version_key(version):
        raise BuildError(
            f"the sdist of {name} {version} built version {meta['version']} ({filename}); "
            "the lock and the sdist disagree"
        )
    if not tags_fit(meta["tags"], target["python"], target["os"], target["cpu"]):
        raise BuildError(
            f"the built wheel {filename} does not run on the target "
            f"{target['os']}_{target['cpu']} with CPython {target['python']}: this action "
            f"ran on a {platform.system().lower()} {platform.machine()} machine with Python "
            f"{platform.python_version()}. Give Bazel an execution platform (and a Python "
            "toolchain) that matches the target platform, e.g. a remote worker of that "
            "architecture, so the build runs there"
        )


def check_wheel_metadata(wheel: Path, name: str, version: str) -> None:
    """Raises BuildError unless the built wheel's .dist-info folder and METADATA name the
    package and version that were asked for (the file name alone is checked by check_wheel).
    """
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            dist_infos = top_dist_infos(names)
            if len(dist_infos) != 1:
                raise BuildError(
                    f"the built wheel {wheel.name} has {len(dist_infos)} top-level .dist-info "
                    f"folders ({dist_infos}); a wheel has exactly one"
                )
            metadata = f"{dist_infos[0]}/METADATA"
            if metadata not in names:
                raise BuildError(f"the built wheel {wheel.name} has no {metadata}")
            text = zf.read(metadata).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        raise BuildError(f"the built wheel {wheel.name} cannot be read: {e}") from None
    stem = dist_infos[0][: -len(".dist-info")]
    folder_name, _, folder_version = stem.rpartition("-")
    msg = email.parser.Parser().parsestr(text, headersonly=True)
    found = [
        (f"its folder {dist_infos[0]}", folder_name, folder_version),
        (f"its {metadata}", str(msg.get("Name", "")).strip(), str(msg.get("Version", "")).strip()),
    ]
    for where, got_name, got_version in found:
        if normalize_name(got_name) != normalize_name(name) or (
            version_key(got_version) != version_key(version)
        ):
            raise BuildError(
                f"the sdist of {name} {version} built {wheel.name}, but {where} says "
                f"{got_name or '(no name)'} {got_version or '(no version)'}; the lock and the "
                "sdist disagree"
            )


def _zip_time(epoch: int) -> tuple:
    import time

    t = time.gmtime(max(epoch, 315532800))
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def rewrite_wheel(source: Path, dest: Path, epoch: int) -> None:
    """Writes a byte-reproducible copy: sorted entries, fixed times and modes, sorted RECORD."""
    with zipfile.ZipFile(source) as zf:
        entries = {
            i.filename: (zf.read(i), i.external_attr >> 16) for i in zf.infolist() if not i.is_dir()
        }
    # The wheel's own .dist-info is at the top; packages may vendor others deeper down.
    top_dist_info = [n for n in entries if n.split("/")[0].endswith(".dist-info")]
    record_name = next(
        (n for n in top_dist_info if n.count("/") == 1 and n.endswith("/RECORD")), None
    )
    if record_name is None:
        raise BuildError(f"the built wheel {source.name} has no .dist-info/RECORD")
    rows = []
    for name, (data, _) in entries.items():
        if name == record_name:
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append((name, f"sha256={digest}", str(len(data))))
    rows.sort()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows + [(record_name, "", "")])
    entries[record_name] = (buf.getvalue().encode(), 0o644)

    date_time = _zip_time(epoch)
    # dist-info last, RECORD at the very end, as the wheel spec recommends.
    order = sorted(entries, key=lambda n: (n in top_dist_info, n == record_name, n))
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name in order:
            data, mode = entries[name]
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.external_attr = ((0o755 if mode & 0o111 else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            out.writestr(info, data)


# --- Main --------------------------------------------------------------------------------


def config_settings(pairs: list[str]) -> dict:
    """PEP 517 config_settings from KEY=VALUE pairs: a repeated key gives a list."""
    out: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BuildError(f"config setting {pair!r} is not KEY=VALUE")
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def build(args: argparse.Namespace) -> Path:
    """Runs the whole build; returns the wheel written into args.out_dir."""
    # The real path: compilers record it (not a symlinked TMPDIR), so the prefix map must too.
    work = Path(os.path.realpath(tempfile.mkdtemp(prefix="pyuv-sdist-")))
    sites: list[str] = []
    try:
        limits = UnpackLimits.from_args(
            {flag: getattr(args, flag[2:].replace("-", "_")) for flag, *_ in UNPACK_LIMITS},
            BuildError,
        )
        trees = [Path(t) for t in args.requirement_tree]
        trees += install_requirements(
            find_wheels(args.requirement_wheel), work / "requirements", limits
        )
        sites += [os.path.abspath(t / "site-packages") for t in trees]
        scripts = [os.path.abspath(t / "bin") for t in trees if (t / "bin").is_dir()]
        sys.path[0:0] = sites  # packaging and pyproject_hooks may come from there
        installed = installed_distributions([Path(s) for s in sites])

        if args.sdist:
            project = extract_sdist(Path(args.sdist), work / "src", limits)
        else:
            project = copy_sources(args.source, args.source_root, work / "src")
        if args.patch:
            try:
                apply_patches(project, args.patch, args.patch_strip, args.name)
            except PatchError as e:
                raise BuildError(f"its pre-build patches do not apply: {e}") from None
        requires, backend, backend_path = read_build_system(project)
        missing = missing_requirements(requires, installed)
        if missing:
            raise BuildError(_missing_message(missing, args.name))

        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHONPATH"))}
        env["PYTHONPATH"] = os.pathsep.join(sites)
        env["PATH"] = os.pathsep.join(scripts + [env.get("PATH", "")])
        # Keep the build directory's random path out of compiled objects.
        prefix_map = f"-ffile-prefix-map={work}=/build"
        for var in ("CFLAGS", "CXXFLAGS"):
            env[var] = (env.get(var, "") + " " + prefix_map).strip()
        env.setdefault("SOURCE_DATE_EPOCH", "315532800")
        env.setdefault("PYTHONHASHSEED", "0")
        hooks = _Backend(project, backend, backend_path, env, config_settings(args.config_setting))

        extra = hooks.call("get_requires_for_build_wheel") or []
        missing = missing_requirements(list(extra), installed)
        if missing:
            raise BuildError(_missing_message(missing, args.name))

        dist = work / "dist"
        dist.mkdir()
        hooks.call("build_wheel", str(dist))
        built = sorted(p.name for p in dist.iterdir())
        wheels = [n for n in built if n.endswith(".whl")]
        if len(wheels) != 1:
            raise BuildError(
                f"the backend was to build one wheel but produced {built or 'nothing'}"
            )
        target = {"os": args.target_os, "cpu": args.target_cpu, "python": args.target_python}
        check_wheel(wheels[0], args.name, args.version, target)
        check_wheel_metadata(dist / wheels[0], args.name, args.version)

        out_dir = Path(args.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        dest = out_dir / wheels[0]
        rewrite_wheel(dist / wheels[0], dest, int(env["SOURCE_DATE_EPOCH"]))
        return dest
    finally:
        sys.path[:] = [p for p in sys.path if p not in sites]
        shutil.rmtree(work, ignore_errors=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--sdist")
    source.add_argument("--source-root", help="a local project's folder (with --source)")
    p.add_argument("--source", action="append", default=[], help="a file of --source-root")
    p.add_argument("--name", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--target-os", required=True)
    p.add_argument("--target-cpu", required=True)
    p.add_argument("--target-python", required=True)
    p.add_argument("--interpreter-python", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument(
        "--requirement-tree",
        action="append",
        default=[],
        help="an installed build requirement: a folder with site-packages/ (and bin/)",
    )
    p.add_argument(
        "--requirement-wheel",
        action="append",
        default=[],
        help="a build requirement's wheel (or a folder of them), installed first",
    )
    p.add_argument(
        "--patch",
        action="append",
        default=[],
        help="a pre-build patch, applied to the unpacked sdist in the order given",
    )
    p.add_argument("--patch-strip", type=int, default=1, help="like patch -pN (default 1)")
    p.add_argument(
        "--config-setting",
        action="append",
        default=[],
        help="KEY=VALUE, a PEP 517 config setting for the backend (repeat a key for a list)",
    )
    for flag, env, default, what in UNPACK_LIMITS:
        p.add_argument(flag, help=f"most {what} (default: ${env}, else {default})")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    running = "{}.{}".format(*sys.version_info[:2])
    try:
        if running != args.target_python:
            raise BuildError(
                f"the interpreter toolchain resolved for this platform runs Python {running} "
                f"(declared {args.interpreter_python}) but the target Python is "
                f"{args.target_python}; register an interpreter of that version for the "
                "platform, or set the hub's python_version flag to match"
            )
        build(args)
    except WheelError as e:  # BuildError, or the wheel library's own
        print(
            f"rules_pyuv: building {args.name} {args.version} for {args.target_os}_"
            f"{args.target_cpu} (CPython {args.target_python}) from "
            f"{Path(args.sdist or args.source_root).name} "
            f"failed: {e}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
