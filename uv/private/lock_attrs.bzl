"""Attributes shared by uv_lock (WORKSPACE) and uv.lock (bzlmod), and their use."""

load(":hub_render.bzl", "render_hub")
load(":lock.bzl", "parse_lock")
load(":planner.bzl", "plan_hub")

LOCK_ATTRS = {
    "auth_patterns": attr.string_dict(
        doc = "Authorization header patterns per host for the artifact downloads, as in " +
              "http_archive (credentials come from netrc).",
    ),
    "build_dependencies": attr.string_list_dict(
        doc = "Per-package build requirements for sdist builds, replacing the build " +
              "dependency group for that package: {\"pkg\": [\"setuptools\", \"cython\"]}. " +
              "Every name must be locked.",
    ),
    "console_scripts": attr.string_list_dict(
        doc = "Console scripts to expose as @<hub>//<package>:<script>, per package: " +
              "{\"black\": [\"black\", \"blackd\"]}. uv.lock does not record entry " +
              "points, so the names are given here; each is checked against the installed " +
              "wheel when built.",
    ),
    "build_dependency_group": attr.string(
        default = "build",
        doc = "Dependency group of the lock's root project whose packages are the default " +
              "build requirements of sdists.",
    ),
    "lockfile": attr.label(
        mandatory = True,
        allow_single_file = True,
        doc = "The uv.lock file.",
    ),
    "netrc": attr.string(
        doc = "netrc file with index credentials; default $NETRC, else ~/.netrc.",
    ),
    "no_binary_packages": attr.string_list(
        doc = "Packages always built from their sdist, even where the lock lists wheels.",
    ),
    "python_version": attr.string(
        doc = "Default target Python version (\"3.11\"); default: the lowest the lock allows.",
    ),
}

def plan_lock(attrs, hub, lock_path, text):
    """Parses a lock and plans its hub from front-door attributes.

    Args:
      attrs: the uv_lock attributes or the uv.lock tag.
      hub: the hub repository's name.
      lock_path: the lock's path object (its dirname anchors path sources).
      text: the lock's content.

    Returns:
      A struct with `plan` (planner.bzl), `files` (the hub's files) and
      `artifact_paths` (absolute paths of path-sourced artifacts, by repository).
    """
    lockfile = str(attrs.lockfile)
    plan = plan_hub(
        parse_lock(text, lockfile),
        hub = hub,
        lockfile = lockfile,
        python_version = attrs.python_version,
        no_binary_packages = attrs.no_binary_packages,
        build_dependency_group = attrs.build_dependency_group,
        build_dependencies = attrs.build_dependencies,
        console_scripts = attrs.console_scripts,
    )
    paths = {}
    for a in plan["artifacts"]:
        if a["path"]:
            paths[a["repo"]] = a["path"] if a["path"].startswith("/") else "%s/%s" % (lock_path.dirname, a["path"])
    return struct(plan = plan, files = render_hub(plan), artifact_paths = paths)

def artifact_kwargs(plan, artifact_paths, attrs):
    """Yields the uv_artifact keyword arguments of every artifact of a plan.

    Args:
      plan: the plan.
      artifact_paths: from plan_lock.
      attrs: the front door's attributes (for netrc and auth_patterns).

    Returns:
      A list of dicts.
    """
    return [{
        "name": a["repo"],
        "filename": a["filename"],
        "urls": [a["url"]] if a["url"] else [],
        "path": artifact_paths.get(a["repo"], ""),
        "sha256": a["sha256"],
        "package": a["package"],
        "version": a["version"],
        "lockfile": plan["lockfile"],
        "netrc": attrs.netrc,
        "auth_patterns": attrs.auth_patterns,
    } for a in plan["artifacts"]]
