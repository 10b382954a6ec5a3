"""The wheel library of rules_pyuv's action tools: one place for what a wheel is.

Imported by whl_install.py (PyWheelInstall) and build_helper.py (PySdistBuild), which find
it beside themselves (sys.path[0]); the rules pass it to their actions as an input next to
the tool (a py_action_tool in uv/private/BUILD.bazel). It holds:

- names and versions: PEP 503 normalisation, PEP 440 equality, wheel file names (PEP 427);
- tag fit: which python/abi/platform tags run on a CPython version and os x cpu;
- safe member paths and the size caps every archive is unpacked within;
- RECORD checks, and `install`, the one installer: a wheel into a tree

    DIR/site-packages/...     the wheel's root, .data/purelib and .data/platlib
    DIR/bin/<script>          .data/scripts (a `#!python` shebang becomes
                              `#!/usr/bin/env python3`; always executable)
    DIR/include/<dist>/...    .data/headers (<dist> as in the .dist-info folder's name)
    DIR/data/...              .data/data

Every member is checked against the wheel's RECORD (hash and size) while it is written;
anything unlisted, unsafe (absolute, `..`, links, duplicates, other file types) or
mismatching stops the install with a message naming the wheel and the member. Output is
deterministic: entries are written in sorted order with modes 0644/0755 and nothing is
compiled to .pyc.

The manifest `install` returns (JSON, sorted keys, for venv_tool.py):

    {"name": PEP 503 name, "version": METADATA version, "wheel": file name,
     "tags": expanded tags of the file name,
     "files": {"site-packages/pkg/__init__.py": "sha256=<urlsafe b64>", ...},
     "console_scripts": {"name": "module:attr"}, "gui_scripts": {...}}

`files` lists every installed file relative to DIR, with the digest of its installed bytes.

The only file added to the .dist-info folder is INSTALLER (`rules_pyuv`). RECORD is left as
the wheel has it, not rewritten for the installed layout: the tree is a read-only Bazel
output that no tool uninstalls or upgrades in place, the manifest already lists what was
installed, and keeping RECORD byte-identical keeps `importlib.metadata.files()` pointing at
the wheel's own site-packages files. A package's post-install patches (whl_install.py
--patch) change that only for what they touch: `refresh_after_patch` rewrites the RECORD
rows of the site-packages files a patch changed, added or deleted, and the manifest's
digests, so both describe the patched tree.

Standard library only. Runs on Python 3.8+ (the minimum of every action tool;
docs/sdist-builds.md).
"""

from __future__ import annotations

import base64
import configparser
import csv
import email.parser
import hashlib
import io
import json
import keyword
import os
import re
import stat
import zipfile
import zlib
from pathlib import Path

INSTALLER = b"rules_pyuv\n"
SHEBANG = b"#!/usr/bin/env python3\n"
ELF_MAGIC = b"\x7fELF"

# Hashes RECORD may use: sha256 or stronger (the wheel spec forbids md5 and sha1).
_RECORD_ALGORITHMS = (
    "sha256",
    "sha384",
    "sha512",
    "sha3_256",
    "sha3_384",
    "sha3_512",
    "blake2b",
    "blake2s",
)
_DATA_SCHEMES = ("purelib", "platlib", "scripts", "headers", "data")
# Signatures of RECORD, which RECORD cannot list with a hash.
_UNHASHED = ("RECORD", "RECORD.jws", "RECORD.p7s")

_WHEEL_RE = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-(?P<build>\d[^-]*))?"
    r"-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$"
)
# A distribution name as wheel file names and .dist-info folders spell it (PEP 427/491),
# and a version as they spell it: nothing that could be a path or an option.
_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?")
_VERSION_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._!+]*[A-Za-z0-9])?")
_DIST_INFO_RE = re.compile(r"(?P<name>[^-/]+)-(?P<version>[^-/]+)\.dist-info")
_CHUNK = 1 << 20


class WheelError(Exception):
    """A failure the user can act on; its message names the wheel (or archive) and what to do."""


