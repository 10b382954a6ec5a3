"""py_venv: a virtual environment folder with a target's dependencies, for IDEs."""

load(":exec_tools.bzl", "py_tool_attr", "py_tools_exec_groups", "run_py_tool_for_output")
load(":interpreter.bzl", "PY_TOOLCHAIN_TYPE")
load(":providers.bzl", "PyDepsInfo", "check_python_version", "installed_trees", "merge_deps")

def _up_to_execroot(out):
    # From bazel-out/<cfg>/bin/<short path>/lib/pythonX.Y/site-packages up to the
    # execroot's workspace folder, whose top-level entries link to the source tree.
    return "/".join([".."] * (6 + len(out.short_path.split("/"))))

def _py_venv_impl(ctx):
    python = ctx.toolchains[PY_TOOLCHAIN_TYPE].py_interpreter
    if not python.interpreter_path:
        fail("%s: py_venv needs an interpreter toolchain with interpreter_path (an IDE runs it " +
             "outside Bazel)" % ctx.label)
    info = merge_deps(ctx.attr.deps)
    check_python_version(ctx, info, python)
    out = ctx.actions.declare_directory(ctx.label.name)
    args = ctx.actions.args()
    args.add("venv")
    args.add("--out", out.path)
    args.add("--python", python.interpreter_path)
    args.add("--python-version", python.python_version)
    for tree, manifest in installed_trees(ctx, info):
        args.add("--tree", "%s:%s" % (tree.path, manifest.path))
    up = _up_to_execroot(out)
    for root in info.imports.to_list() + [ctx.workspace_name]:
        # Import roots of the main repository, reached through the execroot.
        if root == ctx.workspace_name or root.startswith(ctx.workspace_name + "/"):
            args.add("--pth", up + root[len(ctx.workspace_name):])
    return run_py_tool_for_output(
        ctx,
        ctx.attr._venv_tool,
        out,
        arguments = [args],
        inputs = depset(transitive = [info.site_packages, info.manifests]),
        mnemonic = "PyVenv",
        progress_message = "Creating virtual environment %s" % ctx.label,
    )

py_venv = rule(
    implementation = _py_venv_impl,
    doc = """A virtual environment folder (bazel-bin/<package>/<name>) for IDEs.

It holds the target platform's interpreter (bin/python), every third-party package of
`deps` installed in lib/pythonX.Y/site-packages, their console scripts in bin/, and a
.pth file that puts the workspace's import roots on sys.path.""",
    attrs = {
        "deps": attr.label_list(
            providers = [PyDepsInfo],
            doc = "py_library targets and hub packages to install.",
        ),
        "_venv_tool": py_tool_attr("//py/private:venv_tool"),
    },
    toolchains = [PY_TOOLCHAIN_TYPE],
    exec_groups = py_tools_exec_groups(),
)
