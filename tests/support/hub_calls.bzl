"""Test-only chains of lock -> plan -> render, one Starlark call each.

tests/support/starlark_bazel.py answers one call per target and passes only JSON-like
values, so a test that feeds one step's answer into the next names the whole chain here.
"""

# The steps are private to //uv; their tests load them directly.
# buildifier: disable=bzl-visibility
load("//uv/private:hub_render.bzl", "render_hub", "render_install_deps")

# buildifier: disable=bzl-visibility
load("//uv/private:lock.bzl", "parse_lock")

# buildifier: disable=bzl-visibility
load("//uv/private:planner.bzl", "plan_hub")

def plan_text(text, hub, lockfile, **kwargs):
    """The plan of hub `hub` for the lock `text` (read as `lockfile`)."""
    return plan_hub(parse_lock(text, lockfile), hub, lockfile, **kwargs)

def render_text(text, hub, lockfile, **kwargs):
    """The hub's files (render_hub) for the lock `text`."""
    return render_hub(plan_text(text, hub, lockfile, **kwargs))

def render_deps_text(text, hub, lockfile, **kwargs):
    """The hub's repositories.bzl text (render_install_deps) for the lock `text`."""
    return render_install_deps(plan_text(text, hub, lockfile, **kwargs))