def normalize_name(name: str) -> str:
    """PEP 503 normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


def record_digest(algorithm: str, digest: bytes) -> str:
    """A digest as RECORD writes it: `<algorithm>=<urlsafe base64 without padding>`."""
    return algorithm + "=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --- Size limits ---------------------------------------------------------------------------
# Shared by the wheel installer and the sdist builder; uv/private/unpack_limits.bzl maps the
# --action_env variables to these flags.

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


# --- Finding and reading the wheel ---------------------------------------------------------


def find_wheel(path: Path) -> Path:
    """The wheel file: PATH itself, or the only .whl in the folder PATH."""
    if path.is_dir():
        wheels = sorted(p for p in path.iterdir() if p.name.endswith(".whl"))
        if len(wheels) != 1:
            found = sorted(p.name for p in path.iterdir())
            raise WheelError(
                f"{path}: expected a folder holding exactly one .whl file, found "
                f"{found or 'nothing'}; the sdist build (or the wheel label) must produce "
                "one wheel"
            )
        return wheels[0]
    if not path.is_file():
        raise WheelError(f"{path}: no such wheel file")
    if not path.name.endswith(".whl"):
        raise WheelError(f"{path.name}: not a wheel (the file name must end in .whl)")
    return path


def parse_filename(filename: str) -> dict:
    """Name, version and expanded tags of a wheel file name."""
    m = _WHEEL_RE.match(filename)
    if not m:
        raise WheelError(
            f"{filename}: not a valid wheel file name "
            "(<name>-<version>[-<build>]-<python>-<abi>-<platform>.whl)"
        )
    if not _NAME_RE.fullmatch(m["name"]) or not _VERSION_RE.fullmatch(m["version"]):
        raise WheelError(
            f"{filename}: the file name's project name {m['name']!r} or version "
            f"{m['version']!r} is not valid (PEP 427); the wheel is refused"
        )
    tags = [
        f"{py}-{abi}-{plat}"
        for py in m["py"].split(".")
        for abi in m["abi"].split(".")
        for plat in m["plat"].split(".")
    ]
    return {"name": m["name"], "version": m["version"], "build": m["build"] or "", "tags": tags}


def member_parts(archive: str, name: str, strict: bool = True, error=WheelError) -> list[str]:
    """Checks an archive member's name and returns its path components.

    Nothing absolute, through `..` or with a NUL is ever accepted. strict (wheels, whose
    RECORD names members exactly): no backslash and no empty or `.` component either;
    otherwise (sdists, as tar and zip tools write them) a backslash is a separator and
    empty and `.` components are dropped.
    """
    if "\0" in name:
        raise error(f"{archive}: member {name!r} has a NUL character in its name")
    if strict and "\\" in name:
        raise error(f"{archive}: member {name!r} has a backslash in its path; wheel paths use '/'")
    posix = name.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        raise error(f"{archive}: member {name!r} has an absolute path")
    parts = posix.rstrip("/").split("/") if strict else posix.split("/")
    if ".." in parts:
        raise error(f"{archive}: member {name!r} leaves the archive's tree through '..'")
    if strict and any(p in ("", ".") for p in parts):
        raise error(f"{archive}: member {name!r} has an empty or '.' path component")
    parts = [p for p in parts if p not in ("", ".")]
    if not parts:
        raise error(f"{archive}: member {name!r} has an empty path")
    return parts


def check_member_type(wheel: str, info: zipfile.ZipInfo) -> None:
    """Only regular files and folders: no links, devices or other special files."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise WheelError(
            f"{wheel}: member {info.filename!r} is a symbolic link; wheels hold only regular "
            "files, so this wheel is refused"
        )
    allowed = (0, stat.S_IFDIR) if info.is_dir() else (0, stat.S_IFREG)
    if kind not in allowed:
        raise WheelError(f"{wheel}: member {info.filename!r} is not a regular file")


def top_dist_infos(names: list[str]) -> list[str]:
    """The top-level .dist-info folders among a wheel's member names, sorted."""
    tops = sorted({n.split("/", 1)[0] for n in names if "/" in n})
    return [t for t in tops if t.endswith(".dist-info")]


