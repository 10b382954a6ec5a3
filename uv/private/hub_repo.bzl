"""uv_hub: the hub repository created by the bzlmod extension from a ready plan."""

load(":hub_render.bzl", "render_hub")
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

def _uv_hub_impl(rctx):
    rctx.file("WORKSPACE", "workspace(name = %s)\n" % quote(rctx.attr.hub_name))
    for path, content in render_hub(json.decode(rctx.attr.plan)).items():
        rctx.file(path, content)

uv_hub = repository_rule(
    implementation = _uv_hub_impl,
    doc = "Writes a hub repository from a plan the module extension computed.",
    attrs = {
        "hub_name": attr.string(mandatory = True, doc = "The hub's apparent name."),
        "plan": attr.string(mandatory = True, doc = "The plan (planner.bzl) as JSON, without its artifacts."),
    },
)
