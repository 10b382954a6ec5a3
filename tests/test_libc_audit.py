"""Unit tests of ``uv/private/libc_audit.py``, the glibc/musl/architecture audit of ELF files.

The ELF files are real: shared objects and executables compiled by the machine's gcc
against the host glibc (with `.symver` to pin old symbol versions), 32-bit objects linked
by GNU ld against stub libraries whose version scripts declare chosen GLIBC_x.y nodes (so
a test does not depend on the host's glibc), musl-style objects linked against a stub
`libc.musl-x86_64.so.1`, the host's own libraries, and hand-assembled files for other
machines and byte orders (aarch64, ppc64, s390x, 32-bit big endian). Every parse is
cross-checked with binutils' `readelf`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.pkgbuild import build_wheel
from tests.support.prerequisites import require

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOL = REPO_ROOT / "uv" / "private" / "libc_audit.py"


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


la = _load(TOOL, "rules_pyuv_libc_audit")
WHL_INSTALL = REPO_ROOT / "uv" / "private" / "whl_install.py"


def _need(tool: str) -> str:
    path = shutil.which(tool)
    require(None if path else f"`{tool}` is not installed (binutils/gcc make the test ELF files)")
    return path


def _run(*cmd, cwd=None) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{cmd}: {proc.stderr}"
    return proc.stdout


def _info(path: Path):
    with open(path, "rb") as f:
        return la.read_elf(f)


def _readelf_facts(path: Path) -> tuple[list[str], dict[str, set]]:
    """DT_NEEDED and the version needs per library, as binutils' readelf reports them."""
    out = _run(_need("readelf"), "-d", "-V", "-W", path)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    needs: dict[str, set] = {}
    section = out.split(".gnu.version_r", 1)[1] if ".gnu.version_r" in out else ""
    library = None
    for line in section.splitlines():
        m = re.search(r"File: (\S+)\s+Cnt:", line)
        if m:
            library = m.group(1)
            needs.setdefault(library, set())
        m = re.search(r"Name: (\S+)\s+Flags:", line)
        if m and library:
            needs[library].add(m.group(1))
    return needed, needs


def _assert_matches_readelf(path: Path):
    info = _info(path)
    needed, needs = _readelf_facts(path)
    assert info.needed == needed, path
    assert {k: set(v) for k, v in info.version_needs.items()} == needs, path
    return info


def _host_glibc() -> tuple:
    text = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else ""
    m = re.match(r"glibc (\d+)\.(\d+)", text or "")
    require(None if m else "the host has no glibc (these fixtures link against it)")
    return int(m.group(1)), int(m.group(2))


