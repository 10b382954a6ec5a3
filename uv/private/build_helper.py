"""Builds one wheel from an sdist inside a Bazel action (mnemonic PySdistBuild).

Runs on the execution platform that matches the target platform, with the interpreter
of that platform's Python toolchain. Uses only the standard library plus what the action
supplies: the wheels of the build requirements (from the lock), which are unpacked into
a private build environment. Nothing is downloaded and nothing is isolated with pip.

Steps:
  1. unpack the build requirements' wheels into a site directory;
  2. unpack the sdist safely (no absolute paths, no `..`, no links out of the tree,
     no device files);
  3. read [build-system] from pyproject.toml and check that the supplied wheels satisfy
     `requires` (and what the backend asks for on top);
  4. call the PEP 517 backend's build_wheel (through pyproject_hooks when it is among
     the build requirements, else through a small runner of our own);
  5. check that exactly one wheel with the expected name and version came out and that
     its tags run on the target platform and Python;
  6. rewrite it deterministically (sorted entries, fixed times and modes) into --out-dir.

Every archive (the sdist and the requirements' wheels) is unpacked by streaming, within the
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

_CHUNK = 1 << 20
# Longest symbolic link target an sdist may hold (Linux's PATH_MAX).
_MAX_LINK = 4096


class BuildError(Exception):
    """A failure the user can act on; its message says what and how to fix it."""


def normalize_name(name: str) -> str:
    """PEP 503 normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


# --- Size limits ---------------------------------------------------------------------------
# Kept identical in uv/private/build_helper.py and uv/private/whl_install.py (each helper is a
# standalone script); tests/test_unpack_limits.py checks that the two copies agree.

# What an archive may unpack to. A member or the whole archive beyond its cap is refused
# before anything is written, and so is an archive that inflates to more than RATIO times
# its own size (a decompression bomb; real wheels and sdists stay far below 20x), unless
# it unpacks to less than _RATIO_GRACE in all. Each default can be raised with an
# environment variable (passed to the actions with --action_env) or a command-line flag.
UNPACK_LIMITS = (
    # (flag, environment variable, default, what it bounds)
    ("--max-member-size", "RULES_PYUV_MAX_MEMBER_SIZE", "4G", "bytes of one unpacked member"),
    ("--max-unpacked-size", "RULES_PYUV_MAX_UNPACKED_SIZE", "16G", "bytes unpacked in all"),
    ("--max-unpack-ratio", "RULES_PYUV_MAX_UNPACK_RATIO", "200", "unpacked / archive size"),
)
_RATIO_GRACE = 64 << 20
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int | None:
    """`123`, `64M`, `4G` (binary units, an optional `iB`/`B`) as a number; None if invalid."""
    m = re.fullmatch(r"\s*([0-9]+)\s*([KkMmGgTt]?)(?:i?[Bb])?\s*", text)
    return int(m.group(1)) * _SIZE_UNITS[m.group(2).upper()] if m else None


class UnpackLimits:
    """The caps in force for one archive, with messages that say how to raise them."""

    def __init__(self, values: dict):
        self.member, self.total, self.ratio = (values[flag] for flag, *_ in UNPACK_LIMITS)

    @staticmethod
    def from_args(values: dict, error) -> UnpackLimits:
        """values maps each flag to its text (None: use the environment, then the default)."""
        parsed = {}
        for flag, env, default, _ in UNPACK_LIMITS:
            text, source = values.get(flag), flag
            if text is None:
                text, source = os.environ.get(env), env
            if text is None or text == "":
                text, source = default, "default"
            number = parse_size(text)
            if number is None or number <= 0:
                raise error(f"{source} = {text!r} is not a size such as 512M or 4G")
            parsed[flag] = number
        return UnpackLimits(parsed)

    def _raise(self, flag: str) -> str:
        env = next(e for f, e, *_ in UNPACK_LIMITS if f == flag)
        example = "2000" if flag == "--max-unpack-ratio" else "32G"
        return (
            f"if the archive is genuine, raise the limit with --action_env={env}={example} "
            "(see docs/sdist-builds.md)"
        )

    def check_member(self, archive: str, member: str, size: int, error) -> None:
        if size > self.member:
            raise error(
                f"{archive}: member {member!r} unpacks to {size} bytes, more than the "
                f"limit of {self.member} bytes per member; {self._raise('--max-member-size')}"
            )

    def total_allowed(self, archive_size: int) -> int:
        """How many bytes an archive of archive_size bytes may unpack to."""
        return min(self.total, max(self.ratio * archive_size, _RATIO_GRACE))

    def check_total(self, archive: str, archive_size: int, total: int, error) -> None:
        if total <= self.total_allowed(archive_size):
            return
        if total > self.total:
            why = f"more than the limit of {self.total} bytes"
            flag = "--max-unpacked-size"
        else:
            why = (
                f"over {self.ratio} times the archive's own {archive_size} bytes, as only "
                "a decompression bomb does"
            )
            flag = "--max-unpack-ratio"
        raise error(f"{archive}: unpacks to at least {total} bytes, {why}; {self._raise(flag)}")


