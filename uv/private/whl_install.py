"""Installs one wheel into a site-packages tree inside a Bazel action (mnemonic PyWheelInstall).

    python whl_install.py --wheel PATH --out-dir DIR --manifest FILE [--python-version 3.11]

PATH is a .whl file, or a folder holding exactly one (what an sdist build outputs). The
result is one tree per wheel, shared by every target that needs the package (and by the
sdist builds that need it as a build requirement). The tree's layout, the checks and the
manifest are those of `install` in pyuv_wheel.py, the wheel library beside this script.

Runs on Python 3.8+ (the minimum of every action tool; docs/sdist-builds.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyuv_wheel import UNPACK_LIMITS, UnpackLimits, WheelError, find_wheel, install, write_manifest

# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wheel", required=True, help="a .whl file or a folder holding one")
    p.add_argument("--out-dir", required=True, help="empty folder to install into")
    p.add_argument("--manifest", required=True, help="JSON file describing the install")
    p.add_argument("--python-version", help="refuse wheels that cannot run on this CPython")
    p.add_argument("--package", help="the lock's name of the package, checked and named in errors")
    for flag, env, default, what in UNPACK_LIMITS:
        p.add_argument(flag, help=f"most {what} (default: ${env}, else {default})")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        limits = UnpackLimits.from_args(
            {flag: getattr(args, flag[2:].replace("-", "_")) for flag, *_ in UNPACK_LIMITS},
            WheelError,
        )
        wheel = find_wheel(Path(args.wheel))
        manifest = install(wheel, Path(args.out_dir), args.python_version, limits, args.package)
    except WheelError as e:
        what = f"the wheel of {args.package}" if args.package else "a wheel"
        print(f"rules_pyuv: installing {what} failed: {e}", file=sys.stderr)
        return 1
    write_manifest(manifest, Path(args.manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
