"""py_binary and py_test: a program, its runfiles and a launcher for the target's Python."""

load(":exec_tools.bzl", "py_tool_attr", "py_tools_exec_groups", "run_py_tool")
load(":interpreter.bzl", "PY_TOOLCHAIN_TYPE")
load(":providers.bzl", "PyDepsInfo", "check_python_version", "merge_deps")
load(":py_library.bzl", "PY_COMMON_ATTRS", "collect_runfiles", "import_roots")
load(":scripts.bzl", "implicit_file_attr", "runfiles_path", "shell_quote")

def _main(ctx):
    if ctx.file.main:
        return ctx.file.main
    srcs = ctx.files.srcs
    if len(srcs) == 1:
        return srcs[0]
    for src in srcs:
        if src.basename == ctx.label.name + ".py":
            return src
    if not srcs:
        fail("%s: set main or srcs: there is no Python file to run" % ctx.label)
    fail("%s: set main: srcs has %d files and none is named %s.py" %
         (ctx.label, len(srcs), ctx.label.name))

def _check_conflicts(ctx, info):
    """An action that fails when two packages install different files at one path."""
    stamp = ctx.actions.declare_file(ctx.label.name + ".packages_ok")
    args = ctx.actions.args()
    args.add("check")
    args.add("--stamp", stamp)
    args.add_all(info.manifests, before_each = "--manifest")
    run_py_tool(
        ctx,
        ctx.attr._venv_tool,
        arguments = [args],
        inputs = info.manifests,
        outputs = [stamp],
        mnemonic = "PyPackagesCheck",
        progress_message = "Checking the packages of %s for conflicting files" % ctx.label,
    )
    return stamp

def _py_executable_impl(ctx):
    python = ctx.toolchains[PY_TOOLCHAIN_TYPE].py_interpreter
    main = _main(ctx)
    srcs = ctx.files.srcs if main in ctx.files.srcs else ctx.files.srcs + [main]
    info = merge_deps(
        ctx.attr.deps,
        sources = srcs,
        imports = import_roots(ctx, ctx.attr.imports),
    )
    check_python_version(ctx, info, python)
    sites = [runfiles_path(ctx, t) + "/site-packages" for t in info.site_packages.to_list()]

    # The installed trees stay on PYTHONPATH too, so that a child process started with
    # sys.executable still finds them (without the bootstrap's isolation).
    entries = [ctx.workspace_name] + info.imports.to_list() + sites
    if python.interpreter:
        interpreter = "\"$r\"/" + shell_quote(runfiles_path(ctx, python.interpreter))
    else:
        interpreter = shell_quote(python.interpreter_path)
    env = dict(ctx.attr.launcher_env)
    for key in env:
        if not key.replace("_", "a").isalnum() or key[0].isdigit():
            fail("%s: env key \"%s\" is not a valid environment variable name" % (ctx.label, key))

    # The sources besides main, for test runners such as pytest_main.py.
    env["RULES_PYUV_SRCS"] = ":".join([runfiles_path(ctx, f) for f in srcs if f != main])
    launcher = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.expand_template(
        template = ctx.file._launcher,
        output = launcher,
        substitutions = {
            "{{ARGS}}": " ".join([
                shell_quote(ctx.expand_location(a, ctx.attr.data))
                for a in ctx.attr.launcher_args
            ]),
            "{{BOOTSTRAP}}": shell_quote(runfiles_path(ctx, ctx.file._bootstrap)),
            "{{ENV}}": "\n".join(["export %s=%s" % (k, shell_quote(env[k])) for k in sorted(env)]),
            # Paths are quoted words after "$r"/, so no character of a file name can run.
            "{{MAIN}}": shell_quote(runfiles_path(ctx, main)),
            "{{PYTHON}}": interpreter,
            "{{PYTHONPATH}}": ":".join(["\"$r\"/" + shell_quote(e) for e in entries]),
            "{{SITES}}": " ".join(["\"$r\"/" + shell_quote(e) for e in sites]),
            "{{WORKSPACE}}": shell_quote(ctx.workspace_name),
        },
        is_executable = True,
    )
    stamp = _check_conflicts(ctx, info)
    extra = [python.interpreter] if python.interpreter else []
    runfiles = collect_runfiles(ctx, srcs + extra + [launcher, ctx.file._bootstrap])
    return [
        info,
        DefaultInfo(
            executable = launcher,
            files = depset([launcher, stamp]),
            runfiles = runfiles,
        ),
    ]

_EXECUTABLE_ATTRS = dict(PY_COMMON_ATTRS)
_EXECUTABLE_ATTRS.update({
    "launcher_args": attr.string_list(
        doc = "Arguments baked into the launcher ($(location) expanded against data).",
    ),
    "launcher_env": attr.string_dict(
        doc = "Environment variables the launcher sets.",
    ),
    "main": attr.label(
        allow_single_file = [".py"],
        doc = "The file to run; default: the only src, or <name>.py.",
    ),
    "_bootstrap": implicit_file_attr("//py/private:launcher_bootstrap.py"),
    "_launcher": implicit_file_attr("//py/private:launcher.sh.tpl"),
    "_venv_tool": py_tool_attr("//py/private:venv_tool"),
})

def _executable_rule(doc, test):
    # py_binary and py_test differ only in being a test.
    kind = {"test": True} if test else {"executable": True}
    return rule(
        implementation = _py_executable_impl,
        doc = doc,
        attrs = _EXECUTABLE_ATTRS,
        provides = [PyDepsInfo],
        toolchains = [PY_TOOLCHAIN_TYPE],
        exec_groups = py_tools_exec_groups(),
        **kind
    )

py_binary = _executable_rule("A runnable Python program (see py_binary in defs.bzl).", test = False)

py_test = _executable_rule("A Python test (see py_test in defs.bzl).", test = True)