# --- Safe archive extraction -------------------------------------------------------------


def _member_parts(archive: str, name: str) -> list[str]:
    """Checks a member name and returns its path components."""
    posix = name.replace("\\", "/")
    if "\0" in posix:
        raise BuildError(f"{archive}: member {name!r} has a NUL character in its name")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        raise BuildError(f"{archive}: member {name!r} has an absolute path")
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise BuildError(f"{archive}: member {name!r} leaves the archive's tree through '..'")
    if not parts:
        raise BuildError(f"{archive}: member {name!r} has an empty path")
    return parts


def _inside(root: Path, path: Path) -> bool:
    root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    return real == root or root in real.parents


def _write_file(archive: str, root: Path, parts: list[str], src, executable: bool):
    """Writes one member from the file object src in chunks (memory stays bounded)."""
    target = root.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Files are written before any link exists, so no write can pass through a link;
    # this guards against directories that were themselves replaced by a link.
    if not _inside(root, target.parent):
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
        if not _inside(root, path):
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


def _check_zip_sizes(name: str, size: int, infos: list, limits: UnpackLimits) -> None:
    """Refuses, before anything is written, a zip that would unpack beyond the caps.

    zipfile never inflates a member past the size its header declares, so the headers
    bound what is written.
    """
    total = 0
    for info in infos:
        limits.check_member(name, info.filename, info.file_size, BuildError)
        total += info.file_size
    limits.check_total(name, size, total, BuildError)


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
        _check_zip_sizes(name, archive.stat().st_size, infos, limits)
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


def install_wheel(
    wheel: Path, site: Path, scripts: Path, limits: UnpackLimits | None = None
) -> None:
    """Unpacks a wheel into site (purelib/platlib) for use as a build requirement."""
    limits = limits or UnpackLimits.from_args({}, BuildError)
    try:
        zf = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as e:
        raise BuildError(f"{wheel.name}: not a readable zip archive ({e})") from None
    with zf:
        files = [i for i in zf.infolist() if not i.is_dir()]
        _check_zip_sizes(wheel.name, wheel.stat().st_size, files, limits)
        for info in files:
            parts = _member_parts(wheel.name, info.filename)
            root, rest = site, parts
            if len(parts) > 2 and parts[0].endswith(".data"):
                scheme, rest = parts[1], parts[2:]
                if scheme in ("purelib", "platlib"):
                    root = site
                elif scheme == "scripts":
                    root = scripts
                else:
                    continue  # headers and data files are of no use to a build
            if _zip_kind(info) != "file":
                raise BuildError(f"{wheel.name}: member {info.filename!r} is not a regular file")
            mode = info.external_attr >> 16
            executable = bool(mode & 0o111) or root is scripts
            try:
                with zf.open(info) as src:
                    _write_file(wheel.name, root, rest, src, executable)
            except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                raise BuildError(
                    f"{wheel.name}: member {info.filename!r} cannot be read: {e}"
                ) from None


def installed_distributions(site: Path) -> dict[str, str]:
    """Maps normalized names to versions of the distributions unpacked into site."""
    found = {}
    for meta in site.glob("*.dist-info/METADATA"):
        msg = email.parser.Parser().parsestr(meta.read_text(encoding="utf-8", errors="replace"))
        if msg.get("Name"):
            found[normalize_name(msg["Name"])] = msg.get("Version", "")
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

    def both() -> bool:
        nonlocal pos
        result = atom()
        while peek() == "and":
            pos += 1
            result = atom() and result
        return result

    def either() -> bool:
        nonlocal pos
        result = both()
        while peek() == "or":
            pos += 1
            result = both() or result
        return result

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
module, _, obj = backend.partition(":")
target = importlib.import_module(module)
for attr in filter(None, obj.split(".")):
    target = getattr(target, attr)