def find_dist_info(wheel: str, names: list[str], dist_name: str, dist_version: str) -> str:
    """The wheel's one top-level .dist-info folder, named for the file name's project."""
    dist_infos = top_dist_infos(names)
    if len(dist_infos) != 1:
        raise WheelError(
            f"{wheel}: expected exactly one top-level .dist-info folder, found "
            f"{dist_infos or 'none'}"
        )
    m = _DIST_INFO_RE.fullmatch(dist_infos[0])
    if not m or not _NAME_RE.fullmatch(m["name"]) or not _VERSION_RE.fullmatch(m["version"]):
        raise WheelError(
            f"{wheel}: its metadata folder {dist_infos[0]!r} is not named "
            "<name>-<version>.dist-info with a valid name and version; the wheel is refused"
        )
    if normalize_name(m["name"]) != normalize_name(dist_name):
        raise WheelError(
            f"{wheel}: its metadata folder {dist_infos[0]!r} is for another project than the "
            "file name says"
        )
    if version_key(m["version"]) != version_key(dist_version):
        raise WheelError(
            f"{wheel}: its metadata folder {dist_infos[0]!r} is for version {m['version']}, "
            f"but the file name says {dist_version}; the wheel was renamed or is corrupt"
        )
    return dist_infos[0]


def read_record(wheel: str, zf: zipfile.ZipFile, dist_info: str) -> dict[str, tuple[str, str]]:
    """Maps each path RECORD lists to its (hash, size) fields."""
    record_name = f"{dist_info}/RECORD"
    try:
        text = zf.read(record_name).decode("utf-8")
    except KeyError:
        raise WheelError(
            f"{wheel}: has no {record_name}, so its files cannot be verified; rebuild the "
            "wheel with a standard build backend"
        ) from None
    except UnicodeDecodeError:
        raise WheelError(f"{wheel}: {record_name} is not UTF-8") from None
    rows: dict[str, tuple[str, str]] = {}
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0]:
            continue
        if len(row) > 3:
            raise WheelError(f"{wheel}: {record_name} has a malformed row {row!r}")
        path, digest, size = (row + ["", ""])[:3]
        if path in rows and rows[path] != (digest, size):
            raise WheelError(f"{wheel}: {record_name} lists {path!r} twice, differently")
        rows[path] = (digest, size)
    return rows


def expected_hash(wheel: str, path: str, record: dict) -> tuple[str, str, int | None]:
    """(algorithm, urlsafe digest, size or None) that RECORD promises for a member."""
    if path not in record:
        raise WheelError(
            f"{wheel}: member {path!r} is not listed in RECORD; the wheel was modified after "
            "it was built (or built by a broken tool) and is refused"
        )
    digest, size = record[path]
    algorithm, _, value = digest.partition("=")
    if not value:
        raise WheelError(f"{wheel}: RECORD has no hash for {path!r}")
    if algorithm not in _RECORD_ALGORITHMS:
        raise WheelError(
            f"{wheel}: RECORD hashes {path!r} with {algorithm!r}; sha256 or stronger is required"
        )
    if size and not re.fullmatch(r"[0-9]+", size):  # not isdigit(): it accepts "²"
        raise WheelError(f"{wheel}: RECORD gives {path!r} the invalid size {size!r}")
    return algorithm, value.rstrip("="), int(size) if size else None


def read_metadata(wheel: str, zf: zipfile.ZipFile, dist_info: str) -> tuple[str, str]:
    """(Name, Version) from METADATA."""
    try:
        text = zf.read(f"{dist_info}/METADATA").decode("utf-8", errors="replace")
    except KeyError:
        raise WheelError(f"{wheel}: has no {dist_info}/METADATA") from None
    msg = email.parser.Parser().parsestr(text, headersonly=True)
    name, version = msg.get("Name"), msg.get("Version")
    if not name or not version:
        raise WheelError(f"{wheel}: {dist_info}/METADATA lacks Name or Version")
    return str(name).strip(), str(version).strip()


