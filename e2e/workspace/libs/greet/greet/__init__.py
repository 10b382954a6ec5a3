"""The workspace's library: it uses a path wheel, a directory source and an extra."""

import localdir
import platpkg
import purepkg
import splitpkg
import vendored


def lines() -> list[str]:
    return [
        "greet-lib 0.2.0",
        "purepkg: " + purepkg.hello(),
        "splitpkg: " + splitpkg.hello(),
        "vendored (path wheel): " + vendored.hello(),
        "localdir (directory): " + localdir.hello(),
        "platpkg (extra fancy): " + platpkg.hello(),
    ]
