"""bzlmod glue for the pinned uv: the `uv.tool` tag and the repository it declares."""

load(":uv_tool.bzl", "UV_TOOL_REPO", "uv_tool_repo")
load(":uv_tool_versions.bzl", "DEFAULT_UV_VERSION")

uv_tool_tag = tag_class(
    doc = "The uv that `bazel run @rules_pyuv//uv:uv` and uv_lock_test run (root module only).",
    attrs = {
        "index_url": attr.string(
            doc = "PEP 503 simple index serving uv's wheels. Default: the registry of the " +
                  "root module's first uv.lock.",
        ),
        "netrc": attr.string(doc = "netrc file with the index's credentials."),
        "sha256s": attr.string_dict(
            doc = "sha256 of uv's wheel per host key; required when version is not the default.",
        ),
        "version": attr.string(default = DEFAULT_UV_VERSION, doc = "The uv version."),
    },
)

def declare_uv_tool(module_ctx):
    """Declares @rules_pyuv_uv from the root module's `uv.tool` tag (or the defaults).

    Only the root module chooses: uv is the developer's tool, not a library's.

    Args:
      module_ctx: the uv extension's module_ctx.

    Returns:
      The root module's direct dependencies among what it declared: the repository when
      the root module is rules_pyuv itself (its MODULE.bazel brings it in), else none.
    """
    tool = None
    lockfile = None
    root_deps = []
    for mod in module_ctx.modules:
        if not mod.is_root:
            continue
        if mod.name == "rules_pyuv":
            root_deps.append(UV_TOOL_REPO)
        tags = mod.tags.tool
        if len(tags) > 1:
            fail("rules_pyuv: uv.tool() is declared %d times in module %s; declare it once" %
                 (len(tags), mod.name))
        if tags:
            tool = tags[0]
        if mod.tags.lock:
            # As a string (canonical form): what the repository rule resolves it from.
            lockfile = str(mod.tags.lock[0].lockfile)
    kwargs = {"lockfile": lockfile}
    if tool:
        kwargs.update(
            index_url = tool.index_url,
            netrc = tool.netrc,
            sha256s = tool.sha256s,
            version = tool.version,
        )
    uv_tool_repo(name = UV_TOOL_REPO, **kwargs)
    return root_deps