def check_wheel_version(wheel: str, zf: zipfile.ZipFile, dist_info: str) -> None:
    """Refuses wheels of a format this installer does not know (Wheel-Version 2+)."""
    try:
        text = zf.read(f"{dist_info}/WHEEL").decode("utf-8", errors="replace")
    except KeyError:
        raise WheelError(f"{wheel}: has no {dist_info}/WHEEL") from None
    msg = email.parser.Parser().parsestr(text, headersonly=True)
    version = str(msg.get("Wheel-Version", "")).strip()
    if not re.match(r"^1(\.\d+)*$", version):
        raise WheelError(
            f"{wheel}: has Wheel-Version {version or '(none)'}; only 1.x wheels can be installed"
        )


# --- Entry points --------------------------------------------------------------------------


def parse_object_ref(value: str) -> tuple[str, str] | None:
    """(module, attr) of `module:attr [extras]`, or None when malformed."""
    value = re.sub(r"\[[^\]]*\]\s*$", "", value).strip()
    module, sep, attr = (s.strip() for s in value.partition(":"))

    def dotted(text: str) -> bool:
        return bool(text) and all(
            p.isidentifier() and not keyword.iskeyword(p) for p in text.split(".")
        )

    if not sep or not dotted(module) or not dotted(attr):
        return None
    return module, attr


def script_name_ok(name: str) -> bool:
    """Whether an entry point name can be a file name in bin/."""
    return (
        bool(name)
        and name not in (".", "..")
        and not any(c in name for c in "/\\\0\n\r")
        and name == name.strip()
    )


def read_entry_points(wheel: str, data: bytes | None) -> dict[str, dict[str, str]]:
    """console_scripts and gui_scripts of entry_points.txt, as {name: "module:attr"}."""
    scripts: dict[str, dict[str, str]] = {"console_scripts": {}, "gui_scripts": {}}
    if data is None:
        return scripts
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # entry point names are case-sensitive
    try:
        parser.read_string(data.decode("utf-8"))
    except (configparser.Error, UnicodeDecodeError) as e:
        raise WheelError(f"{wheel}: entry_points.txt cannot be read: {e}") from None
    for group in scripts:
        if not parser.has_section(group):
            continue
        for name, value in parser.items(group):
            ref = parse_object_ref(value)
            if not script_name_ok(name) or ref is None:
                raise WheelError(
                    f"{wheel}: entry_points.txt [{group}] has the invalid entry "
                    f"{name!r} = {value!r}; a script needs a plain file name and a "
                    "'module:function' reference"
                )
            scripts[group][name] = "{}:{}".format(*ref)
    return scripts


# --- Tag fit -------------------------------------------------------------------------------
# Which wheel tags run where: the rule of packaging.tags for a (non-debug, GIL) CPython
# (tests/test_wheel_library.py checks it against packaging), plus the platform tags of the
# os x cpu pairs rules_pyuv targets.


def python_fits(py: str, abi: str, python_version: str) -> bool:
    """Whether a wheel's python and abi tags run on CPython python_version ("3.11").

    As packaging.tags has it: `py3`/`py3X` (X <= minor) need abi `none`; `cp3X-abi3` runs
    on every minor from X (>= 2) on; any other `cp` tag must be that minor exactly, with abi
    `none` or the interpreter's own (`cp311`; `cp37m` before 3.8; not `d` or `t` builds).
    Other implementations' tags (pp, graalpy, ...) never fit.
    """
    major, minor = (int(x) for x in python_version.split(".")[:2])
    m = re.fullmatch(r"(py|cp)(\d)(\d*)", py)
    if not m or int(m.group(2)) != major:
        return False
    tag_minor = int(m.group(3)) if m.group(3) else None
    if m.group(1) == "py":
        return abi == "none" and (tag_minor is None or tag_minor <= minor)
    if abi == "abi3":
        return tag_minor is not None and 2 <= tag_minor <= minor
    own = f"cp{major}{minor}" + ("m" if (major, minor) < (3, 8) else "")
    return tag_minor == minor and abi in ("none", own)


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


