"""uv workspaces: which locked packages are members, where they live, their Bazel targets.

A uv.lock of a workspace lists its members by name in `[manifest] members`; each member
is a `[[package]]` whose source is `editable`, `virtual` or `directory` and names the
member's directory relative to the lock. A lock without `[manifest]` has one member: the
local package at "." (the project itself). Local packages that are not members
(`directory` or `editable` sources elsewhere in the repository) are *local sources*: the
hub builds a wheel of them in an action.

Members are the user's own code, so the hub never installs them: a member that another
package needs resolves to the member's Bazel target, by default
`//<member directory>:<member name as a label>` in the repository that holds the lock
(e.g. member `greet-lib` at `libs/greet` -> `//libs/greet:greet_lib`), or the label the
front door's `members` attribute gives it.
"""

load(":graph.bzl", "strongly_connected_components")
load(":markers.bzl", "evaluate_marker", "parse_marker")
load(":names.bzl", "label_name", "normalize_name")

_LOCAL_KINDS = ["directory", "editable", "virtual"]
_RELOCK = "re-create the lock with `uv lock`"

def clean_path(path):
    """Resolves "." and ".." of a path textually.

    Leading, doubled and trailing slashes are dropped, so lock_attrs.bzl resolves absolute
    paths with it too.

    Args:
      path: a "/"-separated path.

    Returns:
      The path's parts joined by "/" ("" for "."), or None when it climbs above its start.
    """
    parts = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)

def workspace_from_lock(doc, packages, filename):
    """Reads the workspace structure of a decoded, validated lock.

    Args:
      doc: the decoded uv.lock document (for `[manifest]`).
      packages: the lock model's packages (lock.bzl), in lock order.
      filename: the lock's name, for messages.

    Returns:
      {"members": [member, ...], "local_sources": [source, ...]}, each
      {"name": PEP 503 name, "label": hub label name, "kind": source kind,
       "path": the source path as the lock writes it}, sorted by name.
    """
    manifest = doc.get("manifest", {})
    if type(manifest) != "dict":
        fail("%s: [manifest] must be a table; %s" % (filename, _RELOCK))
    names = manifest.get("members")
    local = {}
    for pkg in packages:
        if pkg["source"]["kind"] not in _LOCAL_KINDS:
            continue
        if pkg["name"] in local:
            fail(("%s: two local packages are named '%s' (sources %s \"%s\" and %s \"%s\"); a " +
                  "workspace member or local source needs a name of its own: rename one " +
                  "project in its pyproject.toml and %s") %
                 (
                     filename,
                     pkg["name"],
                     local[pkg["name"]]["source"]["kind"],
                     local[pkg["name"]]["source"]["value"],
                     pkg["source"]["kind"],
                     pkg["source"]["value"],
                     _RELOCK,
                 ))
        local[pkg["name"]] = pkg
    if names == None:
        # A single project: its own package, at ".", is the only member.
        member_names = [n for n, p in local.items() if clean_path(p["source"]["value"]) == ""]
    else:
        if type(names) != "list":
            fail("%s: [manifest] members must be a list of names; %s" % (filename, _RELOCK))
        member_names = []
        for raw in names:
            if type(raw) != "string" or not raw or normalize_name(raw).strip("abcdefghijklmnopqrstuvwxyz0123456789-") or \
               normalize_name(raw).startswith("-") or normalize_name(raw).endswith("-"):
                fail("%s: [manifest] members holds %s, which is not a package name; %s" %
                     (filename, repr(raw), _RELOCK))
            name = normalize_name(raw)
            if name in member_names:
                fail(("%s: [manifest] members names '%s' twice (as written: %s); two workspace " +
                      "members cannot share a name (PEP 503 ignores case and -_.): rename one " +
                      "in its pyproject.toml and %s") % (filename, name, ", ".join([repr(n) for n in names if normalize_name(n) == name]), _RELOCK))
            if name not in local:
                fail(("%s: [manifest] member '%s' has no [[package]] entry with a local " +
                      "source (editable, virtual or directory); %s") % (filename, name, _RELOCK))
            member_names.append(name)
    members = []
    sources = []
    for name in sorted(local):
        pkg = local[name]
        entry = {
            "name": name,
            "label": label_name(name),
            "kind": pkg["source"]["kind"],
            "path": pkg["source"]["value"],
        }
        if name in member_names:
            members.append(entry)
        elif pkg["source"]["kind"] == "virtual":
            fail(("%s: package '%s' has a virtual source (\"%s\") but is not a workspace member; " +
                  "%s") % (filename, name, pkg["source"]["value"], _RELOCK))
        else:
            sources.append(entry)
    return {"members": members, "local_sources": sources}

