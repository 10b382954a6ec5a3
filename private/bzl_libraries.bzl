"""One bzl_library per .bzl file of a package, from a table (the ruleset's own BUILD files).

It lives in the repository's top-level private/ folder so that every package of the
ruleset (uv/ and py/ alike) may load it.
"""

load("@bazel_skylib//:bzl_library.bzl", "bzl_library")

def bzl_libraries(deps):
    """Declares a public bzl_library for each .bzl file of the calling package.

    The libraries make the ruleset docs-ready (stardoc needs the transitive Starlark
    sources of a public file); tests/test_bzl_library.py checks that each one's deps are
    exactly the loads of its file.

    Args:
      deps: dict: file name without ".bzl" -> list of the bzl_library labels (or
        .bzl files of other repositories) its load statements need.
    """
    for name, loads in deps.items():
        bzl_library(
            name = name,
            srcs = [name + ".bzl"],
            visibility = ["//visibility:public"],
            deps = loads,
        )
