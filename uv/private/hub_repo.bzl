"""uv_hub: the hub repository created by the bzlmod extension from a ready plan, and
write_hub, which writes a hub's files for both front doors."""

load(":hub_render.bzl", "render_case_hints", "render_hub")
load(":starlark_quote.bzl", "quote")

def hub_plan_attr(plan):
    """The plan as uv_hub's `plan` attribute.

    The artifact list stays out: the extension declares those repositories itself and
    the hub's files do not name it, so paths and URLs do not reach the hub's attributes.

    Args:
      plan: from plan_lock.

    Returns:
      JSON text.
    """
    return json.encode({k: v for k, v in plan.items() if k != "artifacts"})

def _case_sensitive(rctx, plan):
    """Whether the hub's folders may differ only in case: `FOO/` is not the written `foo/`."""
    for pkg in plan["packages"]:
        upper = pkg["label"].upper()
        if upper != pkg["label"]:
            return not rctx.path(upper + "/BUILD.bazel").exists
    return False

def write_hub(rctx, plan):
    """Writes the hub's files for a plan: the WORKSPACE front door's and uv_hub's.

    Args:
      rctx: the repository_ctx of the hub.
      plan: the plan from plan_lock.
    """
    for path, content in render_hub(plan).items():
        rctx.file(path, content)
    hints = render_case_hints(plan)
    if hints and _case_sensitive(rctx, plan):
        for path, content in hints.items():
            rctx.file(path, content)

def _uv_hub_impl(rctx):
    rctx.file("WORKSPACE", "workspace(name = %s)\n" % quote(rctx.attr.hub_name))
    write_hub(rctx, json.decode(rctx.attr.plan))

uv_hub = repository_rule(
    implementation = _uv_hub_impl,
    doc = "Writes a hub repository from a plan the module extension computed.",
    attrs = {
        "hub_name": attr.string(mandatory = True, doc = "The hub's apparent name."),
        "plan": attr.string(mandatory = True, doc = "The plan (planner.bzl) as JSON, without its artifacts."),
    },
)
