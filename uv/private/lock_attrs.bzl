"""Attributes shared by uv_lock (WORKSPACE) and uv.lock (bzlmod), and the plan they make.

Each front door plans a lock once, here; the repository rule that writes the hub (uv_lock,
or uv_hub under bzlmod) renders it once, and every artifact repository gets its
arguments from uv_artifact_kwargs (artifact.bzl).
"""

load(":explain_render.bzl", "add_explain_data")
load(":lock.bzl", "parse_lock")
load(":names.bzl", "requirement_name")
load(":overrides.bzl", "OVERRIDE_ATTRS", "override_settings")
load(":patches.bzl", "PATCH_ATTRS", "add_patches")
load(":planner.bzl", "plan_hub")
load(":text.bzl", "prose")
load(":toml.bzl", "decode_toml")
load(":workspace.bzl", "clean_path", "resolve_workspace")

LOCK_ATTRS = {
    "allowed_path_roots": attr.string_list(
        doc = prose("""
            Absolute directories outside the lock's repository from which the lock may take path
            artifacts (`source = { path = ... }`). By default a path must stay inside the
            repository that holds the lock: the lock is untrusted input.
        """),
    ),
    "auth_patterns": attr.string_dict(
        doc = prose("""
            Authorization header patterns per host for the artifact downloads, as in
            http_archive (credentials come from netrc).
        """),
    ),
    "build_dependencies": attr.string_list_dict(
        doc = prose("""
            Per-package build requirements for sdist builds, replacing the build dependency
            group for that package: {"pkg": ["setuptools", "cython"]}. Every name must be
            locked.
        """),
    ),
    "console_scripts": attr.string_list_dict(
        doc = prose("""
            Console scripts to expose as @<hub>//<package>:<script>, per package: {"black":
            ["black", "blackd"]}. uv.lock does not record entry points, so the names are given
            here; each is checked against the installed wheel when built.
        """),
    ),
    "build_dependency_group": attr.string(
        default = "build",
        doc = prose("""
            Dependency group of the lock's root project whose packages are the default build
            requirements of sdists.
        """),
    ),
    "credential_hosts": attr.string_list(
        doc = prose("""
            Hosts, besides those of the lock's registries (`source.registry` of its packages),
            to which netrc credentials may be sent (over https), e.g. an index's separate file
            host.
        """),
    ),
    "local_sources": attr.string_dict(
        doc = prose("""
            Per local directory or editable source of the lock that is not a workspace member:
            the filegroup of the files its wheel is built from, when it is not
            `//<directory>:srcs`: {"localdir": "//third_party/localdir:files"}.
        """),
    ),
    "lockfile": attr.label(
        mandatory = True,
        allow_single_file = True,
        doc = "The uv.lock file.",
    ),
    "members": attr.string_dict(
        doc = prose("""
            Per workspace member: its Bazel target, when it is not the convention's `//<member
            directory>:<member name>` (name with `_` for `-` and `.`): {"lib-b": "//libs/b"}.
            See docs/workspaces.md.
        """),
    ),
    "netrc": attr.string(
        doc = "netrc file with index credentials; default $NETRC, else ~/.netrc.",
    ),
    "netrc_default": attr.bool(
        default = False,
        doc = prose("""
            Use the netrc `default` entry's credentials, for the hosts in credential_hosts only
            (never for a host that only the lock names).
        """),
    ),
    "no_binary_packages": attr.string_list(
        doc = "Packages always built from their sdist, even where the lock lists wheels.",
    ),
    "platforms": attr.string_list(
        doc = prose("""
            The target platforms (os_cpu: "linux_x86_64", "linux_aarch64", "macos_x86_64",
            "macos_aarch64", "windows_x86_64", "windows_aarch64") the hub plans; default: all of
            them. Planning fewer makes the hub faster to evaluate; a build for another platform
            fails naming the hub and this attribute.
        """),
    ),
    "python_versions": attr.string_list(
        doc = prose("""
            The Python minor versions ("3.11") the hub plans, and --@<hub>//:python_version
            accepts; default: every one the lock's requires-python allows. python_version must
            be one of them.
        """),
    ),
    "python_version": attr.string(
        doc = prose("""
            Default target Python version ("3.11"), or the full release ("3.11.7") when the lock
            picks packages by python_full_version within it; default: the lowest the lock
            allows.
        """),
    ),
}

LOCK_ATTRS.update(PATCH_ATTRS)
LOCK_ATTRS.update(OVERRIDE_ATTRS)

def _normalize(path):
    """Resolves "." and ".." of an absolute path textually; None if it climbs above the root."""
    prefix = ""
    if path[1:3] == ":/":
        # A Windows drive path, as Bazel writes them: "C:/x".
        prefix, path = path[:2], path[2:]
    if not path.startswith("/"):
        return None
    cleaned = clean_path(path)
    return None if cleaned == None else prefix + "/" + cleaned

def _is_absolute(path):
    return path.startswith("/") or path[1:3] == ":/"

