"""`uv_run`: an executable that runs the pinned uv in the user's workspace (`bazel run`)."""

# uv's scripts say their words the way py's launchers do (uv -> py is the allowed
# direction; py does not publish these helpers).
# buildifier: disable=bzl-visibility
load("//py/private:scripts.bzl", "implicit_file_attr", "runfiles_path", "shell_quote")

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
            "{{UV}}": shell_quote(runfiles_path(ctx, ctx.file.uv)),
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
        "_template": implicit_file_attr("//uv/private:uv_run.sh.tpl"),
    },
    executable = True,
)