def tags_fit(tags: list[str], python_version: str, os_name: str = "", cpu: str = "") -> bool:
    """Whether any of a wheel's expanded tags runs on CPython python_version (and, when
    os_name and cpu are given, on that platform)."""
    for tag in tags:
        py, abi, plat = tag.split("-")
        if python_fits(py, abi, python_version) and (
            not os_name or platform_fits(plat, os_name, cpu)
        ):
            return True
    return False


def check_python(wheel: str, tags: list[str], python_version: str) -> None:
    """Refuses a wheel none of whose tags runs on the given CPython version."""
    if not re.match(r"^\d+\.\d+(\.\d+)?$", python_version):
        raise WheelError(f"--python-version {python_version!r} is not like '3.11'")
    if tags_fit(tags, python_version):
        return
    raise WheelError(
        f"{wheel}: built for {sorted({t.split('-')[0] + '-' + t.split('-')[1] for t in tags})}, "
        f"which cannot run on CPython {python_version}; the lock's wheel and the interpreter "
        "toolchain disagree (set the hub's python_version to the toolchain's version)"
    )


# --- Installing ----------------------------------------------------------------------------


def destination(wheel: str, parts: list[str], data_dir: str, dist: str) -> tuple[str, str]:
    """(path relative to DIR, kind) where a member is installed; kind is 'script' or 'file'."""
    if parts[0] != data_dir:
        return "/".join(["site-packages"] + parts), "file"
    if len(parts) < 3 or parts[1] not in _DATA_SCHEMES:
        raise WheelError(
            f"{wheel}: member {'/'.join(parts)!r} is not in a known .data scheme "
            f"({', '.join(_DATA_SCHEMES)})"
        )
    scheme, rest = parts[1], parts[2:]
    if scheme in ("purelib", "platlib"):
        return "/".join(["site-packages"] + rest), "file"
    if scheme == "scripts":
        return "/".join(["bin"] + rest), "script"
    if scheme == "headers":
        return "/".join(["include", dist] + rest), "file"
    return "/".join(["data"] + rest), "file"


def rewrite_shebang(data: bytes) -> bytes:
    """`#!python...` (the wheel spec's placeholder) becomes `#!/usr/bin/env python3`.

    Like pip, the whole first line is replaced, arguments included.
    """
    if not data.startswith(b"#!python"):
        return data
    end = data.find(b"\n")
    return SHEBANG + (b"" if end < 0 else data[end + 1 :])


def inside(root: Path, path: Path) -> bool:
    root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    return real == root or root in real.parents


def _check_tree_shape(wheel: str, plan: dict) -> None:
    """No installed path may be both a file and a folder (e.g. `x` and `x/y`)."""
    folders = {}
    for dest, (member, *_) in plan.items():
        parts = dest.split("/")
        for i in range(1, len(parts)):
            folders.setdefault("/".join(parts[:i]), member)
    for dest, (member, *_) in sorted(plan.items()):
        if dest in folders:
            raise WheelError(
                f"{wheel}: member {member!r} installs the file {dest!r}, but member "
                f"{folders[dest]!r} needs a folder there"
            )


def _target(wheel: str, out: Path, dest: str, member: str, made: set | None = None) -> Path:
    """The file to write for dest, with its folder created and checked to be inside out.

    made, when given, holds the folders (dest prefixes) this install has created: each
    is made one level at a time with os.mkdir and must then be a real folder (lstat), not
    a link, so a folder whose every level was checked that way lies inside out. A big
    wheel has thousands of files in hundreds of folders; this costs one mkdir and one
    chmod per folder, where resolving each path (realpath) costs a system call per
    component. Folders get mode 0755 here, whatever the umask.
    """
    target = out.joinpath(*dest.split("/"))
    folder = dest.rpartition("/")[0]
    if made is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not inside(out, target.parent):
            raise WheelError(f"{wheel}: member {member!r} would be written outside the tree")
        return target
    if folder in made:
        return target
    parts = folder.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if prefix in made:
            continue
        path = os.path.join(out, *parts[:i])
        try:
            os.mkdir(path, 0o755)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise WheelError(
                    f"{wheel}: member {member!r} would be written outside the tree"
                ) from None
        os.chmod(path, 0o755)
        made.add(prefix)
    return target


