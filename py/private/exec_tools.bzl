"""The exec group for actions that run Python tools (installs, checks, venvs).

Those actions name their exec group explicitly: with Bazel 7+'s automatic exec groups an
action that runs a toolchain's tool must name its exec group or toolchain, and
ctx.actions.run(toolchain = ...) does not exist in Bazel 4.2, while exec_group = ... works
in both. Any execution platform with a Python interpreter will do.
"""

PY_TOOLS_EXEC_GROUP = "py_tools"

_EXEC_PY = str(Label("//py:exec_toolchain_type"))

def py_tools_exec_groups():
    """Returns the exec_groups dict for rules whose actions run Python tools.

    Returns:
      A dict suitable for rule(exec_groups = ...).
    """
    return {PY_TOOLS_EXEC_GROUP: exec_group(toolchains = [_EXEC_PY])}

def py_tools_interpreter(ctx):
    """Returns the PyInterpreterInfo that runs the rule's Python tool actions.

    Args:
      ctx: the context of a rule declared with py_tools_exec_groups().

    Returns:
      The interpreter resolved for the py_tools exec group.
    """
    return ctx.exec_groups[PY_TOOLS_EXEC_GROUP].toolchains[_EXEC_PY].py_interpreter