def _inside(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")

def _repository_root(lockfile, lock_path):
    """The directory of the repository that holds the lock (the workspace, usually)."""
    depth = 1 + (len(lockfile.package.split("/")) if lockfile.package else 0)
    return _normalize("/".join(str(lock_path).split("/")[:-depth]))

def _local_path(artifact, attrs, hub, lock_dir, roots):
    """The absolute path of a path artifact, which must stay inside one of roots."""
    raw = artifact["path"]
    joined = raw if _is_absolute(raw) else "%s/%s" % (lock_dir, raw)
    path = _normalize(joined)
    for root in roots:
        if path and _inside(path, root):
            return path
    fail(("%s: %s %s: the path artifact \"%s\" is outside %s, the repository that holds " +
          "the lock. A lock may only name local files inside its own repository; if this " +
          "file is meant, add its directory to allowed_path_roots of hub \"%s\".") %
         (str(attrs.lockfile), artifact["package"], artifact["version"], raw, roots[0], hub))

def _requirements(doc):
    """The requirement strings of a decoded pyproject.toml, wherever uv reads them."""
    project = doc.get("project")
    project = project if type(project) == "dict" else {}
    lists = [project.get("dependencies")]
    for table in (project.get("optional-dependencies"), doc.get("dependency-groups")):
        if type(table) == "dict":
            lists.extend(table.values())
    uv = doc.get("tool", {}).get("uv") if type(doc.get("tool")) == "dict" else None
    if type(uv) == "dict":
        lists.append(uv.get("dev-dependencies"))
    out = []
    for items in lists:
        if type(items) == "list":
            # Non-strings ({include-group = ...}) name no project.
            out.extend([r for r in items if type(r) == "string"])
    return out

def _spellings(ctx, lock, lock_dir, roots):
    """Project names as the pyproject.toml files of the lock's workspace write them.

    uv.lock holds only normalized names, so `Zope.Interface` is found in the files the
    lock was made from: the root project next to the lock and every local package
    (workspace members), as long as they are inside the lock's repository.
    """
    dirs = ["."] + [p["source"]["value"] for p in lock["packages"] if p["local"]]
    seen = {}
    names = []
    for directory in dirs:
        path = _normalize(directory if _is_absolute(directory) else "%s/%s" % (lock_dir, directory))
        if not path or path in seen or not [r for r in roots if _inside(path, r)]:
            continue
        seen[path] = True
        pyproject = ctx.path(path + "/pyproject.toml")
        if not pyproject.exists:
            continue
        doc = decode_toml(ctx.read(pyproject), str(pyproject))
        for requirement in _requirements(doc):
            name = requirement_name(requirement)
            if name:
                names.append(name)
    return names

def plan_lock(ctx, attrs, hub):
    """Reads a lock and the project files beside it, and plans its hub.

    Args:
      ctx: the repository_ctx or module_ctx that reads the files.
      attrs: the uv_lock attributes or the uv.lock tag.
      hub: the hub repository's name.

    Returns:
      The plan (planner.bzl), whose path artifacts carry their absolute "path", checked
      to stay inside the lock's repository or allowed_path_roots: each artifact is ready
      for uv_artifact_kwargs.
    """
    lockfile = str(attrs.lockfile)
    lock_path = ctx.path(attrs.lockfile)
    lock = parse_lock(ctx.read(lock_path), lockfile)
    roots = [_repository_root(attrs.lockfile, lock_path)]
    for root in attrs.allowed_path_roots:
        if not _is_absolute(root) or not _normalize(root):
            fail("hub \"%s\": allowed_path_roots entry \"%s\" is not an absolute path" % (hub, root))
        roots.append(_normalize(root))
    lock_dir = str(lock_path.dirname)
    workspace = resolve_workspace(
        ctx,
        lock["workspace"],
        attrs.lockfile,
        hub,
        roots[0],
        _normalize(lock_dir),
        attrs.members,
        attrs.local_sources,
    )
    plan = plan_hub(
        lock,
        hub = hub,
        lockfile = lockfile,
        python_version = attrs.python_version,
        no_binary_packages = attrs.no_binary_packages,
        build_dependency_group = attrs.build_dependency_group,
        build_dependencies = attrs.build_dependencies,
        console_scripts = attrs.console_scripts,
        spellings = _spellings(ctx, lock, lock_dir, roots[:1]),
        workspace = workspace,
        package_overrides = override_settings(attrs),
        platforms = attrs.platforms,
        python_versions = attrs.python_versions,
    )
    for artifact in plan["artifacts"]:
        if artifact["path"]:
            artifact["path"] = _local_path(artifact, attrs, hub, lock_dir, roots)
    add_patches(plan, attrs, hub)
    add_explain_data(plan)
    return plan

def front_door_settings(attrs):
    """The front-door attributes uv_artifact_kwargs reads, as a dict.

    Args:
      attrs: the uv_lock attributes or the uv.lock tag.

    Returns:
      A dict; the hub's repositories.bzl holds it as a literal.
    """
    return {
        "auth_patterns": dict(attrs.auth_patterns),
        "credential_hosts": list(attrs.credential_hosts),
        "netrc": attrs.netrc,
        "netrc_default": attrs.netrc_default,
    }
