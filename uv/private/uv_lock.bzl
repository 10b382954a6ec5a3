"""uv_lock: the WORKSPACE front door (Bazel 4.2 – 6)."""

load(":hub_render.bzl", "render_install_deps")
load(":hub_repo.bzl", "write_hub")
load(":lock_attrs.bzl", "LOCK_ATTRS", "front_door_settings", "plan_lock")
load(":starlark_quote.bzl", "quote")

def _uv_lock_impl(rctx):
    plan = plan_lock(rctx, rctx.attr, rctx.name)
    rctx.file("WORKSPACE", "workspace(name = %s)\n" % quote(rctx.name))
    write_hub(rctx, plan)
    rctx.file("repositories.bzl", render_install_deps(plan, front_door_settings(rctx.attr)))

uv_lock = repository_rule(
    implementation = _uv_lock_impl,
    doc = """Creates the hub repository `name` from a uv.lock.

Then `load("@<name>//:repositories.bzl", "install_deps")` and call `install_deps()` to
declare one repository per artifact file; they are fetched only when a build needs them.
Labels: `@<name>//<package>`, `@<name>//<package>:whl`, `@<name>//<package>:extra_<x>`.""",
    attrs = LOCK_ATTRS,
)
