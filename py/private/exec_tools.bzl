"""Running a Python tool as a build action: the tool, its exec group, one way to run it.

Every rule of rules_pyuv whose action runs an interpreter goes through run_py_tool, so the
interpreter and the tool's files (its script and the libraries it imports) reach the
action's inputs the same way everywhere, and the action names its exec group.

Actions name their exec group explicitly: with Bazel 7+'s automatic exec groups an action
that runs a toolchain's tool must name its exec group or toolchain, and
ctx.actions.run(toolchain = ...) does not exist in Bazel 4.2, while exec_group = ... works
in both. For the py_tools group any execution platform with a Python interpreter will do.

An action may also run its tool as a Bazel persistent worker (worker.py beside this file):
the command line is then `python -S worker.py tool.py @params`, which runs the tool once
wherever workers are not used (remote execution, --strategy=...=sandboxed) and lets Bazel's
worker strategy keep one interpreter per tool that serves many actions in process.
"""

load(":interpreter.bzl", "PY_EXEC_TOOLCHAIN_TYPE", "interpreter_executable")
load(":scripts.bzl", "implicit_file_attr")

PY_TOOLS_EXEC_GROUP = "py_tools"

PyActionToolInfo = provider(
    doc = "A Python script run inside actions, with the modules it imports.",
    fields = {
        "files": "depset of File: the script, its modules and worker.py (all inputs of the action).",
        "main": "File: the script the interpreter runs.",
        "worker": "File: worker.py, which runs main as a persistent worker or once.",
    },
)

def _py_action_tool_impl(ctx):
    files = depset([ctx.file.main, ctx.file._worker] + ctx.files.srcs)
    return [
        PyActionToolInfo(main = ctx.file.main, files = files, worker = ctx.file._worker),
        DefaultInfo(files = files),
    ]

py_action_tool = rule(
    implementation = _py_action_tool_impl,
    doc = "A stdlib-only Python script that rules run as an action, with the modules " +
          "beside it that it imports (found on sys.path[0], the script's folder).",
    attrs = {
        "main": attr.label(
            mandatory = True,
            allow_single_file = [".py"],
            doc = "The script.",
        ),
        "srcs": attr.label_list(
            allow_files = [".py"],
            doc = "Modules the script imports; they must sit in the script's folder.",
        ),
        "_worker": implicit_file_attr("//py/private:worker.py"),
    },
    provides = [PyActionToolInfo],
)

def py_tool_attr(tool):
    """The private attribute that holds a py_action_tool.

    Args:
      tool: label string of the py_action_tool, e.g. "//py/private:venv_tool".

    Returns:
      An attr.label for a rule's attrs (conventionally "_tool").
    """
    return attr.label(default = Label(tool), providers = [PyActionToolInfo])

def py_tools_exec_groups():
    """Returns the exec_groups dict for rules whose actions run Python tools.

    Returns:
      A dict suitable for rule(exec_groups = ...).
    """
    return {PY_TOOLS_EXEC_GROUP: exec_group(toolchains = [PY_EXEC_TOOLCHAIN_TYPE])}

def py_tools_interpreter(ctx):
    """Returns the PyInterpreterInfo that runs the rule's Python tool actions.

    Args:
      ctx: the context of a rule declared with py_tools_exec_groups().

    Returns:
      The interpreter resolved for the py_tools exec group.
    """
    return ctx.exec_groups[PY_TOOLS_EXEC_GROUP].toolchains[PY_EXEC_TOOLCHAIN_TYPE].py_interpreter

def run_py_tool(
        ctx,
        tool,
        arguments,
        outputs,
        mnemonic,
        progress_message,
        inputs = [],
        env = {},
        python = None,
        exec_group = PY_TOOLS_EXEC_GROUP,
        python_flags = [],
        worker = False):
    """Runs a py_action_tool with an exec interpreter: `python [flags] tool.py arguments...`.

    Args:
      ctx: the rule context.
      tool: the py_action_tool target (e.g. ctx.attr._tool).
      arguments: the tool's arguments: strings and Args objects.
      outputs: the action's outputs.
      mnemonic: the action's mnemonic.
      progress_message: what Bazel prints while it runs.
      inputs: the files the tool reads besides itself: a list or a depset.
      env: the action's environment; PYTHONDONTWRITEBYTECODE=1 is always set, so no
        .pyc lands next to the tool's modules.
      python: the PyInterpreterInfo to run; default: the one of the py_tools exec group.
      exec_group: the exec group the action runs in; python must have been resolved for
        it (py_tools by default).
      python_flags: further interpreter options before the script (-S is always given).
      worker: run the tool through worker.py with its arguments in a params file, so that
        Bazel may run it as a persistent worker (the tool's main(argv) is then called in a
        long-lived process); arguments must then be strings.
    """
    if python == None:
        python = py_tools_interpreter(ctx)
    info = tool[PyActionToolInfo]
    direct = [python.interpreter] if python.interpreter else []
    if type(inputs) == "depset":
        transitive = [info.files, inputs]
    else:
        direct = direct + inputs
        transitive = [info.files]
    action_env = {"PYTHONDONTWRITEBYTECODE": "1"}
    action_env.update(env)

    # -S: the tools use the standard library only, and no .pth hook or sitecustomize
    # of the interpreter's site-packages may run inside a build action.
    command = ["-S"] + python_flags
    tools = []
    requirements = {}
    if worker:
        for arg in arguments:
            if type(arg) != "string":
                fail("run_py_tool(worker = True) takes string arguments, got %s" % type(arg))
        params = ctx.actions.args()
        params.add_all(arguments)

        # Workers need the arguments in a flag file; Bazel sends its lines as the request.
        params.use_param_file("@%s", use_always = True)
        params.set_param_file_format("multiline")
        command = command + [info.worker.path, info.main.path, params]

        # As the spawn's tools the scripts are part of the worker's key (editing them starts
        # a new worker), and the worker strategy refuses a spawn without tools. Bazel 4.2
        # counts only executables' files as tools, not plain Files given in `tools`, hence
        # the target's files_to_run.
        tools = [tool[DefaultInfo].files_to_run]
        requirements["supports-workers"] = "1"
    else:
        command = command + [info.main.path] + arguments
    ctx.actions.run(
        executable = interpreter_executable(python),
        arguments = command,
        inputs = depset(direct, transitive = transitive),
        tools = tools,
        outputs = outputs,
        mnemonic = mnemonic,
        progress_message = progress_message,
        env = action_env,
        exec_group = exec_group,
        execution_requirements = requirements,
    )

def run_py_tool_for_output(ctx, tool, out, **kwargs):
    """Runs a py_action_tool that writes `out`, the rule's one output (see run_py_tool).

    Args:
      ctx: the rule context.
      tool: the py_action_tool target.
      out: the File or directory the tool writes.
      **kwargs: run_py_tool's other arguments (arguments, mnemonic, inputs, ...).

    Returns:
      The rule's providers: a DefaultInfo holding `out`.
    """
    run_py_tool(ctx, tool, outputs = [out], **kwargs)
    return [DefaultInfo(files = depset([out]))]
