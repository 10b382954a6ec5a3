"""How much the wheel installer and the sdist builder may unpack: the users' overrides.

The helpers (whl_install.py, build_helper.py) cap what one archive may unpack to (per
member, in all, and as a multiple of the archive's size; see docs/sdist-builds.md). Their
defaults can be raised for a build with `--action_env=RULES_PYUV_MAX_UNPACKED_SIZE=32G`
and the like: the rules read these variables from the configuration and pass them on as
the helpers' flags, so they are part of the action key and reach remote workers too.
"""

# Environment variable -> the helpers' flag. Keep in step with UNPACK_LIMITS in the helpers.
_LIMITS = {
    "RULES_PYUV_MAX_MEMBER_SIZE": "--max-member-size",
    "RULES_PYUV_MAX_UNPACK_RATIO": "--max-unpack-ratio",
    "RULES_PYUV_MAX_UNPACKED_SIZE": "--max-unpacked-size",
}

def unpack_limit_flags(ctx):
    """The helpers' flags for the limits the user set with --action_env.

    Args:
      ctx: the rule context.

    Returns:
      A list of strings (flag, value, ...), empty when every default applies.
    """
    env = ctx.configuration.default_shell_env
    flags = []
    for name in sorted(_LIMITS):
        if env.get(name):
            flags.extend([_LIMITS[name], env[name]])
    return flags