@pytest.fixture(scope="module")
def elfs(tmp_path_factory) -> dict:
    """Real ELF files made by gcc and ld for the tests below, by role."""
    gcc = _need("gcc")
    _need("ld")
    d = tmp_path_factory.mktemp("elfs")
    src = {
        # getrandom (glibc 2.25) and reallocarray (2.26).
        "new.c": "#include <stdlib.h>\n#include <sys/random.h>\n"
        "void *f(void *p, size_t n) { char b[4]; getrandom(b, 4, 0);"
        " return reallocarray(p, n, 2); }\n",
        # memcpy pinned to the x86_64 baseline version, as manylinux builds do.
        "old.c": '#include <string.h>\n__asm__(".symver memcpy, memcpy@GLIBC_2.2.5");\n'
        "void g(char *a, const char *b, size_t n) { memcpy(a, b, n); }\n",
        "main.c": '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n',
        "stub.c": "int old_fn(void) { return 1; }\nint new_fn(void) { return 2; }\n",
        "use.c": "int old_fn(void); int new_fn(void);\n"
        "int use(void) { return old_fn() + new_fn(); }\n",
        "v.map": "GLIBC_2.0 { global: old_fn; local: *; };\n"
        "GLIBC_2.30 { global: new_fn; } GLIBC_2.0;\n",
    }
    for name, text in src.items():
        (d / name).write_text(text)
    _run(gcc, "-shared", "-fPIC", "-O0", "-o", "libnew.so", "new.c", cwd=d)
    _run(gcc, "-shared", "-fPIC", "-O0", "-fno-builtin", "-o", "libold.so", "old.c", cwd=d)
    _run(gcc, "-O0", "-o", "hello", "main.c", cwd=d)
    # musl-style: a stub libc with musl's x86_64 soname, and a library linked against it.
    _run(gcc, "-shared", "-fPIC", "-nostdlib", "-Wl,-soname,libc.musl-x86_64.so.1",
         "-o", "libc.musl-x86_64.so.1", "stub.c", cwd=d)  # fmt: skip
    _run(gcc, "-shared", "-fPIC", "-nostdlib", "-o", "libmusly.so", "use.c",
         "libc.musl-x86_64.so.1", cwd=d)  # fmt: skip
    # 32-bit (i386) and x86_64 libraries against stub glibcs declaring GLIBC_2.0 and 2.30.
    for bits, cflag, emulation in (("32", "-m32", "elf_i386"), ("64", "-m64", "elf_x86_64")):
        _run(gcc, cflag, "-fPIC", "-c", "stub.c", "-o", f"stub{bits}.o", cwd=d)
        _run(gcc, cflag, "-fPIC", "-c", "use.c", "-o", f"use{bits}.o", cwd=d)
        _run("ld", "-m", emulation, "-shared", "-soname", "libc.so.6", "--version-script",
             "v.map", f"stub{bits}.o", "-o", f"libcstub{bits}.so.6", cwd=d)  # fmt: skip
        _run("ld", "-m", emulation, "-shared", f"use{bits}.o", f"libcstub{bits}.so.6",
             "-o", f"libuse{bits}.so", cwd=d)  # fmt: skip
    return {
        "new": d / "libnew.so",
        "old": d / "libold.so",
        "exe": d / "hello",
        "musl": d / "libmusly.so",
        "i386": d / "libuse32.so",
        "x86_64_230": d / "libuse64.so",
        "dir": d,
    }


# --- Hand-assembled ELF files for other machines -------------------------------------------


def craft_elf(
    machine: int,
    bits: int,
    endian: str,
    needed: list,
    versions: dict,
    interp: str = "",
    etype: int = 3,
    dynamic: bool = True,
    sections: bool = True,
) -> bytes:
    """A minimal but complete ELF file: PT_LOAD, PT_DYNAMIC (+PT_INTERP), .dynstr, verneed.

    The segment is mapped at 0x10000 above its file offset so that address-to-offset
    translation is exercised. Section headers (.dynstr, .gnu.version_r, .dynamic,
    .shstrtab) are there for readelf; the tool reads the program headers only, and
    `sections=False` leaves them out as a stripped-to-the-bone file would.
    """
    p = "<" if endian == "little" else ">"
    wide = bits == 64
    ehsize, phentsize = (64, 56) if wide else (52, 32)
    base = 0x10000
    strtab = bytearray(b"\0")

    def add(s: str) -> int:
        strtab.extend(s.encode() + b"\0")
        return len(strtab) - len(s) - 1

    need_idx = [add(n) for n in needed]
    vn = [(add(lib), [(add(v), v) for v in vs]) for lib, vs in versions.items()]
    phnum = 1 + int(dynamic) + int(bool(interp))
    off_interp = ehsize + phnum * phentsize
    interp_b = interp.encode() + b"\0" if interp else b""
    off_str = off_interp + len(interp_b)
    off_vn = (off_str + len(strtab) + 7) & ~7
    verneed = bytearray()
    other = 2
    for k, (file_idx, auxes) in enumerate(vn):
        last = k == len(vn) - 1
        verneed += struct.pack(
            p + "HHIII", 1, len(auxes), file_idx, 16, 0 if last else 16 + 16 * len(auxes)
        )
        for j, (name_idx, _) in enumerate(auxes):
            nxt = 0 if j == len(auxes) - 1 else 16
            verneed += struct.pack(p + "IHHII", 0x1234, 0, other, name_idx, nxt)
            other += 1
    off_dyn = (off_vn + len(verneed) + 7) & ~7
    entries = [(1, i) for i in need_idx] + [(5, base + off_str), (10, len(strtab))]
    if vn:
        entries += [(0x6FFFFFFE, base + off_vn), (0x6FFFFFFF, len(vn))]
    entries.append((0, 0))
    dyn_fmt = p + ("qQ" if wide else "iI")
    dyn = b"".join(struct.pack(dyn_fmt, t, v) for t, v in entries)
    total = off_dyn + len(dyn)

    def phdr(ptype, offset, size):
        if wide:
            return struct.pack(p + "IIQQQQQQ", ptype, 4, offset, base + offset, base + offset,
                               size, size, 8)  # fmt: skip
        return struct.pack(p + "IIIIIIII", ptype, offset, base + offset, base + offset, size,
                           size, 4, 4)  # fmt: skip

    phdrs = phdr(1, 0, total)
    if interp:
        phdrs += phdr(3, off_interp, len(interp_b))
    if dynamic:
        phdrs += phdr(2, off_dyn, len(dyn))
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if endian == "little" else 2, 1]) + bytes(9)
    fmt = p + ("HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH")
    ehdr = ident + struct.pack(fmt, etype, machine, 1, 0, ehsize, 0, 0, ehsize, phentsize,
                               phnum, 0, 0, 0)  # fmt: skip
    out = bytearray(ehdr + phdrs)
    out += interp_b
    out += bytes(off_str - len(out)) + strtab
    out += bytes(off_vn - len(out)) + verneed
    out += bytes(off_dyn - len(out)) + dyn
    assert len(out) == total
    if not sections:
        return bytes(out)
    shstrtab = b"\0.dynstr\0.gnu.version_r\0.dynamic\0.shstrtab\0"
    off_shstr = len(out)
    out += shstrtab
    off_sh = (len(out) + 7) & ~7
    out += bytes(off_sh - len(out))
    sh_fmt = p + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
    table = [
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (1, 3, 2, base + off_str, off_str, len(strtab), 0, 0, 1, 0),
        (9, 0x6FFFFFFE, 2, base + off_vn, off_vn, len(verneed), 1, len(vn), 4, 0),
        (24, 6, 3, base + off_dyn, off_dyn, len(dyn), 1, 0, 8, 16 if wide else 8),
        (33, 3, 0, 0, off_shstr, len(shstrtab), 0, 0, 1, 0),
    ]
    for sh in table:
        out += struct.pack(sh_fmt, *sh)
    shentsize = struct.calcsize(sh_fmt)
    # e_shoff, e_shentsize, e_shnum, e_shstrndx in the header.
    struct.pack_into(p + ("Q" if wide else "I"), out, 40 if wide else 32, off_sh)
    struct.pack_into(p + "HHH", out, (58 if wide else 46), shentsize, len(table), 4)
    return bytes(out)


