"""py_library: first-party Python sources plus their dependencies."""

load(":providers.bzl", "PyDepsInfo", "merge_deps")

def import_roots(ctx, imports):
    """Runfiles-relative import roots for a target's `imports` attribute.

    Args:
      ctx: the rule context.
      imports: directories relative to the target's package ("." is the package).

    Returns:
      A list of runfiles-relative paths.
    """
    repo = ctx.label.workspace_name or ctx.workspace_name
    roots = []
    for imp in imports:
        if imp.startswith("/"):
            fail("%s: imports must be relative to the package, got \"%s\"" % (ctx.label, imp))
        parts = []
        for part in (ctx.label.package + "/" + imp).split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    fail("%s: import \"%s\" leaves the repository" % (ctx.label, imp))
                parts.pop()
            else:
                parts.append(part)
        roots.append("/".join([repo] + parts))
    return roots

def collect_runfiles(ctx, files):
    """Runfiles of files plus data and every dependency's runfiles.

    Args:
      ctx: a context with `data` and `deps` attributes.
      files: this target's own files.

    Returns:
      A runfiles object.
    """
    runfiles = ctx.runfiles(files = files + ctx.files.data)
    for target in ctx.attr.data + ctx.attr.deps:
        runfiles = runfiles.merge(target[DefaultInfo].default_runfiles)
    return runfiles

def _py_library_impl(ctx):
    return [
        merge_deps(
            ctx.attr.deps,
            sources = ctx.files.srcs,
            imports = import_roots(ctx, ctx.attr.imports),
        ),
        DefaultInfo(
            files = depset(ctx.files.srcs),
            runfiles = collect_runfiles(ctx, ctx.files.srcs),
        ),
    ]

PY_COMMON_ATTRS = {
    "data": attr.label_list(
        allow_files = True,
        doc = "Files needed at run time.",
    ),
    "deps": attr.label_list(
        providers = [PyDepsInfo],
        doc = "py_library targets and hub packages (@pypi//<name>).",
    ),
    "imports": attr.string_list(
        doc = "Directories, relative to this package, to put on sys.path.",
    ),
    "srcs": attr.label_list(
        allow_files = [".py"],
        doc = "Python source files.",
    ),
}

py_library = rule(
    implementation = _py_library_impl,
    doc = "Python sources and their dependencies, for py_binary, py_test and py_venv.",
    attrs = PY_COMMON_ATTRS,
    provides = [PyDepsInfo],
)
