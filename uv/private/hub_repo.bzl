"""uv_hub: the hub repository created by the bzlmod extension from a ready plan."""

load(":hub_render.bzl", "render_hub")
load(":starlark_quote.bzl", "quote")

def _uv_hub_impl(rctx):
    rctx.file("WORKSPACE", "workspace(name = %s)\n" % quote(rctx.attr.hub_name))
    for path, content in render_hub(json.decode(rctx.attr.plan)).items():
        rctx.file(path, content)

uv_hub = repository_rule(
    implementation = _uv_hub_impl,
    doc = "Writes a hub repository from a plan the module extension computed.",
    attrs = {
        "hub_name": attr.string(mandatory = True, doc = "The hub's apparent name."),
        "plan": attr.string(mandatory = True, doc = "The plan (planner.bzl) as JSON."),
    },
)