CRAFTED = [
    # (machine, bits, endian, target cpu that matches)
    (183, 64, "little", "aarch64"),
    (21, 64, "big", "ppc64"),
    (22, 64, "big", "s390x"),
    (21, 64, "little", "ppc64le"),
    (40, 32, "little", "armv7"),
    (20, 32, "big", None),  # 32-bit PowerPC: a machine the tool names but no target cpu
]


@pytest.mark.parametrize("machine,bits,endian,cpu", CRAFTED)
def test_crafted_foreign_files_parse_like_readelf_says(tmp_path, machine, bits, endian, cpu):
    data = craft_elf(
        machine,
        bits,
        endian,
        ["libm.so.6", "libc.so.6"],
        {"libc.so.6": ["GLIBC_2.17", "GLIBC_2.34"], "libm.so.6": ["GLIBC_2.29"]},
        interp="/lib/ld-linux-test.so.1",
    )
    path = tmp_path / "crafted.so"
    path.write_bytes(data)
    info = _assert_matches_readelf(path)
    assert info.version_needs  # readelf saw them too
    stripped = tmp_path / "stripped.so"
    stripped.write_bytes(craft_elf(machine, bits, endian, ["libm.so.6", "libc.so.6"],
        {"libc.so.6": ["GLIBC_2.17", "GLIBC_2.34"], "libm.so.6": ["GLIBC_2.29"]},
        interp="/lib/ld-linux-test.so.1", sections=False))  # fmt: skip
    assert _info(stripped).version_needs == info.version_needs
    assert (info.machine, info.elf_class, info.endian) == (machine, bits, endian)
    assert info.max_glibc == "2.34" and info.libc == "glibc"
    assert info.interp == "/lib/ld-linux-test.so.1"
    header = _run(_need("readelf"), "-h", path)
    assert ("big endian" in header) == (endian == "big")
    files = la.scan([path])
    problems = la.check(files, la.Target("linux", "x86_64", "glibc", "2.39"))
    assert [p.kind for p in problems] == ["wrong-arch"]
    assert la._MACHINES[machine] in problems[0].message
    if cpu:
        ok = la.check(files, la.Target("linux", cpu, "glibc", "2.34"))
        assert ok == []
        old = la.check(files, la.Target("linux", cpu, "glibc", "2.28"))
        assert [p.kind for p in old] == ["glibc-too-new"]
        assert "GLIBC_2.34" in old[0].message and "glibc 2.28" in old[0].message


