"""The Python interpreter toolchain: its two types, provider, rule and declaring macro."""

# The toolchain types, each named once. Strings, not Labels: exec_group() in Bazel 4.2.3
# only takes strings; str() of a Label is its canonical form, which every Bazel version
# resolves the same way.

# The interpreter that runs built programs, resolved for the target platform.
PY_TOOLCHAIN_TYPE = str(Label("//py:toolchain_type"))

# The interpreter that runs build actions, resolved for their execution platform.
PY_EXEC_TOOLCHAIN_TYPE = str(Label("//py:exec_toolchain_type"))

PyInterpreterInfo = provider(
    doc = "A Python interpreter that actions and launchers can run.",
    fields = {
        "interpreter": "File: a hermetic interpreter from the build, or None.",
        "interpreter_path": "string: absolute path of an interpreter pre-installed on the " +
                            "machine that runs it, or None.",
        "python_version": "string: major.minor, e.g. \"3.11\".",
        "python_full_version": "string: major.minor.patch when declared (\"3.11.7\"), else \"\".",
        "implementation_name": "string: sys.implementation.name, e.g. \"cpython\".",
        "exec_compatible_with": "list of Label: constraints of the machines it runs on.",
        "target_compatible_with": "list of Label: constraints of the platforms it serves.",
    },
)

def interpreter_executable(info):
    """Returns the `executable` for ctx.actions.run that runs this interpreter.

    Args:
      info: a PyInterpreterInfo.

    Returns:
      The interpreter File (so Bazel stages it as an input) or its absolute path.
    """
    return info.interpreter or info.interpreter_path

def _validate_version(version):
    parts = version.split(".")
    if len(parts) not in (2, 3) or not ("".join(parts)).isdigit() or "" in parts:
        fail("python_version must be \"major.minor\" (e.g. \"3.11\") or \"major.minor.patch\", got \"%s\"" % version)
    return parts[0] + "." + parts[1], (version if len(parts) == 3 else "")

def _py_interpreter_impl(ctx):
    has_file = ctx.file.interpreter != None
    has_path = ctx.attr.interpreter_path != ""
    if has_file == has_path:
        fail("%s: set exactly one of interpreter (a label) or interpreter_path (an absolute path)" %
             ctx.label)
    if has_path and not (ctx.attr.interpreter_path.startswith("/") or
                         ctx.attr.interpreter_path[1:3] == ":\\"):
        fail("%s: interpreter_path must be absolute, got \"%s\"" %
             (ctx.label, ctx.attr.interpreter_path))
    python_version, full_version = _validate_version(ctx.attr.python_version)
    info = PyInterpreterInfo(
        interpreter = ctx.file.interpreter,
        interpreter_path = ctx.attr.interpreter_path if has_path else None,
        python_version = python_version,
        python_full_version = full_version,
        implementation_name = ctx.attr.implementation_name,
        exec_compatible_with = [c.label for c in ctx.attr.exec_constraints],
        target_compatible_with = [c.label for c in ctx.attr.target_constraints],
    )
    files = depset([ctx.file.interpreter]) if has_file else depset()
    return [
        platform_common.ToolchainInfo(py_interpreter = info),
        info,
        DefaultInfo(files = files),
    ]

py_interpreter = rule(
    implementation = _py_interpreter_impl,
    doc = "Describes one Python interpreter; wrap it in toolchain() to register it.",
    attrs = {
        "exec_constraints": attr.label_list(
            doc = "Constraints of the machines this interpreter runs on.",
        ),
        "implementation_name": attr.string(
            default = "cpython",
            doc = "sys.implementation.name of the interpreter.",
        ),
        "interpreter": attr.label(
            allow_single_file = True,
            doc = "A hermetic interpreter built or fetched by Bazel.",
        ),
        "interpreter_path": attr.string(
            doc = "Absolute path of an interpreter pre-installed on the executing machine.",
        ),
        "python_version": attr.string(
            mandatory = True,
            doc = "major.minor version of the interpreter, e.g. \"3.11\", or its full release " +
                  "(\"3.11.7\"), which a hub planned for a release checks.",
        ),
        "target_constraints": attr.label_list(
            doc = "Constraints of the target platforms this interpreter serves.",
        ),
    },
    provides = [PyInterpreterInfo],
)

def py_interpreter_toolchain(
        name,
        python_version,
        interpreter_path = None,
        interpreter = None,
        implementation_name = "cpython",
        exec_compatible_with = [],
        target_compatible_with = [],
        **kwargs):
    """Declares a Python interpreter as toolchains of rules_pyuv's two Python types.

    Creates `<name>_interpreter` (the py_interpreter) and two toolchains; register both,
    e.g. with register_toolchains("//path/to:all"):

    - `<name>`, of type @rules_pyuv//py:toolchain_type: the interpreter that runs built
      programs (py_binary/py_test launchers) on platforms matching target_compatible_with;
    - `<name>_exec`, of type @rules_pyuv//py:exec_toolchain_type: the interpreter that
      runs build actions (wheel installs, sdist builds) on execution platforms matching
      exec_compatible_with.

    Args:
      name: name of the runtime toolchain target; `<name>_exec` is the other one.
      python_version: major.minor version of the interpreter, e.g. "3.11", or its full
        release ("3.11.7"): a hub planned for a full release (its lock picks packages by
        python_full_version) only accepts an interpreter that declares that release.
      interpreter_path: absolute path of an interpreter pre-installed on the (possibly
        remote) machine that runs it, e.g. "/usr/bin/python3".
      interpreter: label of a hermetic interpreter instead of interpreter_path.
      implementation_name: sys.implementation.name, "cpython" by default.
      exec_compatible_with: constraints of the machines the interpreter runs on when it
        runs build actions.
      target_compatible_with: constraints of the target platforms whose programs it runs;
        usually the same as exec_compatible_with.
      **kwargs: common attributes (visibility, tags) applied to all targets.
    """
    py_interpreter(
        name = name + "_interpreter",
        python_version = python_version,
        interpreter_path = interpreter_path,
        interpreter = interpreter,
        implementation_name = implementation_name,
        # Not exec_/target_compatible_with: those would make the interpreter target itself
        # incompatible with other platforms instead of describing it.
        exec_constraints = exec_compatible_with,
        target_constraints = target_compatible_with,
        **kwargs
    )

    # A launcher only needs the interpreter on the target; where the launcher is written
    # does not matter. Build actions need it where they execute, whatever the target.
    native.toolchain(
        name = name,
        toolchain = ":" + name + "_interpreter",
        toolchain_type = Label(PY_TOOLCHAIN_TYPE),
        target_compatible_with = target_compatible_with,
        **kwargs
    )
    native.toolchain(
        name = name + "_exec",
        toolchain = ":" + name + "_interpreter",
        toolchain_type = Label(PY_EXEC_TOOLCHAIN_TYPE),
        exec_compatible_with = exec_compatible_with,
        **kwargs
    )
