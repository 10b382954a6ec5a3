"""Module extension (bzlmod) that creates host interpreter toolchain repositories."""

load(":host_python.bzl", "python_host_toolchain")

_host_toolchain = tag_class(
    doc = "Wrap the host's Python 3 in an interpreter toolchain repository.",
    attrs = {
        "name": attr.string(
            default = "python_host",
            doc = "Name of the repository to create; register it with " +
                  "register_toolchains(\"@<name>//:all\").",
        ),
        "python": attr.string(
            default = "python3",
            doc = "Interpreter to wrap: a name looked up on PATH or an absolute path.",
        ),
    },
)

def plan_host_toolchains(modules):
    """Collects the host_toolchain tags of all modules into one repo per name.

    Args:
      modules: module_ctx.modules.

    Returns:
      A dict from repository name to its attributes.
    """
    repos = {}
    owners = {}
    for mod in modules:
        for tag in mod.tags.host_toolchain:
            attrs = {"python": tag.python}
            if tag.name in repos and repos[tag.name] != attrs:
                fail(("rules_pyuv: python.host_toolchain(name = \"%s\") is declared by modules " +
                      "%s and %s with different attributes (%s vs %s); give one a different " +
                      "name") % (tag.name, owners[tag.name], mod.name, repos[tag.name], attrs))
            repos[tag.name] = attrs
            owners[tag.name] = mod.name
    return repos

def _python_impl(module_ctx):
    for name, attrs in plan_host_toolchains(module_ctx.modules).items():
        python_host_toolchain(name = name, **attrs)

python = module_extension(
    implementation = _python_impl,
    doc = "Python interpreter toolchains for bzlmod.",
    tag_classes = {"host_toolchain": _host_toolchain},
)