def test_an_aarch64_musl_file_for_a_musl_target(tmp_path):
    path = tmp_path / "m.so"
    path.write_bytes(craft_elf(183, 64, "little", ["libc.musl-aarch64.so.1"], {}))
    info = _assert_matches_readelf(path)
    assert info.libc == "musl" and info.max_glibc is None
    files = la.scan([path])
    assert la.check(files, la.Target("linux", "aarch64", "musl", "1.2")) == []
    bad = la.check(files, la.Target("linux", "aarch64", "glibc", "2.28"))
    assert [p.kind for p in bad] == ["wrong-libc"]
    assert "libc.musl-aarch64.so.1" in bad[0].message and "musl" in bad[0].message


def test_an_aarch64_file_from_the_rbe_rootfs(tmp_path):
    """A real arm64 Debian library, from the rootfs tarball tools/rbe/setup packs."""
    cache = Path(os.environ.get("RBE_CACHE_DIR") or REPO_ROOT / ".cache" / "rbe")
    tarball = cache / "arm64-rootfs.tar.zst"
    member = "./usr/lib/aarch64-linux-gnu/libz.so.1.2.13"
    require(None if tarball.is_file() else f"{tarball} (tools/rbe/setup packs it)")
    require(None if shutil.which("zstd") else "zstd (tools/rbe/setup installs it)")
    subprocess.run(
        ["tar", "--zstd", "-xf", str(tarball), "-C", str(tmp_path), member],
        check=True,
        capture_output=True,
    )
    lib = tmp_path / member
    info = _assert_matches_readelf(lib)
    assert info.machine_name == "aarch64" and info.libc == "glibc"
    files = la.scan([lib])
    assert la.check(files, la.Target("linux", "aarch64", "glibc", "2.36")) == []
    assert [p.kind for p in la.check(files, la.Target("linux", "x86_64", "glibc", "2.36"))] == [
        "wrong-arch"
    ]


# --- Real files from gcc and ld ------------------------------------------------------------


def test_gcc_shared_object_needing_newer_glibc(elfs):
    info = _assert_matches_readelf(elfs["new"])
    assert info.machine_name == "x86_64" and info.elf_class == 64 and info.libc == "glibc"
    assert info.max_glibc == "2.26"
    assert "reallocarray" in info.symbols["GLIBC_2.26"]
    assert "getrandom" in info.symbols["GLIBC_2.25"]
    files = la.scan([elfs["new"]], package="demo")
    assert la.check(files, la.Target("linux", "x86_64", "glibc", "2.28")) == []
    assert la.check(files, la.Target("linux", "x86_64", "glibc", "2.26")) == []
    (problem,) = la.check(files, la.Target("linux", "x86_64", "glibc", "2.17"))
    msg = problem.message
    assert problem.kind == "glibc-too-new"
    assert "package demo" in msg and "libnew.so" in msg
    assert "needs GLIBC_2.26 (for reallocarray; also GLIBC_2.25)" in msg
    assert "the target has glibc 2.17" in msg
    assert "manylinux_2_17 or older" in msg  # pin an older wheel
    assert "@rules_pyuv//uv/constraints:glibc_2_28" in msg and "docs/platforms.md" in msg
    assert "build the sdist on a worker whose glibc is 2.17 or older" in msg


def test_symver_pinned_memcpy_needs_only_the_baseline(elfs):
    info = _assert_matches_readelf(elfs["old"])
    assert "GLIBC_2.2.5" in info.version_needs["libc.so.6"]
    assert info.max_glibc == "2.2.5"
    assert la.check(la.scan([elfs["old"]]), la.Target("linux", "x86_64", "glibc", "2.17")) == []


