"""`uv_run`: an executable that runs the pinned uv in the user's workspace (`bazel run`)."""

def shell_quote(text):
    """Returns `text` as one single-quoted POSIX shell word.

    Args:
      text: any string.

    Returns:
      The quoted word.
    """
    return "'" + text.replace("'", "'\"'\"'") + "'"

def rlocation(ctx, file):
    """Returns the path of `file` under the runfiles root (e.g. "rules_pyuv_uv/wheel/...").

    Args:
      ctx: the rule context (for the main repository's name).
      file: a File.

    Returns:
      The runfiles-relative path.
    """
    if file.short_path.startswith("../"):
        return file.short_path[3:]
    return ctx.workspace_name + "/" + file.short_path

def _uv_run_impl(ctx):
    directory = ctx.attr.directory.strip("/")
    if directory.startswith("..") or "/../" in "/" + directory + "/":
        fail("%s: directory \"%s\" must stay inside the workspace" % (ctx.label, ctx.attr.directory))
    launcher = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = launcher,
        substitutions = {
            "{{DIRECTORY}}": shell_quote(directory or "."),
            "{{UV}}": shell_quote(rlocation(ctx, ctx.file.uv)),
        },
        is_executable = True,
    )
    return [DefaultInfo(
        executable = launcher,
        runfiles = ctx.runfiles(files = [ctx.file.uv]),
    )]

uv_run = rule(
    implementation = _uv_run_impl,
    doc = "Runs uv with `bazel run`'s arguments in the workspace root (or `directory` in it).",
    attrs = {
        "directory": attr.string(
            doc = "Directory, relative to the workspace root, that uv runs in (default: the root).",
        ),
        "uv": attr.label(
            allow_single_file = True,
            mandatory = True,
            doc = "The uv binary for the host.",
        ),
        "_template": attr.label(
            allow_single_file = True,
            default = Label("//uv/private:uv_run.sh.tpl"),
        ),
    },
    executable = True,
)
