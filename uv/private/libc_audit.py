"""Checks the ELF files of wheels against a target's libc and cpu (mnemonic PyLibcAudit).

    python libc_audit.py --os linux --cpu x86_64 --libc glibc --libc-version 2.28
                         [--package NAME] [--built] [--explain] [--json FILE] PATH [PATH ...]

PATH is a .whl file, a single ELF file or a folder (an installed tree such as
whl_install.py's output, or an unpacked wheel). Every regular file that starts with the
ELF magic is read (symbolic links are not followed); for a wheel, only such members are
extracted, to a temporary file.

What is read, with the standard library only (ELF32/ELF64, little and big endian)
  * e_machine, class and byte order: the architecture the file is built for;
  * the program headers: PT_INTERP (the dynamic loader) and PT_DYNAMIC, whose DT_NEEDED
    names the libraries the file links (libc.so.6 / ld-linux-*: glibc; libc.musl-*.so.1,
    ld-musl-* or musl's bare libc.so: musl);
  * DT_VERNEED (.gnu.version_r): the symbol versions needed from each library. GLIBC_x.y
    entries say which glibc the file needs at least; with the section headers present,
    .dynsym and .gnu.version also name the symbols that need each version.

What fails (exit status 1, one message per problem, each naming the package, the wheel or
tree, the file inside it, what it needs, what the target has and how to fix it)
  * a file needing a GLIBC_x.y newer than the target's --libc-version (glibc targets);
  * a file needing GLIBC_PRIVATE, which only the glibc build it was linked with provides;
  * a dynamically linked file for the other libc flavour (glibc vs musl);
  * a dynamically linked file for another architecture than --cpu (or another class or
    byte order, e.g. x32 on x86_64).
musl has no symbol versions, so for musl targets only the flavour and the architecture
are checked. Targets other than linux (macos, windows) have nothing to check: the tool
lists what it found and succeeds.

Not failures, only listed: statically linked files for another architecture (firmware and
test data that packages ship without loading them), relocatable objects (.o), and files
that start with the ELF magic but cannot be parsed (reported as warnings on stderr).

--explain prints, per file, the architecture, libc flavour, needed libraries and the
newest GLIBC version it needs. --json FILE writes the same facts plus the problems as JSON
(sorted keys), e.g. for `bazel run @<hub>//:explain`. Output never depends on time or on
the order of files in the archive.

Exit status: 0 no problem, 1 problems (or an unreadable input), 2 bad usage. Runs on
Python 3.8+ (the minimum of every action tool; docs/sdist-builds.md).

Python API: `read_elf()` parses one file object, `scan()` collects the ELF files of wheels
and trees, `Target` describes the target, `check()` returns the problems, `audit()` does
both, `format_explain()` renders the listing and `AuditError` is raised for bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = [
    "AuditError",
    "ElfError",
    "ElfFile",
    "ElfInfo",
    "Problem",
    "Report",
    "Target",
    "audit",
    "check",
    "format_explain",
    "main",
    "read_elf",
    "scan",
]

ELF_MAGIC = b"\x7fELF"

# glibc versions a platform can name as @rules_pyuv//uv/constraints:glibc_X_Y; must equal
# GLIBC_VERSIONS in uv/private/target_envs.bzl (tests/test_libc_audit.py checks it).
GLIBC_CONSTRAINTS = ["2.17", "2.28", "2.31", "2.34", "2.35", "2.36", "2.39"]

# e_machine values (ELF gABI / processor supplements) and the names messages use.
_MACHINES = {
    3: "i386",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390",
    40: "arm",
    62: "x86_64",
    183: "aarch64",
    243: "riscv",
    258: "loongarch",
}
# A target cpu (Bazel's @platforms//cpu names and common aliases) -> (e_machine, ELF
# class, byte order) its loadable files have.
_CPUS = {
    "x86_64": (62, 64, "little"),
    "amd64": (62, 64, "little"),
    "aarch64": (183, 64, "little"),
    "arm64": (183, 64, "little"),
    "i386": (3, 32, "little"),
    "i686": (3, 32, "little"),
    "x86_32": (3, 32, "little"),
    "armv7": (40, 32, "little"),
    "armv7l": (40, 32, "little"),
    "arm": (40, 32, "little"),
    "ppc64le": (21, 64, "little"),
    "ppc64": (21, 64, "big"),
    "s390x": (22, 64, "big"),
    "riscv64": (243, 64, "little"),
    "loongarch64": (258, 64, "little"),
}

_PT_DYNAMIC, _PT_INTERP, _PT_LOAD = 2, 3, 1
_DT_NEEDED, _DT_STRTAB, _DT_SYMTAB, _DT_STRSZ, _DT_SONAME = 1, 5, 6, 10, 14
_DT_HASH, _DT_VERSYM, _DT_VERNEED, _DT_VERNEEDNUM = 4, 0x6FFFFFF0, 0x6FFFFFFE, 0x6FFFFFFF
_SHT_DYNSYM = 11
_ET_NAMES = {1: "relocatable", 2: "executable", 3: "shared object", 4: "core"}
# Bounds on counts read from untrusted headers: far above real files, low enough that a
# crafted header cannot make the reader loop or allocate without end.
_MAX_ENTRIES = 1 << 20
_MAX_SYMBOLS = 1 << 22
_GLIBC_RE = re.compile(r"^GLIBC_(\d+(?:\.\d+)+)$")


class ElfError(Exception):
    """A file that starts like ELF but whose headers are not consistent."""


class AuditError(Exception):
    """Bad input to the tool itself (a missing path, an unknown target); str() is the message."""


# --- ELF -----------------------------------------------------------------------------------


class ElfInfo:
    """What one ELF file needs. Versions are strings such as "GLIBC_2.17"."""

    def __init__(self):
        self.elf_class = 0  # 32 or 64
        self.endian = ""  # "little" or "big"
        self.machine = 0  # e_machine
        self.type = 0  # e_type
        self.interp = ""  # PT_INTERP
        self.dynamic = False  # has PT_DYNAMIC
        self.soname = ""
        self.needed: list[str] = []  # DT_NEEDED, in file order
        self.version_needs: dict[str, list[str]] = {}  # library -> version names
        self.symbols: dict[str, list[str]] = {}  # version name -> undefined symbols

    @property
    def machine_name(self) -> str:
        """e.g. "x86_64", "aarch64", or "e_machine 1234" for one this tool does not name."""
        return _MACHINES.get(self.machine, f"e_machine {self.machine}")

    @property
    def arch(self) -> str:
        """Machine, class and byte order, e.g. "x86_64 (ELF64, little endian)"."""
        return f"{self.machine_name} (ELF{self.elf_class}, {self.endian} endian)"

    @property
    def glibc_versions(self) -> list[str]:
        """The GLIBC_x.y versions needed (GLIBC_PRIVATE excluded), oldest first."""
        found = {v for vs in self.version_needs.values() for v in vs if _GLIBC_RE.match(v)}
        return sorted(found, key=_version_key)

    @property
    def max_glibc(self) -> str | None:
        """The newest glibc version needed, e.g. "2.34", or None."""
        versions = self.glibc_versions
        return versions[-1][len("GLIBC_") :] if versions else None

    @property
    def glibc_private(self) -> bool:
        """True when the file needs GLIBC_PRIVATE symbols."""
        return any("GLIBC_PRIVATE" in vs for vs in self.version_needs.values())

    @property
    def libc(self) -> str:
        """ "glibc", "musl", "glibc+musl" (both: broken) or "" (linked to neither)."""
        names = self.needed + ([os.path.basename(self.interp)] if self.interp else [])
        glibc = any(n == "libc.so.6" or n.startswith("ld-linux") or n == "ld64.so.2" for n in names)
        glibc = glibc or bool(self.glibc_versions) or self.glibc_private
        musl = any(n.startswith(("libc.musl-", "ld-musl-")) or n == "libc.so" for n in names)
        return "+".join(x for x, has in (("glibc", glibc), ("musl", musl)) if has)

    @property
    def loadable(self) -> bool:
        """Dynamically linked executable or shared object: what the loader loads."""
        return self.type in (2, 3) and (self.dynamic or bool(self.interp))


def _version_key(version: str):
    m = _GLIBC_RE.match(version)
    return tuple(int(x) for x in m.group(1).split(".")) if m else (0,)


def _parse_version(text: str) -> tuple:
    if not re.match(r"^\d+(\.\d+)+$", text or ""):
        raise AuditError(f"--libc-version {text!r} is not a version such as 2.28")
    return tuple(int(x) for x in text.split("."))


class _Reader:
    """Bounds-checked reads from a seekable binary file."""

    def __init__(self, f, size: int, endian: str):
        self.f, self.size = f, size
        self.prefix = "<" if endian == "little" else ">"

    def read(self, offset: int, size: int, what: str) -> bytes:
        if offset < 0 or size < 0 or offset + size > self.size:
            raise ElfError(f"{what} lies outside the file (offset {offset}, {size} bytes)")
        self.f.seek(offset)
        data = self.f.read(size)
        if len(data) != size:
            raise ElfError(f"{what}: short read")
        return data

    def unpack(self, fmt: str, offset: int, what: str) -> tuple:
        fmt = self.prefix + fmt
        return struct.unpack(fmt, self.read(offset, struct.calcsize(fmt), what))

    def cstr(self, table: int, table_size: int, index: int, what: str) -> str:
        if index >= table_size:
            raise ElfError(f"{what}: string index {index} beyond the string table")
        chunk = self.read(table + index, min(table_size - index, 4096), what)
        end = chunk.find(b"\0")
        if end < 0:
            raise ElfError(f"{what}: unterminated string")
        return chunk[:end].decode("utf-8", "replace")


def read_elf(f) -> ElfInfo | None:
    """Parses the ELF file open in `f` (binary, seekable); None if it is not ELF.

    Raises ElfError when the file starts with the ELF magic but is inconsistent.
    """
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    ident = f.read(16)
    if len(ident) < 16 or ident[:4] != ELF_MAGIC:
        return None
    info = ElfInfo()
    if ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise ElfError(f"unknown ELF class {ident[4]} or byte order {ident[5]}")
    info.elf_class = 32 if ident[4] == 1 else 64
    info.endian = "little" if ident[5] == 1 else "big"
    r = _Reader(f, size, info.endian)
    wide = info.elf_class == 64
    header = r.unpack("HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH", 16, "ELF header")
    info.type, info.machine = header[0], header[1]
    phoff, shoff = header[4], header[5]
    phentsize, phnum, shentsize, shnum = header[8], header[9], header[10], header[11]
    ph_fmt = "IIQQQQQQ" if wide else "IIIIIIII"
    if phnum and phentsize < struct.calcsize(ph_fmt):
        raise ElfError(f"program header entries of {phentsize} bytes are too small")
    loads, dynamic = [], None
    for k in range(min(phnum, _MAX_ENTRIES)):
        ph = r.unpack(ph_fmt, phoff + k * phentsize, "program header")
        if wide:
            p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = ph
        else:
            p_type, p_offset, p_vaddr, _, p_filesz, _, _, _ = ph
        if p_type == _PT_LOAD:
            loads.append((p_vaddr, p_filesz, p_offset))
        elif p_type == _PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
        elif p_type == _PT_INTERP:
            info.interp = r.read(p_offset, min(p_filesz, 4096), "PT_INTERP").split(b"\0")[0]
            info.interp = info.interp.decode("utf-8", "replace")
    if dynamic is None:
        return info
    info.dynamic = True

    def offset_of(vaddr: int, what: str) -> int:
        for start, length, offset in loads:
            if start <= vaddr < start + length:
                return offset + vaddr - start
        raise ElfError(f"{what} (address {vaddr:#x}) is in no loaded segment")

    dyn_fmt = "qQ" if wide else "iI"
    entry = struct.calcsize(dyn_fmt)
    tags: dict[int, int] = {}
    needed_idx: list[int] = []
    soname_idx = None
    for k in range(min(dynamic[1] // entry, _MAX_ENTRIES)):
        tag, value = r.unpack(dyn_fmt, dynamic[0] + k * entry, "dynamic section")
        if tag == 0:
            break
        if tag == _DT_NEEDED:
            needed_idx.append(value)
        elif tag == _DT_SONAME:
            soname_idx = value
        else:
            tags.setdefault(tag, value)
    if _DT_STRTAB not in tags:
        if needed_idx:
            raise ElfError("DT_NEEDED entries but no DT_STRTAB")
        return info
    strtab = offset_of(tags[_DT_STRTAB], "DT_STRTAB")
    strsz = tags.get(_DT_STRSZ, size - strtab)
    info.needed = [r.cstr(strtab, strsz, i, "DT_NEEDED") for i in needed_idx]
    if soname_idx is not None:
        info.soname = r.cstr(strtab, strsz, soname_idx, "DT_SONAME")
    index_names: dict[int, str] = {}
    if _DT_VERNEED in tags:
        at = offset_of(tags[_DT_VERNEED], "DT_VERNEED")
        count = min(tags.get(_DT_VERNEEDNUM, _MAX_ENTRIES), _MAX_ENTRIES)
        seen = 0
        for _ in range(count):
            _, vn_cnt, vn_file, vn_aux, vn_next = r.unpack("HHIII", at, "version need")
            library = r.cstr(strtab, strsz, vn_file, "version need file")
            names = info.version_needs.setdefault(library, [])
            aux = at + vn_aux
            for _ in range(vn_cnt):
                seen += 1
                if seen > _MAX_ENTRIES:
                    raise ElfError("too many version needs")
                _, _, other, name, nxt = r.unpack("IHHII", aux, "version need aux")
                version = r.cstr(strtab, strsz, name, "version name")
                if version not in names:
                    names.append(version)
                index_names[other & 0x7FFF] = version
                if nxt == 0:
                    break
                aux += nxt
            if vn_next == 0:
                break
            at += vn_next
    if index_names and _DT_VERSYM in tags and _DT_SYMTAB in tags:
        _read_symbols(r, info, tags, strtab, strsz, index_names, offset_of, shoff, shnum, shentsize)
    return info


def _read_symbols(r, info, tags, strtab, strsz, index_names, offset_of, shoff, shnum, shentsize):
    """Names the undefined symbols behind each needed version (needs the symbol count)."""
    wide = info.elf_class == 64
    count = None
    sh_fmt = "IIQQQQIIQQ" if wide else "IIIIIIIIII"
    if shoff and shnum and shentsize >= struct.calcsize(sh_fmt):
        for k in range(min(shnum, _MAX_ENTRIES)):
            sh = r.unpack(sh_fmt, shoff + k * shentsize, "section header")
            if sh[1] == _SHT_DYNSYM and sh[9]:
                count = sh[5] // sh[9]
                break
    if count is None and _DT_HASH in tags:
        count = r.unpack("II", offset_of(tags[_DT_HASH], "DT_HASH"), "DT_HASH")[1]
    if not count:
        return
    count = min(count, _MAX_SYMBOLS)
    sym_fmt = "IBBHQQ" if wide else "IIIBBH"
    sym_size = struct.calcsize(sym_fmt)
    symtab = offset_of(tags[_DT_SYMTAB], "DT_SYMTAB")
    versym = offset_of(tags[_DT_VERSYM], "DT_VERSYM")
    versions = struct.unpack(f"{r.prefix}{count}H", r.read(versym, 2 * count, ".gnu.version"))
    table = r.read(symtab, sym_size * count, ".dynsym")
    for k, version in enumerate(versions):
        name = index_names.get(version & 0x7FFF)
        if name is None:
            continue
        sym = struct.unpack_from(r.prefix + sym_fmt, table, k * sym_size)
        st_name, st_shndx = sym[0], (sym[3] if wide else sym[5])
        if st_shndx == 0:  # undefined: needed from a library
            info.symbols.setdefault(name, []).append(r.cstr(strtab, strsz, st_name, "symbol name"))


# --- Scanning wheels and trees -------------------------------------------------------------


class ElfFile:
    """One ELF file found in a wheel or tree."""

    def __init__(self, package: str, source: str, path: str, info: ElfInfo | None, error=""):
        self.package = package  # project name, or "" when unknown
        self.source = source  # the wheel's file name or the tree's path
        self.path = path  # inside the wheel / tree, with "/"
        self.info = info  # None when unreadable (then error says why)
        self.error = error

    def to_json(self) -> dict:
        """The facts as a dict for --json."""
        out = {"package": self.package, "source": self.source, "path": self.path}
        if self.info is None:
            out["error"] = self.error
            return out
        i = self.info
        out.update(
            arch=i.machine_name,
            elf_class=i.elf_class,
            endian=i.endian,
            type=_ET_NAMES.get(i.type, str(i.type)),
            loadable=i.loadable,
            libc=i.libc,
            interpreter=i.interp,
            needed=i.needed,
            version_needs=i.version_needs,
            max_glibc=i.max_glibc,
        )
        return out


_WHEEL_NAME = re.compile(r"^([^-]+)-([^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _scan_wheel(path: Path, package: str | None) -> list[ElfFile]:
    m = _WHEEL_NAME.match(path.name)
    name = package or (_normalize(m.group(1)) if m else "")
    found = []
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise AuditError(f"{path}: not a readable wheel (zip) file: {e}") from None
    with zf:
        for member in sorted(zf.infolist(), key=lambda i: i.filename):
            if member.is_dir() or member.file_size < 16:
                continue
            mode = member.external_attr >> 16
            if mode and stat.S_ISLNK(mode):
                continue
            try:
                with zf.open(member) as src:
                    if src.read(4) != ELF_MAGIC:
                        continue
                with zf.open(member) as src, tempfile.TemporaryFile() as tmp:
                    shutil.copyfileobj(src, tmp, 1 << 20)
                    found.append(_read_one(name, path.name, member.filename, tmp))
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as e:
                raise AuditError(f"{path}: cannot read {member.filename}: {e}") from None
    return found


def scan_installed(wheel: str, package: str, members: list) -> list[ElfFile]:
    """The ELF files of a wheel already installed, read from the tree, not the archive.

    members holds (member name, installed file) pairs, sorted by member name; each file
    is listed as a scan of the wheel file `wheel` would list it, so messages name the
    wheel and the member either way.
    """
    found = []
    for member, installed in members:
        try:
            with open(installed, "rb") as f:
                found.append(_read_one(package, wheel, member, f))
        except OSError as e:
            raise AuditError(f"{wheel}: cannot read {member}: {e.strerror}") from None
    return found


def _read_one(package: str, source: str, path: str, f) -> ElfFile:
    try:
        return ElfFile(package, source, path, read_elf(f))
    except ElfError as e:
        return ElfFile(package, source, path, None, str(e))
    except struct.error as e:
        return ElfFile(package, source, path, None, f"truncated header ({e})")


def _tree_owners(root: Path) -> dict[str, str]:
    """Tree-relative path -> project name, from every *.dist-info/RECORD in the tree."""
    owners = {}
    top = os.path.normpath(str(root))
    for record in sorted(root.glob("**/*.dist-info/RECORD")):
        dist = _normalize(record.parent.name[: -len(".dist-info")].split("-")[0])
        base = record.parent.parent  # RECORD names are relative to the .dist-info's parent
        try:
            text = record.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            name = line.rsplit(",", 2)[0].strip('"')
            full = os.path.normpath(os.path.join(str(base), name)) if name else ""
            if full.startswith(top + os.sep):
                owners[full[len(top) + 1 :].replace(os.sep, "/")] = dist
    return owners


def _scan_tree(root: Path, package: str | None) -> list[ElfFile]:
    owners = {} if package else _tree_owners(root)
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            full = Path(folder) / name
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode) or st.st_size < 16:
                continue
            rel = full.relative_to(root).as_posix()
            try:
                with open(full, "rb") as f:
                    if f.read(4) != ELF_MAGIC:
                        continue
                    found.append(_read_one(package or owners.get(rel, ""), str(root), rel, f))
            except OSError as e:
                raise AuditError(f"{full}: cannot read: {e.strerror}") from None
    return found


def scan(paths: list, package: str | None = None) -> list[ElfFile]:
    """Every ELF file in the given wheels (.whl), folders and ELF files, in a stable order.

    `package` names the project for every file; without it, a wheel's file name or the
    tree's .dist-info/RECORD files say which project a file belongs to.
    """
    found: list[ElfFile] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found.extend(_scan_tree(p, package))
        elif p.is_file() and p.name.endswith(".whl"):
            found.extend(_scan_wheel(p, package))
        elif p.is_file():
            try:
                with open(p, "rb") as f:
                    if f.read(4) != ELF_MAGIC:
                        raise AuditError(f"{p} is neither a .whl file, a folder nor an ELF file")
                    found.append(_read_one(package or "", str(p.parent), p.name, f))
            except OSError as e:
                raise AuditError(f"{p}: cannot read: {e.strerror}") from None
        else:
            raise AuditError(f"{p} does not exist")
    return found


# --- Checking ------------------------------------------------------------------------------


class Target:
    """The target's os, cpu, libc flavour and version (as the hub's environments name them)."""

    def __init__(self, os_name: str, cpu: str, libc: str = "", libc_version: str = ""):
        self.os = os_name.lower()
        self.cpu = cpu.lower()
        self.libc = libc.lower()
        self.libc_version = libc_version
        if self.os == "linux":
            if self.cpu not in _CPUS:
                raise AuditError(
                    f"--cpu {cpu!r} is not a cpu this tool knows ({', '.join(sorted(_CPUS))})"
                )
            if self.libc not in ("glibc", "musl"):
                raise AuditError(f"--libc must be glibc or musl for a linux target, not {libc!r}")
            if libc_version:
                self.version = _parse_version(libc_version)

    @property
    def checked(self) -> bool:
        """False for targets whose binaries are not ELF (macos, windows)."""
        return self.os == "linux"

    def __str__(self) -> str:
        if not self.checked:
            return f"{self.os} {self.cpu}"
        return " ".join(x for x in (self.os, self.cpu, self.libc, self.libc_version) if x)


class Problem:
    """One reason a file will not load on the target."""

    def __init__(self, kind: str, file: ElfFile, message: str):
        self.kind = kind  # glibc-too-new, glibc-private, wrong-libc, wrong-arch
        self.file = file
        self.message = message

    def to_json(self) -> dict:
        """The problem as a dict for --json."""
        return {
            "kind": self.kind,
            "package": self.file.package,
            "source": self.file.source,
            "path": self.file.path,
            "message": self.message,
        }


def _constraint_for(version: str) -> str:
    need = _parse_version(version)
    for v in GLIBC_CONSTRAINTS:
        if _parse_version(v) >= need:
            return f"@rules_pyuv//uv/constraints:glibc_{v.replace('.', '_')}"
    return "a glibc constraint of at least that version"


def _who(f: ElfFile) -> str:
    what = f"package {f.package}" if f.package else "a file"
    return f"{what} ({f.source}): {f.path}"


def check(files: list[ElfFile], target: Target, built: bool = False) -> list[Problem]:
    """The problems of `files` on `target`; `built` says the wheel came from an sdist build."""
    if not target.checked:
        return []
    problems = []
    machine, elf_class, endian = _CPUS[target.cpu]
    for f in files:
        i = f.info
        if i is None or not i.loadable:
            continue
        if (i.machine, i.elf_class, i.endian) != (machine, elf_class, endian):
            how = (
                "the sdist was built on a worker of another architecture: give Bazel an "
                f"execution platform of the target's cpu ({target.cpu}) for the build"
                if built
                else "the lock chose a wheel of another architecture for this target: check "
                "the platform's @platforms//cpu constraint and the wheel's tags"
            )
            problems.append(
                Problem(
                    "wrong-arch",
                    f,
                    f"{_who(f)} is built for {i.arch}, but the target cpu is {target.cpu}; {how}",
                ),
            )
            continue
        libc = i.libc
        if libc and libc != target.libc:
            other = "musllinux" if target.libc == "musl" else "manylinux"
            how = (
                f"the sdist was built on a {libc} worker: build it on an execution platform "
                f"with {target.libc} (docs/sdist-builds.md)"
                if built
                else f"use a {other} wheel, or give the platform the "
                f"@rules_pyuv//uv/constraints:{libc} constraint if the target really runs "
                f"{libc} (docs/platforms.md)"
            )
            links = ", ".join(i.needed + ([i.interp] if i.interp else []))
            problems.append(
                Problem(
                    "wrong-libc",
                    f,
                    f"{_who(f)} links {libc} ({links}), "
                    f"but the target's libc is {target.libc}; {how}",
                )
            )
            continue
        if target.libc != "glibc":
            continue
        if i.glibc_private:
            problems.append(
                Problem(
                    "glibc-private",
                    f,
                    f"{_who(f)} needs GLIBC_PRIVATE symbols "
                    f"({_symbols(i, 'GLIBC_PRIVATE')}), which only the exact glibc it was "
                    "linked against provides; it cannot load on another system. Use a "
                    "wheel built for manylinux"
                    + (", or build the sdist in a manylinux-style environment" if built else ""),
                )
            )
        if not target.libc_version or i.max_glibc is None:
            continue
        if _parse_version(i.max_glibc) > target.version:
            needed = f"GLIBC_{i.max_glibc}"
            newer = [v for v in i.glibc_versions if _version_key(v) > target.version]
            fixes = [
                f"raise the target's glibc: give its platform {_constraint_for(i.max_glibc)} "
                "if every system it deploys to has that glibc (docs/platforms.md)",
            ]
            pin = (
                f"pin a version of {f.package or 'the package'} whose wheel has an older "
                f"manylinux tag (manylinux_{target.libc_version.replace('.', '_')} or older)"
            )
            build = (
                f"build the sdist on a worker whose glibc is {target.libc_version} or older "
                "(an execution platform of the target's glibc; docs/sdist-builds.md)"
            )
            fixes = [build, pin, *fixes] if built else [pin, *fixes, build]
            problems.append(
                Problem(
                    "glibc-too-new",
                    f,
                    f"{_who(f)} needs {needed} (for {_symbols(i, needed)}"
                    + (f"; also {', '.join(newer[:-1])}" if len(newer) > 1 else "")
                    + f"), but the target has glibc {target.libc_version}"
                    + (" (the wheel was built from the sdist on a newer system)" if built else "")
                    + ". Fix: "
                    + "; or ".join(fixes),
                )
            )
    return problems


def _symbols(info: ElfInfo, version: str, limit: int = 4) -> str:
    names = sorted(set(info.symbols.get(version, [])))
    if not names:
        return "symbols not named: no section headers"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


class Report:
    """The result of audit(): the target, the files read, problems and warnings."""

    def __init__(self, target: Target, files: list[ElfFile], problems: list[Problem]):
        self.target = target
        self.files = files
        self.problems = problems

    @property
    def warnings(self) -> list[str]:
        """Files listed but not checked: unparsable, or static for another architecture."""
        out = [
            f"{_who(f)} starts like ELF but cannot be read: {f.error}"
            for f in self.files
            if f.info is None
        ]
        if self.target.checked:
            machine, elf_class, endian = _CPUS[self.target.cpu]
            for f in self.files:
                i = f.info
                if (
                    i
                    and not i.loadable
                    and (i.machine, i.elf_class, i.endian)
                    != (
                        machine,
                        elf_class,
                        endian,
                    )
                ):
                    out.append(
                        f"{_who(f)} is a static {_ET_NAMES.get(i.type, 'ELF file')} for "
                        f"{i.arch}; not checked (not loaded by the dynamic loader)"
                    )
        return out

    def to_json(self) -> dict:
        """Target, files, problems and warnings as a dict for --json."""
        t = self.target
        return {
            "target": {"os": t.os, "cpu": t.cpu, "libc": t.libc, "libc_version": t.libc_version},
            "files": [f.to_json() for f in self.files],
            "problems": [p.to_json() for p in self.problems],
            "warnings": self.warnings,
        }


def audit(paths: list, target: Target, package: str | None = None, built: bool = False) -> Report:
    """Scans `paths` (wheels and folders) and checks every ELF file against `target`."""
    files = scan(paths, package)
    return Report(target, files, check(files, target, built))


def format_explain(report: Report) -> str:
    """A human listing: one line per ELF file, grouped by package and source."""
    lines = [f"libc audit for target {report.target}:"]
    if not report.files:
        lines.append("  no ELF files")
    last = None
    for f in report.files:
        if (f.package, f.source) != last:
            last = (f.package, f.source)
            lines.append(f"  {f.package or '(unknown package)'} ({f.source})")
        i = f.info
        if i is None:
            lines.append(f"    {f.path}: unreadable ({f.error})")
            continue
        facts = [i.machine_name, _ET_NAMES.get(i.type, "ELF"), i.libc or "no libc"]
        if i.max_glibc:
            facts.append(f"needs glibc >= {i.max_glibc}")
        if not i.loadable:
            facts.append("static")
        if i.needed:
            facts.append("links " + " ".join(i.needed))
        lines.append(f"    {f.path}: {', '.join(facts)}")
    if report.target.checked:
        verdict = f"{len(report.problems)} problem(s)" if report.problems else "ok"
    else:
        verdict = f"not checked ({report.target.os} targets do not load ELF files)"
    lines.append(f"  result: {verdict}")
    return "\n".join(lines)


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="+", metavar="PATH", help=".whl files or installed trees")
    p.add_argument("--os", required=True, help="target os: linux, macos or windows")
    p.add_argument("--cpu", required=True, help="target cpu, e.g. x86_64 or aarch64")
    p.add_argument("--libc", default="", help="glibc or musl (linux targets)")
    p.add_argument("--libc-version", default="", help="the target's glibc version, e.g. 2.28")
    p.add_argument("--package", help="the project the paths belong to, named in messages")
    p.add_argument("--built", action="store_true", help="the wheel came from an sdist build")
    p.add_argument("--explain", action="store_true", help="list every ELF file on stdout")
    p.add_argument("--json", help="write files, problems and warnings as JSON to this file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        target = Target(args.os, args.cpu, args.libc, args.libc_version)
        report = audit(args.paths, target, args.package, args.built)
    except AuditError as e:
        print(f"rules_pyuv: libc audit: {e}", file=sys.stderr)
        return 1
    if args.explain:
        print(format_explain(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.to_json(), f, indent=2, sort_keys=True)
            f.write("\n")
    for w in report.warnings:
        print(f"rules_pyuv: libc audit: warning: {w}", file=sys.stderr)
    if report.problems:
        print(
            f"rules_pyuv: libc audit: {len(report.problems)} file(s) will not load on the "
            f"target {target}:",
            file=sys.stderr,
        )
        for problem in report.problems:
            print(f"  - {problem.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
