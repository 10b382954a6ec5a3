"""The exec group that pins an action to a machine matching the target platform."""

# The exec interpreter's toolchain type is py's (uv -> py is the allowed direction); py
# does not publish it.
# buildifier: disable=bzl-visibility
load("//py/private:interpreter.bzl", "PY_EXEC_TOOLCHAIN_TYPE")

# Name of the exec group; pass it as exec_group = TARGET_EXEC_GROUP to ctx.actions.run.
TARGET_EXEC_GROUP = "target_platform"

# A string, not a Label: exec_group() in Bazel 4.2.3 only takes strings. str() of a Label
# is its canonical form, which every Bazel version resolves the same way.
SENTINEL_TOOLCHAIN_TYPE = str(Label("//uv/toolchains:target_platform_type"))

def target_platform_exec_groups():
    """Returns the exec_groups dict for rules whose actions must run on the target platform.

    The group holds the target-platform sentinel (exec constraints == target constraints)
    and the exec Python interpreter toolchain, so both resolve for one execution platform
    that matches the target, and the action carries that platform's exec_properties.

    Returns:
      A dict suitable for rule(exec_groups = ...).
    """
    return {
        TARGET_EXEC_GROUP: exec_group(
            toolchains = [SENTINEL_TOOLCHAIN_TYPE, PY_EXEC_TOOLCHAIN_TYPE],
        ),
    }

def target_platform_toolchains(ctx):
    """Returns the toolchains resolved for the target-platform exec group.

    Args:
      ctx: the rule context of a rule declared with target_platform_exec_groups().

    Returns:
      A struct with `platform` (TargetPlatformInfo: os, cpu) and `python`
      (PyInterpreterInfo).
    """
    toolchains = ctx.exec_groups[TARGET_EXEC_GROUP].toolchains
    return struct(
        platform = toolchains[SENTINEL_TOOLCHAIN_TYPE].target_platform,
        python = toolchains[PY_EXEC_TOOLCHAIN_TYPE].py_interpreter,
    )