def test_an_executable_built_here_needs_this_hosts_glibc(elfs):
    host = _host_glibc()
    info = _assert_matches_readelf(elfs["exe"])
    assert info.interp.endswith("ld-linux-x86-64.so.2")
    need = tuple(int(x) for x in info.max_glibc.split("."))
    assert need <= host
    files = la.scan([elfs["exe"]])
    ok = la.check(files, la.Target("linux", "x86_64", "glibc", f"{host[0]}.{host[1]}"))
    assert ok == []
    if host >= (2, 34):  # __libc_start_main moved to GLIBC_2.34 then
        assert "__libc_start_main" in info.symbols["GLIBC_2.34"]
        (p,) = la.check(files, la.Target("linux", "x86_64", "glibc", "2.28"))
        assert "__libc_start_main" in p.message and "glibc_2_34" in p.message


def test_stub_linked_versions_and_32_bit_files(elfs):
    info32 = _assert_matches_readelf(elfs["i386"])
    assert (info32.machine_name, info32.elf_class) == ("i386", 32)
    assert info32.glibc_versions == ["GLIBC_2.0", "GLIBC_2.30"]
    assert info32.symbols == {"GLIBC_2.0": ["old_fn"], "GLIBC_2.30": ["new_fn"]}
    files = la.scan([elfs["i386"]])
    assert [p.kind for p in la.check(files, la.Target("linux", "x86_64", "glibc", "2.39"))] == [
        "wrong-arch"
    ]
    (p,) = la.check(files, la.Target("linux", "i686", "glibc", "2.28"))
    assert p.kind == "glibc-too-new" and "new_fn" in p.message
    assert "@rules_pyuv//uv/constraints:glibc_2_31" in p.message  # the next constraint up
    info64 = _assert_matches_readelf(elfs["x86_64_230"])
    assert info64.max_glibc == "2.30"


def test_musl_linked_file_against_glibc_and_musl_targets(elfs):
    info = _assert_matches_readelf(elfs["musl"])
    assert info.needed == ["libc.musl-x86_64.so.1"] and info.libc == "musl"
    files = la.scan([elfs["musl"]], package="fastthing")
    assert la.check(files, la.Target("linux", "x86_64", "musl", "1.2")) == []
    (p,) = la.check(files, la.Target("linux", "x86_64", "glibc", "2.28"))
    assert p.kind == "wrong-libc" and "package fastthing" in p.message
    assert "use a manylinux wheel" in p.message
    (p,) = la.check(la.scan([elfs["new"]]), la.Target("linux", "x86_64", "musl", "1.2"))
    assert p.kind == "wrong-libc" and "musllinux" in p.message
    (p,) = la.check(la.scan([elfs["new"]]), la.Target("linux", "x86_64", "musl"), built=True)
    assert "build it on an execution platform with musl" in p.message


def test_the_hosts_own_libraries_parse_like_readelf(tmp_path):
    host = _host_glibc()
    libdir = Path("/usr/lib/x86_64-linux-gnu")
    if not libdir.is_dir():
        libdir = Path("/usr/lib")
    libs = sorted(
        p for p in libdir.glob("lib*.so.*") if p.is_file() and not p.is_symlink()
    )  # real files only
    require(None if libs else f"no shared libraries in {libdir}")
    sample = random.Random(7).sample(libs, min(40, len(libs)))
    for lib in sample:
        info = _assert_matches_readelf(lib)
        assert info.max_glibc is None or tuple(map(int, info.max_glibc.split("."))) <= host


# --- Wheels, trees and the CLI -------------------------------------------------------------


def _wheel(tmp: Path, elfs: dict, name="natpkg", tag="cp311-cp311-manylinux_2_17_x86_64"):
    files = {
        f"{name}/__init__.py": b"",
        f"{name}/_new.so": elfs["new"].read_bytes(),
        f"{name}/_old.so": elfs["old"].read_bytes(),
        f"{name}/data.bin": b"\x7fELX not elf at all" * 3,
    }
    return build_wheel(tmp, name, "1.0", tag=tag, files=files)