fn = getattr(target, hook, None)
if hook == "get_requires_for_build_wheel":
    result = fn({}) if fn else []
else:
    result = fn(arg, {})
with open(out, "w") as f:
    json.dump(result, f)
"""


class _Backend:
    """Calls PEP 517 hooks in a subprocess with the build environment on sys.path."""

    def __init__(self, project: Path, backend: str, backend_path: list[str], env: dict):
        self.project = project
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
                    return caller.get_requires_for_build_wheel({})
                return caller.build_wheel(arg, {})
            except pyproject_hooks.BackendUnavailable as e:
                raise BuildError(f"cannot import the build backend {self.backend!r}: {e}") from None
            except pyproject_hooks.HookMissing as e:
                raise BuildError(f"the build backend {self.backend!r} has no hook {e}") from None
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.json")
            cmd = [sys.executable, "-c", _HOOK_RUNNER, hook, self.backend, out, arg]
            self._run(cmd, str(self.project))
            with open(out) as f:
                return json.load(f)


# --- Checking the result -----------------------------------------------------------------

_WHEEL_RE = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-(?P<build>\d[^-]*))?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$"
)

_PLATFORM_ARCHES = {
    ("linux", "x86_64"): ("x86_64",),
    ("linux", "aarch64"): ("aarch64",),
    ("macos", "x86_64"): ("x86_64", "intel", "fat64", "fat32", "universal2", "universal"),
    ("macos", "aarch64"): ("arm64", "universal2"),
}


def platform_fits(plat: str, os_name: str, cpu: str) -> bool:
    """Whether a wheel platform tag runs on the target os and cpu."""
    if plat == "any":
        return True
    if os_name == "windows":
        return plat == {"x86_64": "win_amd64", "aarch64": "win_arm64"}.get(cpu)
    arches = _PLATFORM_ARCHES.get((os_name, cpu), ())
    if os_name == "linux":
        return plat.startswith(("linux_", "manylinux", "musllinux")) and any(
            plat.endswith("_" + a) for a in arches
        )
    if os_name == "macos":
        return plat.startswith("macosx_") and any(plat.endswith("_" + a) for a in arches)
    return False


def python_fits(py: str, abi: str, python_version: str) -> bool:
    """Whether a wheel's python and abi tags run on CPython python_version ("3.11")."""
    major, minor = (int(x) for x in python_version.split("."))
    m = re.match(r"^(py|cp)(\d)(\d*)$", py)
    if not m or int(m.group(2)) != major:
        return False
    tag_minor = int(m.group(3)) if m.group(3) else None
    if m.group(1) == "py":
        return abi == "none" and (tag_minor is None or tag_minor <= minor)
    if abi == "abi3":
        return tag_minor is not None and tag_minor <= minor
    # Only the plain ABI of that version ("cp37m" before 3.8); not "t" (free-threaded) or "d".
    return tag_minor == minor and abi in ("none", f"cp{major}{minor}", f"cp{major}{minor}m")


def check_wheel(filename: str, name: str, version: str, target: dict) -> None:
    """Raises BuildError unless the built wheel is the expected one and fits the target."""
    m = _WHEEL_RE.match(filename)
    if not m:
        raise BuildError(f"the backend produced {filename!r}, which is not a wheel file name")
    if normalize_name(m["name"]) != normalize_name(name):
        raise BuildError(f"the sdist of {name} built a wheel of another project: {filename}")
    if version_key(m["version"]) != version_key(version):
        raise BuildError(
            f"the sdist of {name} {version} built version {m['version']} ({filename}); "
            "the lock and the sdist disagree"
        )
    fits = any(
        python_fits(py, abi, target["python"]) and platform_fits(plat, target["os"], target["cpu"])
        for py in m["py"].split(".")
        for abi in m["abi"].split(".")
        for plat in m["plat"].split(".")
    )
    if not fits:
        raise BuildError(
            f"the built wheel {filename} does not run on the target "
            f"{target['os']}_{target['cpu']} with CPython {target['python']}: this action "
            f"ran on a {platform.system().lower()} {platform.machine()} machine with Python "
            f"{platform.python_version()}. Give Bazel an execution platform (and a Python "
            "toolchain) that matches the target platform, e.g. a remote worker of that "
            "architecture, so the build runs there"
        )


