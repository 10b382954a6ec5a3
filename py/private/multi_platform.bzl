"""Builds targets for several platforms in one build (a 1:N split transition)."""

MultiPlatformInfo = provider(
    doc = "What a multi-platform rule built for each of its platforms.",
    fields = {
        "files": "dict: str(platform label) -> depset of File, in the order of `platforms`.",
    },
)

def platform_key(label):
    """The split-transition key, and output group name, of a platform.

    Args:
      label: a platform's Label.

    Returns:
      str(label) with every non-alphanumeric character replaced by "_", without leading
      "_" (e.g. "platforms_linux_aarch64" for //platforms:linux_aarch64); output group
      names must be identifiers.
    """
    key = "".join([c if c.isalnum() else "_" for c in str(label).elems()])
    return key.lstrip("_")

def _split_platforms_impl(settings, attr):
    _ = settings  # @unused
    return {
        platform_key(p): {"//command_line_option:platforms": str(p)}
        for p in attr.platforms
    }

# A 1:N transition on --platforms: one configuration per entry of the rule's `platforms`
# attribute (a label_list), keyed by platform_key(). A rule using it needs the
# `_allowlist_function_transition` attribute (Bazel 4.2 – 6).
split_platforms = transition(
    implementation = _split_platforms_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _multi_platform_files_impl(ctx):
    groups = {}
    by_platform = {}
    all_files = []
    split = ctx.split_attr.srcs
    for platform in ctx.attr.platforms:
        key = platform_key(platform.label)
        targets = split.get(key)
        if targets == None:
            # Bazel may key the only configuration of a 1-entry split otherwise.
            targets = split.values()[0] if len(split) == 1 else []
        files = depset(transitive = [t[DefaultInfo].files for t in targets])
        groups[key] = files
        by_platform[str(platform.label)] = files
        all_files.append(files)
    return [
        DefaultInfo(files = depset(transitive = all_files)),
        OutputGroupInfo(**groups),
        MultiPlatformInfo(files = by_platform),
    ]

multi_platform_files = rule(
    implementation = _multi_platform_files_impl,
    doc = """Builds `srcs` once for each of `platforms`, in a single build.

Each platform's files are also an output group named after the platform label with
non-alphanumeric characters replaced by "_" (e.g. `platforms_linux_aarch64` for
`//platforms:linux_aarch64`), and a MultiPlatformInfo maps each platform label to them.""",
    attrs = {
        "platforms": attr.label_list(
            mandatory = True,
            doc = "Target platforms to build srcs for.",
        ),
        "srcs": attr.label_list(
            cfg = split_platforms,
            mandatory = True,
            doc = "Targets to build for every platform.",
        ),
        # Bazel 4.2 – 6 require it on rules with Starlark transitions; 7+ ignore it.
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    provides = [MultiPlatformInfo],
)