def _copy(
    wheel: str, zf, info, target: Path, kind: str, algorithm: str, mode: int
) -> tuple[str, str, int, bytes]:
    """Writes one member; returns (its digest with algorithm, installed sha256, size, head).

    Streams in chunks, so memory stays bounded whatever the member's size; zipfile never
    inflates past the size the member's header declares, which the caps already checked.
    head is the member's first bytes (up to 16), which tell an ELF file. The file is
    created with its final mode (fchmod, so the umask cannot narrow it), unbuffered: each
    chunk is one write. When RECORD uses sha256 and the bytes are installed unchanged
    (anything but a script), one hash serves both digests.
    """
    checker = hashlib.new(algorithm)
    same = algorithm == "sha256" and kind != "script"
    sha256 = checker if same else hashlib.sha256()
    size, head = 0, b""

    def chunks(src):
        """(bytes read, bytes to write) pairs; a `#!python` first line is rewritten."""
        if kind == "script":
            head = src.readline(_CHUNK)
            if head.startswith(b"#!python"):
                yield head, SHEBANG
                while not head.endswith(b"\n"):  # the rest of a very long first line
                    head = src.readline(_CHUNK)
                    if not head:
                        break
                    yield head, b""
            else:
                yield head, head
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            yield chunk, chunk

    try:
        with zf.open(info) as src, open(target, "xb", buffering=0) as dst:
            os.fchmod(dst.fileno(), mode)
            for read, written in chunks(src):
                if len(head) < 16:
                    head += read[: 16 - len(head)]
                checker.update(read)
                size += len(read)
                if not same:
                    sha256.update(written)
                view = memoryview(written)
                while view:  # an unbuffered write may write less than asked
                    view = view[dst.write(view) :]
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise WheelError(f"{wheel}: member {info.filename!r} cannot be read: {e}") from None
    except FileExistsError:  # the plan refuses collisions; this is a last line of defence
        raise WheelError(
            f"{wheel}: member {info.filename!r} would overwrite a file another member "
            "installed; the wheel is refused"
        ) from None
    digest = checker.digest()
    checked = record_digest(algorithm, digest).partition("=")[2]
    installed = record_digest("sha256", digest if same else sha256.digest())
    return checked, installed, size, head


def write_member(
    wheel: str,
    zf,
    info,
    out: Path,
    dest: str,
    kind: str,
    record,
    made: set | None = None,
    elf: list | None = None,
) -> str:
    """Copies one member to out/dest, verified against RECORD; returns its installed sha256.

    record is None for the members RECORD cannot hash (RECORD and its signatures); made
    is the install's set of folders already created (see _target). elf, when given,
    gets (member name, installed file) for a member of 16 bytes or more that starts like
    an ELF file, so the libc audit reads it from the tree instead of inflating it again.
    """
    if record is None:
        algorithm, want, size = "sha256", None, None
    else:
        algorithm, want, size = expected_hash(wheel, info.filename, record)
        if size is not None and info.file_size != size:
            # Checked before decompressing: the zip header bounds what is read.
            raise WheelError(
                f"{wheel}: member {info.filename!r} is {info.file_size} bytes but RECORD says "
                f"{size}; the wheel is corrupt or was tampered with, fetch or build it again"
            )
    target = _target(wheel, out, dest, info.filename, made)
    executable = kind == "script" or bool((info.external_attr >> 16) & 0o111)
    got, installed, written, head = _copy(
        wheel, zf, info, target, kind, algorithm, 0o755 if executable else 0o644
    )
    if want is not None and (got != want or (size is not None and written != size)):
        raise WheelError(
            f"{wheel}: member {info.filename!r} does not match RECORD ({algorithm} {got}, "
            f"{written} bytes; RECORD says {want}, {size} bytes); the wheel is corrupt or was "
            "tampered with, fetch or build it again"
        )
    if elf is not None and written >= 16 and head[:4] == ELF_MAGIC:
        elf.append((info.filename, target))
    return installed