# PEP 440's version grammar (with its normalisations: case, separators, spellings).
_PEP440 = re.compile(
    r"v?(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\.[0-9]+)*)"
    r"(?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?"
    r"(?:-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?"
    r"(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?"
)
_PRE_SPELLINGS = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}


def version_key(version: str):
    """Equal for versions that PEP 440 calls equal (1.0 == 1.0.0 == 1.0-0 == V1.0)."""
    text = version.strip().lower()
    m = _PEP440.fullmatch(text)
    if not m:
        return ("invalid", text)
    release = [int(x) for x in m["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre = None
    if m["pre_l"]:
        pre = (_PRE_SPELLINGS.get(m["pre_l"], m["pre_l"]), int(m["pre_n"] or 0))
    post = None
    if m["post_n1"] or m["post_l"]:
        post = int(m["post_n1"] or m["post_n2"] or 0)
    dev = int(m["dev_n"] or 0) if m["dev_l"] else None
    local = tuple(re.split(r"[-_.]", m["local"])) if m["local"] else ()
    local = tuple(int(p) if p.isdigit() else p for p in local)
    return (int(m["epoch"] or 0), tuple(release), pre, post, dev, local)


def check_wheel_metadata(wheel: Path, name: str, version: str) -> None:
    """Raises BuildError unless the built wheel's .dist-info folder and METADATA name the
    package and version that were asked for (the file name alone is checked by check_wheel).
    """
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            tops = sorted({n.split("/", 1)[0] for n in names if "/" in n})
            dist_infos = [t for t in tops if t.endswith(".dist-info")]
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


def build(args: argparse.Namespace) -> Path:
    """Runs the whole build; returns the wheel written into args.out_dir."""
    # The real path: compilers record it (not a symlinked TMPDIR), so the prefix map must too.
    work = Path(os.path.realpath(tempfile.mkdtemp(prefix="pyuv-sdist-")))
    try:
        site, scripts = work / "site", work / "bin"
        site.mkdir()
        scripts.mkdir()
        limits = UnpackLimits.from_args(
            {flag: getattr(args, flag[2:].replace("-", "_")) for flag, *_ in UNPACK_LIMITS},
            BuildError,
        )
        for wheel in find_wheels(args.requirement_wheel):
            install_wheel(wheel, site, scripts, limits)
        sys.path.insert(0, str(site))  # packaging and pyproject_hooks may come from there
        installed = installed_distributions(site)

        project = extract_sdist(Path(args.sdist), work / "src", limits)
        requires, backend, backend_path = read_build_system(project)
        missing = missing_requirements(requires, installed)
        if missing:
            raise BuildError(_missing_message(missing, args.name))

        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHONPATH"))}
        env["PYTHONPATH"] = str(site)
        env["PATH"] = os.pathsep.join([str(scripts), env.get("PATH", "")])
        # Keep the build directory's random path out of compiled objects.
        prefix_map = f"-ffile-prefix-map={work}=/build"
        for var in ("CFLAGS", "CXXFLAGS"):
            env[var] = (env.get(var, "") + " " + prefix_map).strip()
        env.setdefault("SOURCE_DATE_EPOCH", "315532800")
        env.setdefault("PYTHONHASHSEED", "0")
        hooks = _Backend(project, backend, backend_path, env)

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
        if str(work / "site") in sys.path:
            sys.path.remove(str(work / "site"))
        shutil.rmtree(work, ignore_errors=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sdist", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--target-os", required=True)
    p.add_argument("--target-cpu", required=True)
    p.add_argument("--target-python", required=True)
    p.add_argument("--interpreter-python", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--requirement-wheel", action="append", default=[])
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
    except BuildError as e:
        print(
            f"rules_pyuv: building {args.name} {args.version} for {args.target_os}_"
            f"{args.target_cpu} (CPython {args.target_python}) from {Path(args.sdist).name} "
            f"failed: {e}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