def _repo_prefix(lockfile):
    """"@//" for the main repository, else "@<repo>//", for labels in the lock's repository."""
    text = str(lockfile)
    prefix = text[:text.find("//")]
    if prefix in ("", "@", "@@"):
        return "@//"
    return prefix + "//"

def _join(package, path):
    return "/".join([p for p in (package, path) if p])

def _build_file(ctx, directory):
    for name in ("BUILD.bazel", "BUILD"):
        if ctx.path(directory + "/" + name).exists:
            return True
    return False

def resolve_workspace(ctx, workspace, lockfile, hub, repo_root, lock_dir, overrides, local_sources = {}):
    """Checks the workspace's directories and gives every member and local source its label.

    Args:
      ctx: a repository_ctx or module_ctx (for `path(...).exists`).
      workspace: from workspace_from_lock.
      lockfile: the lock's Label.
      hub: the hub's name, for messages.
      repo_root: absolute, normalized path of the repository that holds the lock.
      lock_dir: absolute, normalized path of the lock's directory.
      overrides: the front door's `members`: member name -> label string.
      local_sources: the front door's `local_sources`: package name -> label string.

    Returns:
      The workspace with, on every member and local source, "target": the label of its
      Bazel target (the member's library, or the filegroup of a local source's files), and
      "missing": "" or the message that building a dependent must fail with.
    """
    prefix = _repo_prefix(lockfile)
    lockfile = str(lockfile)
    lock_rel = lock_dir[len(repo_root):].strip("/")
    by_name = {m["name"]: m for m in workspace["members"]}
    sources_by_name = {s["name"]: s for s in workspace["local_sources"]}
    for what, attr, given, known in (
        ("members", "a workspace member", overrides, by_name),
        ("local_sources", "a local directory or editable source", local_sources, sources_by_name),
    ):
        for name, label in given.items():
            if normalize_name(name) not in known:
                fail(("hub \"%s\": %s names \"%s\", which is not %s of the lock %s (it has: %s)") %
                     (hub, what, name, attr, lockfile, ", ".join(sorted(known)) or "none"))
            if not label.startswith(("//", "@")) or " " in label:
                fail(("hub \"%s\": %s[\"%s\"] = \"%s\" is not an absolute label; write it as " +
                      "\"//<package>:<target>\"") % (hub, what, name, label))
    given_members = {normalize_name(k): v for k, v in overrides.items()}
    given_sources = {normalize_name(k): v for k, v in local_sources.items()}
    out = {"members": [], "local_sources": []}
    for key, entries, given in (("members", workspace["members"], given_members), ("local_sources", workspace["local_sources"], given_sources)):
        for entry in entries:
            entry = dict(entry)
            source = "%s = \"%s\"" % (entry["kind"], entry["path"])
            rel = clean_path(_join(lock_rel, entry["path"])) if not entry["path"].startswith("/") else None
            if rel == None:
                fail(("%s: package '%s' (source = { %s }) lies outside %s, the repository " +
                      "that holds the lock; a workspace member or local source must be " +
                      "inside it: move the project into the repository and %s") %
                     (lockfile, entry["name"], source, repo_root, _RELOCK))
            directory = _join(repo_root, rel)
            if not ctx.path(directory).exists:
                fail(("%s: package '%s' (source = { %s }): the directory %s does not exist; " +
                      "restore it, or remove the dependency on '%s' and %s") %
                     (lockfile, entry["name"], source, directory, entry["name"], _RELOCK))
            target_name = label_name(entry["name"]) if key == "members" else "srcs"
            if entry["name"] in given:
                target = given[entry["name"]]
                if target.startswith("//"):
                    target = prefix + target[2:]
                entry["target"] = target
                entry["missing"] = ""
            else:
                entry["target"] = "%s%s:%s" % (prefix, rel, target_name)
                entry["missing"] = ""
                if not _build_file(ctx, directory):
                    entry["missing"] = (
                        ("%s '%s' (source = { %s } in %s) has no Bazel target: create " +
                         "%s/BUILD.bazel with a %s named \"%s\" (label //%s:%s), or map it " +
                         "with %s = {\"%s\": \"//<package>:<target>\"} on hub \"%s\"") %
                        (
                            "workspace member" if key == "members" else "local source",
                            entry["name"],
                            source,
                            lockfile,
                            rel or ".",
                            "py_library" if key == "members" else "filegroup of the files its wheel is built from",
                            target_name,
                            rel,
                            target_name,
                            key,
                            entry["name"],
                            hub,
                        )
                    )
                    if hasattr(ctx, "watch"):
                        # Bazel 7.1+: creating the BUILD file re-runs the hub.
                        ctx.watch(directory + "/BUILD.bazel")
            out[key].append(entry)
    return out