def plan_install(wheel: str, files: list, dist_info: str, record: dict) -> dict:
    """Maps each installed path (relative to DIR) to (member name, kind, ZipInfo, hashed)."""
    data_dir = dist_info[: -len(".dist-info")] + ".data"
    dist = dist_info[: -len(".dist-info")].rsplit("-", 1)[0]
    plan: dict[str, tuple] = {}
    for info in files:
        parts = member_parts(wheel, info.filename)
        in_dist_info = len(parts) == 2 and parts[0] == dist_info
        if in_dist_info and parts[1] == "INSTALLER":
            expected_hash(wheel, info.filename, record)
            continue  # replaced by ours
        dest, kind = destination(wheel, parts, data_dir, dist)
        if dest in plan:
            raise WheelError(
                f"{wheel}: members {plan[dest][0]!r} and {info.filename!r} both install {dest!r}"
            )
        plan[dest] = (info.filename, kind, info, not (in_dist_info and parts[1] in _UNHASHED))
    installer = f"site-packages/{dist_info}/INSTALLER"
    if installer in plan:
        raise WheelError(
            f"{wheel}: member {plan[installer][0]!r} installs {installer!r}, which the "
            "installer writes itself; the wheel is refused"
        )
    plan[installer] = ("(INSTALLER)", "installer", None, False)
    _check_tree_shape(wheel, plan)
    return plan


def check_sizes(
    wheel: str, archive_size: int, files: list, limits: UnpackLimits, error=WheelError
) -> None:
    """Refuses, before anything is written, a zip archive that would unpack beyond the caps.

    zipfile never inflates a member past the size its header declares, so the headers
    bound what is written.
    """
    total = 0
    for info in files:
        limits.check_member(wheel, info.filename, info.file_size, error)
        total += info.file_size
    limits.check_total(wheel, archive_size, total, error)


