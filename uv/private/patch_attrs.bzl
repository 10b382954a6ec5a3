"""The patches of one install or build action: the rule attributes and the tool's flags.

uv_package (post-install patches) and sdist_build (pre-build patches) take the same two
attributes and hand them alike to their tool (whl_install.py, build_helper.py, both
applying them with patch_tool.py). The hub's front-door attributes are in patches.bzl.
"""

def patch_attrs(applied_to):
    """Returns the `patches` and `patch_strip` attributes of a rule.

    Args:
      applied_to: what the patches change, for the doc, e.g. "the installed tree".

    Returns:
      A dict of attributes for rule(attrs = ...).
    """
    return {
        "patch_strip": attr.int(
            default = 1,
            doc = "Leading name components the patches' file names lose, like `patch -pN`.",
        ),
        "patches": attr.label_list(
            allow_files = True,
            doc = "Unified diffs applied to %s, in order (docs/patches.md)." % applied_to,
        ),
    }

def patch_flags(ctx):
    """The tool's flags for the rule's patches (patch_attrs).

    Args:
      ctx: the context of a rule with patch_attrs().

    Returns:
      A list of strings: `--patch FILE` per patch, in order, then `--patch-strip N`;
      empty without patches.
    """
    flags = []
    for patch in ctx.files.patches:
        flags += ["--patch", patch.path]
    if flags:
        flags += ["--patch-strip", str(ctx.attr.patch_strip)]
    return flags
