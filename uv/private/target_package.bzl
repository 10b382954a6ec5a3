"""uv_target_package: a Bazel target standing in for a hub package (docs/overrides.md).

Hub packages depend on each other through PyWheelsInfo; a user's py_library has only
PyDepsInfo. This adapts one to the other, for `replace` (the whole package is the user's
target) and for targets in `extra_deps`.
"""

# uv's rules build on py's providers (the allowed direction, uv -> py).
# buildifier: disable=bzl-visibility
load("//py/private:providers.bzl", "PyDepsInfo", "PyWheelsInfo")

def _uv_target_package_impl(ctx):
    actual = ctx.attr.actual
    return [
        # No wheel: the target's files reach programs through PyDepsInfo.
        PyWheelsInfo(package = ctx.attr.package, wheel = None, wheels = depset(), manifest = None),
        actual[PyDepsInfo],
        DefaultInfo(
            files = actual[DefaultInfo].files,
            runfiles = actual[DefaultInfo].default_runfiles,
        ),
    ]

uv_target_package = rule(
    implementation = _uv_target_package_impl,
    doc = "A Python target (py_library or a hub package) used where a hub package is expected.",
    attrs = {
        "actual": attr.label(
            mandatory = True,
            providers = [PyDepsInfo],
            doc = "The target that stands in: anything with PyDepsInfo (py_library).",
        ),
        "package": attr.string(mandatory = True, doc = "The PEP 503 name it stands in for."),
    },
)