def test_wheels_name_the_package_and_the_member(tmp_path, elfs):
    wheel = _wheel(tmp_path, elfs)
    report = la.audit([wheel], la.Target("linux", "x86_64", "glibc", "2.17"))
    assert [f.path for f in report.files] == ["natpkg/_new.so", "natpkg/_old.so"]
    (p,) = report.problems
    assert p.file.package == "natpkg" and p.file.source == wheel.name
    assert f"package natpkg ({wheel.name}): natpkg/_new.so needs GLIBC_2.26" in p.message
    listing = la.format_explain(report)
    assert "natpkg/_new.so: x86_64, shared object, glibc, needs glibc >= 2.26" in listing
    assert "natpkg/_old.so: x86_64, shared object, glibc, needs glibc >= 2.2.5" in listing
    assert "result: 1 problem(s)" in listing


def test_installed_trees_use_record_to_name_packages(tmp_path, elfs):
    wheel = _wheel(tmp_path, elfs)
    out = tmp_path / "tree"
    _run(sys.executable, WHL_INSTALL, "--wheel", wheel, "--out-dir", out, "--manifest",
         tmp_path / "m.json")  # fmt: skip
    other = out / "site-packages" / "stray.so"
    shutil.copy(elfs["musl"], other)
    report = la.audit([out], la.Target("linux", "x86_64", "glibc", "2.28"))
    owners = {f.path: f.package for f in report.files}
    assert owners == {
        "site-packages/natpkg/_new.so": "natpkg",
        "site-packages/natpkg/_old.so": "natpkg",
        "site-packages/stray.so": "",
    }
    (p,) = report.problems
    assert p.kind == "wrong-libc" and p.message.startswith("a file (")