def write_manifest(manifest: dict, path: Path) -> None:
    """Writes an install manifest as JSON with sorted keys (what venv_tool.py reads)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


def install(
    wheel_path: Path,
    out: Path,
    python_version: str | None = None,
    limits: UnpackLimits | None = None,
    package: str | None = None,
    elf: list | None = None,
) -> dict:
    """Installs the wheel into out; returns the manifest.

    elf, when given, gets (member name, installed file) of every ELF member, in the
    order of the member names (see write_member).
    """
    wheel = wheel_path.name
    meta = parse_filename(wheel)
    if package is not None and normalize_name(meta["name"]) != normalize_name(package):
        raise WheelError(f"{wheel}: is not a wheel of {package} (its file name says so)")
    limits = limits or UnpackLimits.from_args({}, WheelError)
    if python_version:
        check_python(wheel, meta["tags"], python_version)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise WheelError(f"{out}: --out-dir must be an empty folder")
    try:
        zf = zipfile.ZipFile(wheel_path)
    except (zipfile.BadZipFile, OSError) as e:
        raise WheelError(f"{wheel}: not a readable zip archive ({e})") from None
    with zf:
        infos = zf.infolist()
        seen = set()
        for info in infos:
            if info.filename in seen:
                raise WheelError(
                    f"{wheel}: member {info.filename!r} appears twice in the archive; "
                    "which copy wins is ambiguous, so the wheel is refused"
                )
            seen.add(info.filename)
            member_parts(wheel, info.filename)
            check_member_type(wheel, info)
        files = [i for i in infos if not i.is_dir()]
        check_sizes(wheel, wheel_path.stat().st_size, files, limits)
        dist_info = find_dist_info(
            wheel, [i.filename for i in files], meta["name"], meta["version"]
        )
        record = read_record(wheel, zf, dist_info)
        check_wheel_version(wheel, zf, dist_info)
        name, version = read_metadata(wheel, zf, dist_info)
        if normalize_name(name) != normalize_name(meta["name"]):
            raise WheelError(f"{wheel}: its METADATA names another project, {name!r}")
        if version_key(version) != version_key(meta["version"]):
            raise WheelError(
                f"{wheel}: its METADATA gives version {version!r}, but the file name says "
                f"{meta['version']}; the wheel was renamed or is corrupt"
            )
        names = {i.filename for i in files}
        for path, (digest, _) in sorted(record.items()):
            if digest and path not in names:
                raise WheelError(
                    f"{wheel}: RECORD lists {path!r}, which the wheel does not contain; the "
                    "wheel is incomplete, fetch or build it again"
                )
        plan = plan_install(wheel, files, dist_info, record)

        out.mkdir(parents=True, exist_ok=True)
        digests = {}
        made: set[str] = set()
        for dest in sorted(plan):
            member, kind, info, hashed = plan[dest]
            if kind == "installer":
                target = _target(wheel, out, dest, member, made)
                target.write_bytes(INSTALLER)
                target.chmod(0o644)
                digests[dest] = record_digest("sha256", hashlib.sha256(INSTALLER).digest())
            else:
                digests[dest] = write_member(
                    wheel, zf, info, out, dest, kind, record if hashed else None, made, elf
                )
        entry_points_name = f"{dist_info}/entry_points.txt"
        entry_points = zf.read(entry_points_name) if entry_points_name in names else None

    os.chmod(out, 0o755)  # its folders got 0755 as _target made them
    if elf is not None:
        elf.sort()
    scripts = read_entry_points(wheel, entry_points)
    return {
        "name": normalize_name(name),
        "version": version,
        "wheel": wheel,
        "tags": meta["tags"],
        "files": digests,
        "console_scripts": scripts["console_scripts"],
        "gui_scripts": scripts["gui_scripts"],
    }


def _tree_digests(out: Path) -> dict[str, str]:
    """Every regular file under out (relative, "/"-separated) -> its sha256 RECORD digest."""
    digests = {}
    for folder, dirs, files in os.walk(out):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, out).replace(os.sep, "/")
            with open(path, "rb") as f:
                digests[rel] = record_digest("sha256", hashlib.sha256(f.read()).digest())
    return digests


def refresh_after_patch(out: Path, manifest: dict) -> dict:
    """Brings the manifest and the .dist-info RECORD in line with a tree patches changed.

    RECORD rows are rewritten only for site-packages files whose bytes changed (new hash
    and size), that appeared (a row added) or that went away (the row dropped); every
    other row stays byte-identical. Returns the updated manifest.
    """
    before = manifest["files"]
    after = _tree_digests(out)
    changed = {rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel)}
    records = sorted(
        rel
        for rel in after
        if rel.startswith("site-packages/")
        and rel.count("/") == 2
        and rel.split("/")[1].endswith(".dist-info")
        and rel.endswith("/RECORD")
    )
    touched = sorted(
        rel[len("site-packages/") :] for rel in changed if rel.startswith("site-packages/")
    )
    if records and touched:
        record_rel = records[0]
        record_path = out / record_rel
        own = record_rel[len("site-packages/") :]
        text = record_path.read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        listed = {row[0] for row in rows if row}
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for row in rows:
            if not row:
                continue
            name = row[0]
            if name in touched and name != own:
                if f"site-packages/{name}" not in after:
                    continue  # deleted by a patch
                size = (out / "site-packages" / name).stat().st_size
                row = [name, after[f"site-packages/{name}"], str(size)]
            writer.writerow(row)
        for name in touched:
            if name not in listed and name != own and f"site-packages/{name}" in after:
                size = (out / "site-packages" / name).stat().st_size
                writer.writerow([name, after[f"site-packages/{name}"], str(size)])
        record_path.write_text(buf.getvalue(), encoding="utf-8")
        after[record_rel] = record_digest(
            "sha256", hashlib.sha256(record_path.read_bytes()).digest()
        )
    updated = dict(manifest)
    updated["files"] = after
    return updated