def _holds(marker, menv, cache, extras):
    if not marker:
        return True
    parsed = cache.get(marker)
    if parsed == None:
        parsed = parse_marker(marker)
        cache[marker] = parsed
    return evaluate_marker(parsed, menv["env"], extras = extras + menv.get("extras", []))

def _member_dep_label(member):
    """The label a dependent uses for a member: its target, or the target that says it is missing."""
    if member["missing"]:
        return "//%s:_missing_target" % member["label"]
    return member["target"]

def _labels(deps, menv, cache, members, own = "", extras = []):
    """Hub-relative labels ("//x", "//x:extra_y") and member targets of deps that hold in menv."""
    labels = []
    for dep in deps:
        if not _holds(dep["marker"], menv, cache, extras):
            continue
        label = label_name(dep["name"])
        if dep["name"] in members:
            if dep["name"] != own:
                labels.append(_member_dep_label(members[dep["name"]]))
        else:
            labels.append("//" + label)
        for extra in dep["extras"]:
            labels.append("//%s:extra_%s" % (label, label_name(extra)))
    return sorted({label: None for label in labels}.keys())

def _package_of(label):
    return label[2:].split(":")[0] if label.startswith("//") else None

def plan_members(workspace, lock, marker_envs, hub):
    """Plans the hub package of every workspace member.

    Args:
      workspace: from resolve_workspace.
      lock: the lock model (lock.bzl).
      marker_envs: the planner's marker environments ({"name", "env", ...}).
      hub: the hub's name, for messages.

    Returns:
      {"members": [member, ...], "root": the root member's label name or ""}; a member
      (its workspace entry plus):
        "deps": {marker env: [label, ...]}   # runtime: "//pkg", "//pkg:extra_x", targets
        "extras": {extra label: {marker env: [label, ...]}}
        "groups": {group label: {marker env: [label, ...]}}
        "cycle": "" or the message of the members' dependency cycle.
    """
    members = {m["name"]: m for m in workspace["members"]}
    by_label = {m["label"]: m for m in workspace["members"]}
    packages = {p["name"]: p for p in lock["packages"] if p["name"] in members}
    cache = {}
    planned = []
    edges = {}
    for name in sorted(members):
        member = dict(members[name])
        pkg = packages[name]
        member["deps"] = {m["name"]: _labels(pkg["dependencies"], m, cache, members, own = name) for m in marker_envs}
        member["extras"] = {
            label_name(extra): {
                m["name"]: _labels(deps, m, cache, members, own = name, extras = [extra])
                for m in marker_envs
            }
            for extra, deps in pkg["optional_dependencies"].items()
        }
        member["groups"] = {
            label_name(group): {m["name"]: _labels(deps, m, cache, members) for m in marker_envs}
            for group, deps in pkg["dev_dependencies"].items()
        }
        member["cycle"] = ""
        targets = {}
        for mapping in [member["deps"]] + member["extras"].values():
            for labels in mapping.values():
                for label in labels:
                    for other in members.values():
                        if label == _member_dep_label(other) or _package_of(label) == other["label"]:
                            if other["name"] != name:
                                targets[other["label"]] = True
        edges[member["label"]] = sorted(targets)
        planned.append(member)
    planned_by_label = {m["label"]: m for m in planned}
    for cycle in strongly_connected_components(sorted(by_label), edges):
        names = [by_label[c]["name"] for c in cycle]
        for c in cycle:
            planned_by_label[c]["cycle"] = (
                ("workspace members %s of hub \"%s\" depend on each other in a cycle; Bazel " +
                 "targets cannot: move the code they share into a member that they both " +
                 "depend on, or merge them") % (", ".join(["'%s' (%s)" % (n, members[n]["target"]) for n in names]), hub)
            )
    root = [m["label"] for m in planned if clean_path(m["path"]) == ""]
    return {"members": planned, "root": root[0] if root else ""}
