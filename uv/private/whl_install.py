"""Installs one wheel into a site-packages tree inside a Bazel action (mnemonic PyWheelInstall).

    python whl_install.py --wheel PATH --out-dir DIR --manifest FILE [--python-version 3.11]
        [--package NAME] [--built] [--target-os OS --target-cpu CPU
        [--target-libc glibc|musl --target-libc-version 2.28]]
        [--patch FILE ... [--patch-strip N]]

PATH is a .whl file, or a folder holding exactly one (what an sdist build outputs). The
result is one tree per wheel, shared by every target that needs the package (and by the
sdist builds that need it as a build requirement). The tree's layout, the checks and the
manifest are those of `install` in pyuv_wheel.py, the wheel library beside this script.

With --target-os, the wheel's ELF files are checked against the target's cpu, libc flavour
and glibc version first (libc_audit.py; --built says it came from an sdist build, which
changes the advice). With --patch, the package's post-install patches are applied to the
installed tree (patch_tool.py, all or nothing, in the order given) and the manifest and
RECORD are brought in line with the patched files (pyuv_wheel.refresh_after_patch).

Runs on Python 3.8+ (the minimum of every action tool; docs/sdist-builds.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from libc_audit import AuditError, Report, Target, check, scan_installed
from patch_tool import PatchError, apply_patches
from pyuv_wheel import (
    UNPACK_LIMITS,
    UnpackLimits,
    WheelError,
    find_wheel,
    install,
    normalize_name,
    parse_filename,
    refresh_after_patch,
    write_manifest,
)

# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wheel", required=True, help="a .whl file or a folder holding one")
    p.add_argument("--out-dir", required=True, help="empty folder to install into")
    p.add_argument("--manifest", required=True, help="JSON file describing the install")
    p.add_argument("--python-version", help="refuse wheels that cannot run on this CPython")
    p.add_argument("--package", help="the lock's name of the package, checked and named in errors")
    p.add_argument("--built", action="store_true", help="the wheel was built from an sdist")
    p.add_argument("--target-os", help="audit ELF files for this os (@platforms//os name)")
    p.add_argument("--target-cpu", help="... and this cpu (@platforms//cpu name)")
    p.add_argument("--target-libc", default="", help="... and this libc: glibc or musl")
    p.add_argument("--target-libc-version", default="", help="... and this glibc version")
    p.add_argument("--patch", action="append", default=[], help="post-install patch, in order")
    p.add_argument("--patch-strip", type=int, default=1, help="like patch -pN (default 1)")
    for flag, env, default, what in UNPACK_LIMITS:
        p.add_argument(flag, help=f"most {what} (default: ${env}, else {default})")
    return p.parse_args(argv)


def libc_audit(wheel: Path, elf: list, args: argparse.Namespace) -> str | None:
    """The libc audit's failure message for the wheel, or None when it loads on the target.

    elf holds the wheel's ELF members as installed (pyuv_wheel.install): each is read from
    the tree, where the install has just written it, instead of being inflated again.
    """
    target = Target(
        args.target_os, args.target_cpu or "", args.target_libc, args.target_libc_version
    )
    package = args.package or normalize_name(parse_filename(wheel.name)["name"])
    files = scan_installed(wheel.name, package, elf)
    report = Report(target, files, check(files, target, args.built))
    if not report.problems:
        return None
    lines = [f"libc audit: {len(report.problems)} file(s) will not load on the target {target}:"]
    lines += [f"  - {problem.message}" for problem in report.problems]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        limits = UnpackLimits.from_args(
            {flag: getattr(args, flag[2:].replace("-", "_")) for flag, *_ in UNPACK_LIMITS},
            WheelError,
        )
        wheel = find_wheel(Path(args.wheel))
        elf: list = []
        out = Path(args.out_dir)
        manifest = install(wheel, out, args.python_version, limits, args.package, elf)
        if args.target_os:
            failure = libc_audit(wheel, elf, args)
            if failure:
                # Nothing half-done stays behind: the tree of a refused wheel is emptied.
                shutil.rmtree(out)
                out.mkdir()
                print(f"rules_pyuv: {failure}", file=sys.stderr)
                return 1
        if args.patch:
            apply_patches(Path(args.out_dir), args.patch, args.patch_strip, args.package)
            manifest = refresh_after_patch(Path(args.out_dir), manifest)
    except (WheelError, AuditError) as e:
        what = f"the wheel of {args.package}" if args.package else "a wheel"
        print(f"rules_pyuv: installing {what} failed: {e}", file=sys.stderr)
        return 1
    except PatchError as e:
        # Its message names the package, the patch, the file and the hunk.
        print(f"rules_pyuv: {e}", file=sys.stderr)
        return 1
    write_manifest(manifest, Path(args.manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
