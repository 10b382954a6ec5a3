"""py_console_script_binary: runs a console script of a package from a hub."""

load(":exec_tools.bzl", "py_tool_attr", "py_tools_exec_groups", "run_py_tool_for_output")
load(":providers.bzl", "PyWheelsInfo")
load(":py_binary.bzl", "py_binary")

def _console_script_main_impl(ctx):
    info = ctx.attr.pkg[PyWheelsInfo]
    if not info.manifest:
        fail("%s: pkg must be a package of a hub, not an extra" % ctx.label)
    out = ctx.actions.declare_file(ctx.label.name + ".py")
    return run_py_tool_for_output(
        ctx,
        ctx.attr._tool,
        out,
        arguments = [
            "--manifest",
            info.manifest.path,
            "--package",
            info.package,
            "--script",
            ctx.attr.script,
            "--out",
            out.path,
        ],
        inputs = [info.manifest],
        mnemonic = "PyConsoleScript",
        progress_message = "Writing the entry point of %s" % ctx.label,
    )

console_script_main = rule(
    implementation = _console_script_main_impl,
    doc = "The main file of a console script, read from the installed wheel's entry points.",
    attrs = {
        "pkg": attr.label(mandatory = True, providers = [PyWheelsInfo]),
        "script": attr.string(doc = "Script name; default: the package's main script."),
        "_tool": py_tool_attr("//py/private:console_script_tool"),
    },
    exec_groups = py_tools_exec_groups(),
)

def py_console_script_binary(name, pkg, script = "", deps = [], **kwargs):
    """A runnable console script (entry point) of a package from a hub.

    uv.lock does not record entry points, so the script is looked up in the installed
    wheel when building: `bazel run //tools:black -- --check .`.

    Args:
      name: target name.
      pkg: the package, e.g. "@pypi//black".
      script: the console script; default: the one named like the package, or the
        package's only one.
      deps: further packages the script needs (e.g. plugins).
      **kwargs: anything py_binary takes (args, env, data, visibility, ...).
    """
    console_script_main(
        name = name + "_entry_point",
        pkg = pkg,
        script = script,
        tags = kwargs.get("tags", []),
        visibility = ["//visibility:private"],
    )
    py_binary(
        name = name,
        srcs = [":" + name + "_entry_point"],
        main = ":" + name + "_entry_point",
        deps = [pkg] + deps,
        launcher_env = kwargs.pop("env", {}),
        launcher_args = kwargs.pop("args", []),
        **kwargs
    )
