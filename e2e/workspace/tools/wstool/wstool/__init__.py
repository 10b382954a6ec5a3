"""The workspace's tool: adds two numbers with a C extension built from an sdist."""

import sys

from nativepkg import _native


def main() -> int:
    # Two numbers from the command line, 2 and 3 without arguments.
    a, b = (int(x) for x in (sys.argv[1:3] or ["2", "3"]))
    print(f"wstool: {a} + {b} = {_native.add(a, b)} (compiled for {_native.machine()})")
    return 0
