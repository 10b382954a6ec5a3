"""The `uv` module extension: the bzlmod front door (Bazel 7+).

Thin glue: it reads the tags, plans each lock with the same code as the WORKSPACE rule,
and declares the artifact repositories and the hub, which renders the plan.
"""

load(":artifact_repos.bzl", "declare_artifact_repository")
load(":hub_repo.bzl", "hub_plan_attr", "uv_hub")
load(":lock_attrs.bzl", "LOCK_ATTRS", "plan_lock")
load(":uv_tool_extension.bzl", "declare_uv_tool", "uv_tool_tag")

_LOCK_TAG_ATTRS = dict(LOCK_ATTRS)
_LOCK_TAG_ATTRS["name"] = attr.string(
    mandatory = True,
    doc = "Name of the hub repository (bring it in with use_repo).",
)

_lock = tag_class(
    doc = "Creates hub repository `name` from the uv.lock `lockfile`.",
    attrs = _LOCK_TAG_ATTRS,
)

def _uv_impl(module_ctx):
    owners = {}
    root_hubs = []
    for mod in module_ctx.modules:
        for tag in mod.tags.lock:
            if tag.name in owners:
                fail(("rules_pyuv: uv.lock(name = \"%s\") is declared twice (by module %s and " +
                      "module %s); every hub needs its own name") %
                     (tag.name, owners[tag.name], mod.name))
            owners[tag.name] = mod.name
            if mod.is_root:
                root_hubs.append(tag.name)
            if not mod.is_root and (tag.patches or tag.sdist_patches):
                # "//x" in a hub means "@//x": the root module's files, not this module's.
                fail(("rules_pyuv: uv.lock(name = \"%s\") of module %s has patches; only the " +
                      "root module may patch packages (its labels name the main repository)") %
                     (tag.name, mod.name))
            if not mod.is_root and (tag.replace or [d for ds in tag.extra_deps.values() for d in ds if d.startswith(("//", "@"))]):
                fail(("rules_pyuv: uv.lock(name = \"%s\") of module %s replaces packages or adds " +
                      "targets to them; only the root module may (its labels name the main repository)") %
                     (tag.name, mod.name))
            plan = plan_lock(module_ctx, tag, tag.name)
            for artifact in plan["artifacts"]:
                declare_artifact_repository(artifact, tag)
            uv_hub(name = tag.name, hub_name = tag.name, plan = hub_plan_attr(plan))

    # The pinned uv (@rules_pyuv//uv:uv, uv_lock_test), fetched only when used.
    root_tools = declare_uv_tool(module_ctx)

    # Same lock, same repositories: Bazel may cache the result in the lockfile.
    return module_ctx.extension_metadata(
        root_module_direct_deps = root_hubs + root_tools,
        root_module_direct_dev_deps = [],
        reproducible = True,
    )

uv = module_extension(
    implementation = _uv_impl,
    doc = "Hub and artifact repositories from uv.lock files: uv.lock(name, lockfile, ...); " +
          "the pinned uv for the host: uv.tool(version, sha256s, index_url).",
    tag_classes = {"lock": _lock, "tool": uv_tool_tag},
)
