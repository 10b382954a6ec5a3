"""The rule behind @hub//<package>: one wheel plus the packages it depends on."""

PyWheelsInfo = provider(
    doc = "Wheels of a package from a hub, for the current target platform.",
    fields = {
        "package": "string: PEP 503 name of the package.",
        "wheel": "File: the package's own wheel (downloaded or built from its sdist).",
        "wheels": "depset of File: the package's wheel and those of its transitive " +
                  "runtime dependencies.",
    },
)

def _uv_package_impl(ctx):
    wheels = depset(
        [ctx.file.whl],
        transitive = [d[PyWheelsInfo].wheels for d in ctx.attr.deps],
    )
    return [
        PyWheelsInfo(package = ctx.attr.package, wheel = ctx.file.whl, wheels = wheels),
        DefaultInfo(files = wheels),
    ]

uv_package = rule(
    implementation = _uv_package_impl,
    doc = "A package of a hub: its wheel for the target platform and its dependencies.",
    attrs = {
        "deps": attr.label_list(
            providers = [PyWheelsInfo],
            doc = "Packages this one needs at run time on the target platform.",
        ),
        "package": attr.string(mandatory = True, doc = "PEP 503 name of the package."),
        "whl": attr.label(
            mandatory = True,
            allow_single_file = [".whl"],
            doc = "The wheel for the target platform.",
        ),
    },
    provides = [PyWheelsInfo],
)
