"""Collects one line from every dependency of the example."""

import platform

import markerpkg
import mixed_case_pkg
import nativepkg
import platpkg
import purepkg
import splitpkg


def lines() -> list[str]:
    return [
        f"machine: {platform.machine()}",
        f"purepkg: {purepkg.hello()}",
        f"markerpkg: {markerpkg.hello()}",
        f"mixed_case_pkg (extra cli): {mixed_case_pkg.hello()}",
        f"platpkg: {platpkg.hello()}",
        f"splitpkg: {splitpkg.hello()}",
        f"nativepkg: 2 + 3 = {nativepkg.add(2, 3)} (compiled for {nativepkg.machine()})",
    ]
