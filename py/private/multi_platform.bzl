"""Builds targets for several platforms in one build (a 1:N split transition)."""

def _platform_key(label):
    # Output group names must be identifiers.
    key = "".join([c if c.isalnum() else "_" for c in str(label).elems()])
    return key.lstrip("_")

def _split_platforms_impl(settings, attr):
    _ = settings  # @unused
    return {
        _platform_key(p): {"//command_line_option:platforms": str(p)}
        for p in attr.platforms
    }

_split_platforms = transition(
    implementation = _split_platforms_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _multi_platform_files_impl(ctx):
    groups = {}
    all_files = []
    for key, targets in ctx.split_attr.srcs.items():
        files = depset(transitive = [t[DefaultInfo].files for t in targets])
        groups[key] = files
        all_files.append(files)
    return [
        DefaultInfo(files = depset(transitive = all_files)),
        OutputGroupInfo(**groups),
    ]

multi_platform_files = rule(
    implementation = _multi_platform_files_impl,
    doc = """Builds `srcs` once for each of `platforms`, in a single build.

Each platform's files are also an output group named after the platform label with
non-alphanumeric characters replaced by "_" (e.g. `platforms_linux_aarch64` for
`//platforms:linux_aarch64`).""",
    attrs = {
        "platforms": attr.label_list(
            mandatory = True,
            doc = "Target platforms to build srcs for.",
        ),
        "srcs": attr.label_list(
            cfg = _split_platforms,
            mandatory = True,
            doc = "Targets to build for every platform.",
        ),
        # Bazel 4.2 – 6 require it on rules with Starlark transitions; 7+ ignore it.
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