def test_the_install_audits_what_it_wrote_like_the_wheel(tmp_path, elfs):
    # whl_install.py audits the ELF members it has just written, not the archive again:
    # the files, the packages and the messages are those of a scan of the wheel itself.
    wheel = _wheel(tmp_path, elfs)
    wanted = la.audit([wheel], la.Target("linux", "x86_64", "glibc", "2.17"))
    (problem,) = wanted.problems
    out, manifest = tmp_path / "tree", tmp_path / "m.json"
    out.mkdir()
    argv = [sys.executable, WHL_INSTALL, "--wheel", wheel, "--out-dir", out, "--manifest",
            manifest, "--target-os", "linux", "--target-cpu", "x86_64", "--target-libc",
            "glibc"]  # fmt: skip
    proc = subprocess.run(
        [str(a) for a in [*argv, "--target-libc-version", "2.17"]], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert f"  - {problem.message}" in proc.stderr.splitlines()
    assert "file(s) will not load on the target" in proc.stderr
    assert list(out.iterdir()) == [] and not manifest.exists()  # nothing half-installed

    _run(*argv, "--target-libc-version", "2.28")
    assert json.loads(manifest.read_text())["name"] == "natpkg"
    members = [
        ("natpkg/_new.so", out / "site-packages/natpkg/_new.so"),
        ("natpkg/_old.so", out / "site-packages/natpkg/_old.so"),
    ]
    found = la.scan_installed(wheel.name, "natpkg", members)
    assert [f.to_json() for f in found] == [f.to_json() for f in wanted.files]


def test_symlinks_in_trees_are_not_followed(tmp_path, elfs):
    tree = tmp_path / "t"
    tree.mkdir()
    os.symlink(elfs["new"], tree / "link.so")
    os.symlink(elfs["dir"], tree / "linkdir")
    assert la.scan([tree]) == []


def test_other_targets_have_nothing_to_check(tmp_path, elfs):
    wheel = _wheel(tmp_path, elfs)
    for os_name in ("macos", "windows"):
        report = la.audit([wheel, elfs["i386"]], la.Target(os_name, "aarch64"))
        assert report.problems == [] and len(report.files) == 3
        assert "not checked" in la.format_explain(report)


def test_static_foreign_and_unreadable_files_are_warnings(tmp_path):
    tree = tmp_path / "t"
    tree.mkdir()
    firmware = craft_elf(40, 32, "little", [], {}, etype=2, dynamic=False)
    (tree / "flash_algo.elf").write_bytes(firmware)
    good = craft_elf(62, 64, "little", ["libc.so.6"], {"libc.so.6": ["GLIBC_2.17"]})
    (tree / "truncated.so").write_bytes(good[:70])
    bad_offsets = bytearray(good)
    struct.pack_into("<Q", bad_offsets, 32, 1 << 40)  # e_phoff far outside the file
    (tree / "bad.so").write_bytes(bytes(bad_offsets))
    report = la.audit([tree], la.Target("linux", "x86_64", "glibc", "2.17"))
    assert report.problems == []
    warnings = "\n".join(report.warnings)
    assert "flash_algo.elf is a static executable for arm" in warnings
    assert "truncated.so starts like ELF but cannot be read" in warnings
    assert "bad.so starts like ELF but cannot be read" in warnings


def test_mutated_files_never_crash_the_reader(tmp_path, elfs):
    """Random corruption of real files: every outcome is a result or an ElfError."""
    rnd = random.Random(12)
    sources = [elfs["new"].read_bytes(), elfs["i386"].read_bytes()]
    sources.append(craft_elf(22, 64, "big", ["libc.so.6"], {"libc.so.6": ["GLIBC_2.17"]}))
    path = tmp_path / "m.so"
    for k in range(400):
        data = bytearray(rnd.choice(sources))
        for _ in range(rnd.randint(1, 8)):
            at = rnd.randrange(16, min(len(data), 4096))
            data[at] = rnd.randrange(256)
        if rnd.random() < 0.2:
            data = data[: rnd.randrange(16, len(data))]
        path.write_bytes(bytes(data))
        (found,) = la.scan([path])
        assert found.info is not None or found.error, k


def test_glibc_constraints_match_the_target_environments():
    text = (REPO_ROOT / "uv" / "private" / "target_envs.bzl").read_text()
    m = re.search(r"^GLIBC_VERSIONS = \[([^\]]*)\]", text, re.M)
    assert m and re.findall(r'"([^"]+)"', m.group(1)) == la.GLIBC_CONSTRAINTS


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-S", str(TOOL), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_fails_with_every_problem_and_writes_json(tmp_path, elfs):
    wheel = _wheel(tmp_path, elfs)
    out = tmp_path / "report.json"
    linux = ("--os", "linux", "--cpu", "x86_64", "--libc", "glibc")
    proc = _cli(*linux, "--libc-version", "2.17", "--explain", "--json", out, wheel, elfs["i386"])
    assert proc.returncode == 1
    assert "libc audit: 2 file(s) will not load on the target linux x86_64 glibc 2.17:" in (
        proc.stderr
    )
    assert "needs GLIBC_2.26" in proc.stderr and "libuse32.so is built for i386" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "natpkg/_new.so: x86_64, shared object" in proc.stdout
    report = json.loads(out.read_text())
    assert report["target"] == {"os": "linux", "cpu": "x86_64", "libc": "glibc",
                                "libc_version": "2.17"}  # fmt: skip
    assert sorted(p["kind"] for p in report["problems"]) == ["glibc-too-new", "wrong-arch"]
    new = next(f for f in report["files"] if f["path"] == "natpkg/_new.so")
    assert new["max_glibc"] == "2.26" and new["needed"] == ["libc.so.6"]
    proc = _cli(*linux, "--libc-version", "2.28", wheel)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    # Same input, same bytes out.
    again = tmp_path / "again.json"
    _cli(*linux, "--libc-version", "2.17", "--json", again, wheel, elfs["i386"])
    assert again.read_bytes() == out.read_bytes()


def test_cli_bad_input_is_a_message_not_a_traceback(tmp_path, elfs):
    cases = [
        (["--os", "linux", "--cpu", "x86_64", "--libc", "glibc", tmp_path / "nope.whl"],
         "does not exist"),
        (["--os", "linux", "--cpu", "sparc", "--libc", "glibc", elfs["new"]], "--cpu 'sparc'"),
        (["--os", "linux", "--cpu", "x86_64", "--libc", "uclibc", elfs["new"]], "--libc must"),
        (["--os", "linux", "--cpu", "x86_64", "--libc", "glibc", "--libc-version", "two",
          elfs["new"]], "not a version"),
        (["--os", "linux", "--cpu", "x86_64", "--libc", "glibc", TOOL], "neither a .whl"),
    ]  # fmt: skip
    broken = tmp_path / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    cases.append(
        (["--os", "linux", "--cpu", "x86_64", "--libc", "glibc", broken], "not a readable wheel")
    )
    for args, expected in cases:
        proc = _cli(*args)
        assert proc.returncode == 1, (args, proc.stderr)
        assert proc.stderr.startswith("rules_pyuv: libc audit: ") and expected in proc.stderr
        assert "Traceback" not in proc.stderr
    assert _cli("--os", "linux").returncode == 2
