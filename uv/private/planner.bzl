"""Plans a hub from a lock model: what every hub label resolves to in every environment.

Both front doors reach plan_hub through plan_lock (lock_attrs.bzl): the WORKSPACE
repository rule (uv_lock) and the bzlmod module extension. The plan is plain data
(JSON-serializable) that render_hub turns into files; it names one repository per
artifact file that some environment uses. Hub label names are made here, and only here.

Selection per environment:
  - the package version: the only one locked, or the one whose resolution-markers hold;
  - the artifact: the best compatible wheel (pip's tag preference order), else the sdist
    (built by sdist_build on a machine matching the target), else an `unavailable` target
    that fails with the reason; packages in no_binary_packages always take the sdist;
  - the dependencies: those whose markers hold.
Markers only see Python version, os and cpu, so versions and dependencies are computed
per "marker environment" and wheels per full environment (with libc / macOS version).

The plan:

    {
      "hub": "pypi", "lockfile": "//:uv.lock",
      "python_versions": ["3.11", ...], "default_python_version": "3.11",
      "platforms": ["linux_x86_64", ...],         # os x cpu pairs planned (`platforms`)
      "envs": [{"name": "cp311_linux_x86_64_glibc_2_17", "python_version": "3.11",
                "constraint_values": [label, ...]}, ...],    # full environments
      "marker_envs": [same keys, named like "cp311_linux_x86_64"], # os x cpu x Python
      # With tool.uv.conflicts, every env and marker env once per variant, named
      # "<env>__<variant>" and holding "variant" (the //:variant flag's value):
      "variants": {"variants": [...], "sets": [...]},   # variants.bzl; empty without
      "python_full_versions": {"3.11": "3.11.7"},        # a hub planned for a release
      "packages": [package, ...],                 # sorted by name
      "aliases": [{"folder": "Zope.Interface", "label": "zope_interface",
                   "names": ["Zope.Interface", ...]}],  # other spellings' folders
      "case_hints": [{"folder": "Zope_Interface", "label": "zope_interface"}],
      "artifacts": [artifact, ...],               # sorted by repo
    }

    package = {
      "name": "zope-interface",                   # PEP 503
      "label": "zope_interface",                  # the hub package and target name
      "whl": {env: label},                        # "@<repo>//:file", ":_build_<v>" or
                                                  # ":_unavailable_<n>"
      "deps": {marker env: ["//dep", "//dep:extra_x", ...]},
      "extras": {extra label: {marker env: [label, ...]}},
      "sdist": {marker env: "@<repo>//:file"},    # empty without an sdist
      "builds": [{"name": build_target_name(version), "version": ..., "sdist": label,
                  "deps": {marker env: [label, ...]}}],
      "unavailable": [{"name": "_unavailable_<n>", "message": ...}],
      "versions": {marker env: version or ""},
      "cycle": [label, ...],                      # members of its dependency cycle, or []
      "installed_deps": {marker env: [label, ...]},   # only when "cycle" is not empty
      "scripts": [name, ...],          # console_scripts given for it: <label>/bin:<name>
      "script_aliases": [name, ...],   # those also at <label>:<name> (the name is free there)
    }

    artifact = {
      "repo": "pypi__a_1_0_py3_none_any_whl", "filename": ..., "sha256": hex or "",
      "url": "" or URL, "path": "" or the lock's path (plan_lock makes it absolute),
      "package": ..., "version": ..., "lockfile": ...,
      "registry": the package's index URL, or "",  # where credentials may go
    }

Labels in "deps", "extras" and "builds" are hub-relative ("//x"); env and marker env
keys are the names of the hub's `_envs` and `_markers` config_settings.
"""

load(":full_version.bzl", "patch_split", "patch_split_message", "split_python_version")
load(":git_source.bzl", "sdist_stem", "uv_git_source_kwargs")
load(":graph.bzl", "strongly_connected_components")
load(":markers.bzl", "evaluate_marker", "marker_env", "parse_marker")
load(":names.bzl", "label_name", "normalize_name", "repo_safe")
load(":overrides.bzl", "apply_overrides")
load(":pep440.bzl", "version_satisfies")
load(":target_envs.bzl", "PYTHON_VERSIONS", "TARGET_PLATFORMS", "env_name", "marker_key", "platform_name", "platform_variants")
load(":variants.bzl", "plan_variants", "reach_entries")
load(
    ":wheel_tags.bzl",
    "describe_target",
    "parse_wheel_filename_shared",
    "select_parsed_wheel",
    "tag_priority_map",
)
load(":workspace.bzl", "plan_members")

def _python_versions(requires_python):
    if not requires_python:
        return list(PYTHON_VERSIONS)

    # A minor version is in when any of its releases can satisfy requires-python.
    return [
        v
        for v in PYTHON_VERSIONS
        if version_satisfies(v + ".0", requires_python) or
           version_satisfies(v + ".999", requires_python)
    ]

def _declared_platforms(platforms, hub):
    """The (os, cpu) pairs of a hub's `platforms` attribute, in TARGET_PLATFORMS order."""
    if not platforms:
        return list(TARGET_PLATFORMS)
    known = [platform_name(os, cpu) for os, cpu in TARGET_PLATFORMS]
    for name in platforms:
        if name not in known:
            fail("hub \"%s\": platforms entry \"%s\" is not a platform rules_pyuv knows; choose from %s" %
                 (hub, name, ", ".join(known)))
    return [pair for pair in TARGET_PLATFORMS if platform_name(pair[0], pair[1]) in platforms]

def _declared_python_versions(allowed, declared, hub, lockfile, requires_python):
    """The Python versions of a hub's `python_versions` attribute, among those the lock allows."""
    if not declared:
        return allowed
    for version in declared:
        if version not in allowed:
            fail(("python_versions entry \"%s\" of hub \"%s\" is not one the lock %s allows " +
                  "(requires-python \"%s\"): choose from %s") %
                 (version, hub, lockfile, requires_python, ", ".join(allowed)))
    return [v for v in allowed if v in declared]

def _environments(python_versions, platforms):
    variants = platform_variants(platforms)
    envs = []
    for py in python_versions:
        for variant in variants:
            envs.append({
                "name": env_name(py, variant),
                "python_version": py,
                "marker_key": marker_key(py, variant["os"], variant["cpu"]),
                "constraint_values": variant["constraint_values"],
                "target": {
                    "os": variant["os"],
                    "cpu": variant["cpu"],
                    "libc": variant["libc"],
                    "libc_version": variant["libc_version"],
                    "macos_version": variant["macos_version"],
                    "python_version": py,
                    "implementation": "cp",
                },
            })
    return envs

def _marker_environments(python_versions, platforms, full_versions = {}):
    menvs = []
    for py in python_versions:
        for os, cpu in platforms:
            menvs.append({
                "name": marker_key(py, os, cpu),
                "python_version": py,
                "constraint_values": [
                    str(Label("@platforms//os:" + os)),
                    str(Label("@platforms//cpu:" + cpu)),
                ],
                "env": marker_env(os, cpu, full_versions.get(py, py)),
                # Where patch releases of py are told apart (full_version.bzl).
                "platform": (os, cpu),
                "full_version": full_versions.get(py, ""),
            })
    return menvs

def _holds(marker, menv, cache, extras = []):
    """Evaluates a marker in a marker environment, parsing each marker text once."""
    if not marker:
        return True
    key = "%s\n%s\n%s" % (marker, menv["name"], ",".join(extras))
    result = cache.get(key)
    if result == None:
        parsed = cache.get(marker)
        if parsed == None:
            parsed = parse_marker(marker)
            cache[marker] = parsed
        result = evaluate_marker(parsed, menv["env"], extras = extras + menv.get("extras", []))
        cache[key] = result
    return result

def _pick_version(candidates, menv, cache):
    """The locked version of one package that the resolution uses in menv, or None."""
    if len(candidates) == 1:
        return candidates[0]
    for pkg in candidates:
        for m in pkg["resolution_markers"]:
            if _holds(m, menv, cache):
                return pkg
    return None

def _pick_entry(ctx, candidates, menv):
    """_pick_version, for a lock with conflicts: the entry its variant's edges reach."""
    if not ctx.reached:
        return _pick_version(candidates, menv, ctx.marker_cache)
    reached = ctx.reached[menv["name"]].get(candidates[0]["name"], [])
    picked = [c for c, j in zip(candidates, ctx.entry_indexes[candidates[0]["name"]]) if j in reached]
    if len(picked) == 1:
        return picked[0]
    return _pick_version(picked or candidates, menv, ctx.marker_cache) if len(picked or candidates) > 1 else candidates[0]

def _entry_key(pkg):
    # A version may be locked once per index (one per side of a conflict).
    return pkg["version"] + " " + pkg["source"]["value"]

def _with_variants(envs, variants, name_key):
    """Every environment once per variant, named <env>__<variant>, with its encoded extras."""
    if not variants:
        return envs
    out = []
    for env in envs:
        for v in variants:
            e = dict(env)
            e["name"] = "%s__%s" % (env["name"], v["suffix"])
            if name_key:
                e[name_key] = "%s__%s" % (env[name_key], v["suffix"])
            e["variant"] = v["name"]
            e["extras"] = v["extras"]
            out.append(e)
    return out

# The keys of an environment the hub's config_settings need ("variant" only with conflicts).
_ENV_KEYS = ("name", "python_version", "constraint_values", "variant")

def _entry_indexes(packages):
    """Package name -> the indexes of its lock entries, in lock order."""
    out = {}
    for i, pkg in enumerate(packages):
        out.setdefault(pkg["name"], []).append(i)
    return out

def _reach_all(packages, conflicts, marker_envs, variants):
    """Per marker environment (and variant), the entries the resolution uses; {} without variants."""
    if not variants:
        return {}
    cache = {}
    return {
        menv["name"]: reach_entries(
            packages,
            conflicts,
            menv,
            _holds,
            cache,
        )
        for menv in marker_envs
    }

def _artifact_key(artifact):
    # Two lock entries are one file only when every field that locates or checks it agrees.
    # (_artifact_repo_names writes the same key inline.)
    return json.encode([artifact["filename"], artifact["url"], artifact["path"], artifact["sha256"], artifact.get("git", "")])

def _artifact_repo_names(hub, lockfile, packages):
    """Names one repository per distinct artifact file of the lock.

    repo_safe() is lossy (`c-1.0+1-...` and `c-1.0.1-...` both become `c_1_0_1_...`), so
    names that different files would share get a content suffix (the sha256's first 12
    digits, then a counter if even that is shared). Keys are _artifact_key()s.
    """
    groups = {}
    for pkg in packages:
        artifacts = pkg["wheels"] + ([pkg["sdist"]] if pkg["sdist"] else [])
        for a in artifacts:
            # _artifact_key(a), inline: one call less per artifact of the lock.
            key = json.encode([a["filename"], a["url"], a["path"], a["sha256"], a.get("git", "")])
            groups.setdefault(repo_safe(a["filename"]), {})[key] = a
    names = {}
    for base, members in groups.items():
        if len(members) == 1:
            names[members.keys()[0]] = "%s__%s" % (hub, base)
            continue
        taken = {}
        for key in sorted(members):
            name = "%s__%s_%s" % (hub, base, members[key]["sha256"][:12] or "nohash")
            count = taken.get(name, 0)
            taken[name] = count + 1
            names[key] = name if count == 0 else "%s_%d" % (name, count)
    seen = {}
    for key, name in names.items():
        if name in seen:
            fail(("%s: artifacts %s and %s would share the repository @%s; rename one of " +
                  "the files or re-lock") % (lockfile, json.decode(seen[name])[0], json.decode(key)[0], name))
        seen[name] = key
    return names

def _dep_labels(deps, menv, cache, local_names, label_names, extras = []):
    """The labels of deps that hold in menv; label_names memoizes label_name() per name."""
    labels = []
    for dep in deps:
        # _holds() is True for no marker, the common case: no call then.
        if dep["name"] in local_names or (dep["marker"] and not _holds(dep["marker"], menv, cache, extras)):
            continue
        label = label_names.get(dep["name"])
        if label == None:
            label = label_name(dep["name"])
            label_names[dep["name"]] = label
        labels.append("//" + label)
        for extra in dep["extras"]:
            labels.append("//%s:extra_%s" % (label, label_name(extra)))
    return sorted({label: None for label in labels}.keys())

# Characters of a version that build_target_name() escapes, and their escapes: with "."
# written "_" (the common case reads "_build_1_2_3"), no codeword is a prefix of another,
# so distinct versions ("1.0+1", "1.0.1", "1.0_1") get distinct names.
_VERSION_ESCAPES = [("-", "--"), ("_", "-_"), (".", "_")]

def build_target_name(version):
    """The hub target that builds a package's sdist at version: distinct per version.

    Args:
      version: a validated lock version (`[A-Za-z0-9._+!-]`).

    Returns:
      E.g. "_build_1_0_0" for "1.0.0", "_build_1_0+1" for "1.0+1".
    """
    for char, escape in _VERSION_ESCAPES:
        version = version.replace(char, escape)
    return "_build_" + version

def _offered(pkg):
    offered = [w["filename"] for w in pkg["wheels"]]
    if pkg["sdist"]:
        offered.append(pkg["sdist"]["filename"])
    return ", ".join(offered) if offered else "no files"

def _python_of(env):
    return "CPython " + env["python_version"]

def _unsupported_source(pkg):
    kind = pkg["source"]["kind"]
    if kind == "directory":
        return ("%s sources are not supported yet; build a wheel of it and lock it from an " +
                "index, a URL or a path") % kind
    return None

def _with_git_sdist(pkg):
    """A git package with its source as an sdist: the archive its uv_git_source makes."""
    if pkg["source"]["kind"] != "git":
        return pkg
    pkg = dict(pkg)
    pkg["sdist"] = {
        "filename": sdist_stem(pkg["name"], pkg["version"]) + ".tar.gz",
        "git": pkg["source"]["value"],
        "path": "",
        "sha256": "",
        "size": None,
        "url": "",
    }
    return pkg

def _build_env(pkg):
    """Environment of a package's sdist build that the lock implies."""
    if pkg["source"]["kind"] != "git":
        return {}

    # The archive has no .git, so setuptools-scm could not read the version from history.
    scm_name = "".join([c if c.isalnum() else "_" for c in pkg["name"].upper().elems()])
    return {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_" + scm_name: pkg["version"]}

def _wheel_signature(ctx, pkg):
    """A small id for a package's wheel files as far as choosing among them goes, or None.

    The choice depends only on what follows "<name>-<version>-" in each file name (tags,
    build tag, the tie-break on the name) and on the order; native packages share a few
    such lists (cp310-cp313 for the same platforms), so one choice per list and environment
    serves them all. Files not sharing the first one's prefix get no id (no sharing).
    """
    if not pkg["wheels"]:
        return None
    first = pkg["wheels"][0]["filename"]
    parts = first.split("-")
    if len(parts) < 3:
        return None
    prefix = parts[0] + "-" + parts[1] + "-"
    rest = []
    for w in pkg["wheels"]:
        if not w["filename"].startswith(prefix):
            return None
        rest.append(w["filename"][len(prefix):])
    return ctx.wheel_signatures.setdefault("/".join(rest), len(ctx.wheel_signatures))

def _select_wheel(ctx, parsed_wheels, signature, env):
    """select_parsed_wheel, remembered per wheel signature and environment."""
    if signature == None:
        return select_parsed_wheel(parsed_wheels, ctx.tag_maps[env["name"]])
    key = "%d %s" % (signature, env["name"])
    if key in ctx.wheel_choices:
        return ctx.wheel_choices[key]
    best = select_parsed_wheel(parsed_wheels, ctx.tag_maps[env["name"]])
    ctx.wheel_choices[key] = best
    return best

def _choose_artifact(ctx, pkg, parsed_wheels, env, signature = None):
    """Returns ("wheel", artifact), ("sdist", artifact) or ("unavailable", reason).

    A reason that depends on the environment names it; others are the same everywhere,
    so one target serves them all.
    """
    source = ctx.local_sources.get(pkg["name"])
    if source:
        # A directory or editable source that is not a workspace member: built from
        # the files of its filegroup.
        if source["missing"]:
            return ("unavailable", source["missing"])
        return ("local", source)
    unsupported = _unsupported_source(pkg)
    if unsupported:
        return ("unavailable", "%s: %s" % (_unusable(ctx, pkg), unsupported))
    if pkg["name"] in ctx.no_binary:
        if pkg["sdist"]:
            return ("sdist", pkg["sdist"])
        return ("unavailable", ("%s: it is listed in no_binary_packages but the lock has no " +
                                "sdist of it (the lock offers: %s)") % (_unusable(ctx, pkg), _offered(pkg)))
    best = _select_wheel(ctx, parsed_wheels, signature, env)
    if best != None:
        return ("wheel", pkg["wheels"][best])
    if pkg["sdist"]:
        return ("sdist", pkg["sdist"])
    return ("unavailable", "%s on %s: no wheel fits and there is no sdist (the lock offers: %s)" %
                           (_unusable(ctx, pkg), describe_target(env["target"]), _offered(pkg)))

def _unusable(ctx, pkg):
    # The start of _choose_artifact's messages: formatted only for a message.
    return "%s %s from %s cannot be used" % (pkg["name"], pkg["version"], ctx.lockfile)

def _platform_independent(parsed_wheels):
    """Whether every tag of every wheel is for any platform (the common pure case)."""
    for wheel in parsed_wheels:
        for tag in wheel["tags"]:
            if not tag.endswith("-any"):
                return False
    return True

def _artifact_spec(ctx, pkg, artifact):
    key = _artifact_key(artifact)
    label = ctx.artifact_labels.get(key)
    if label:
        return label
    repo = ctx.repo_names[key]
    if artifact["url"] and artifact["path"]:
        what = "%s: %s %s: %s" % (ctx.lockfile, pkg["name"], pkg["version"], artifact["filename"])

        # uv writes one of them; taking either silently would hide an edited lock.
        fail(("%s names both a url (%s) and a path (%s); uv writes one of them. Re-lock " +
              "(`uv lock`) or keep only the one you mean") % (what, artifact["url"], artifact["path"]))
    source = pkg["source"]
    if artifact.get("git"):
        # The commit id pins the source; uv_git_source checks it (no sha256 to compare).
        _, error = uv_git_source_kwargs(repo, pkg["name"], pkg["version"], artifact["git"], ctx.lockfile)
        if error:
            fail(error)
        ctx.artifacts[repo] = {
            "repo": repo,
            "kind": "git",
            "git": artifact["git"],
            "filename": artifact["filename"],
            "url": "",
            "path": "",
            "sha256": "",
            "package": pkg["name"],
            "version": pkg["version"],
            "registry": "",
            "lockfile": ctx.lockfile,
        }
        label = "@%s//:file" % repo
        ctx.artifact_labels[key] = label
        return label
    if not artifact["sha256"] and not artifact["path"]:
        what = "%s: %s %s: %s" % (ctx.lockfile, pkg["name"], pkg["version"], artifact["filename"])
        fail("%s has no sha256 hash; rules_pyuv only downloads hashed files" % what)
    ctx.artifacts[repo] = {
        "repo": repo,
        "filename": artifact["filename"],
        "url": artifact["url"],
        "path": artifact["path"],
        "sha256": artifact["sha256"],
        "package": pkg["name"],
        "version": pkg["version"],
        # Credentials may go to the host of the package's own index.
        "registry": source["value"] if source["kind"] == "registry" else "",
        "lockfile": ctx.lockfile,
    }
    label = "@%s//:file" % repo
    ctx.artifact_labels[key] = label
    return label

def _unavailable_target(state, message):
    """Returns the label of the target that fails with message, declaring it once."""
    index = state["index"]
    if message not in index:
        index[message] = "_unavailable_%d" % len(state["targets"])
        state["targets"].append({"name": index[message], "message": message})
    return ":" + index[message]

def _build_deps(ctx, pkg, menv):
    """Labels of the build requirements of pkg's sdist in menv."""
    if pkg["name"] in ctx.build_overrides:
        return sorted(["//" + label_name(r) for r in ctx.build_overrides[pkg["name"]]])
    return _dep_labels(ctx.build_group, menv, ctx.marker_cache, ctx.local_names, ctx.label_names)

def _note_patch_split(ctx, candidates, pkg, menv):
    """Records the first marker of the choice in menv that patch releases decide, if any.

    Only when menv's minor version has no full version from the hub: the resolution
    markers of a forked package, and the markers of the chosen entry's dependencies.
    """
    if menv["full_version"]:
        return
    markers = []
    if len(candidates) > 1:
        for c in candidates:
            markers.extend(c["resolution_markers"])

    # patch_split() is False for a marker without python_full_version: those are left out.
    if pkg != None:
        markers.extend([d["marker"] for d in pkg["dependencies"] if "python_full_version" in d["marker"]])
        for extra_deps in pkg["optional_dependencies"].values():
            markers.extend([d["marker"] for d in extra_deps if "python_full_version" in d["marker"]])
    os, cpu = menv["platform"]
    for marker in markers:
        if "python_full_version" in marker and patch_split(marker, os, cpu, menv["python_version"], menv.get("extras", []), ctx.marker_cache):
            ctx.patch_splits[candidates[0]["name"] + " " + menv["name"]] = marker
            return

def _plan_marker_level(ctx, label, candidates):
    """What markers decide, per marker environment: version, dependencies, extras, sdist."""
    version_of = {}
    deps = {}
    extras = {}
    sdists = {}
    for menv in ctx.marker_envs:
        pkg = _pick_entry(ctx, candidates, menv)
        version_of[menv["name"]] = pkg
        _note_patch_split(ctx, candidates, pkg, menv)
        if pkg == None:
            deps[menv["name"]] = []
            continue
        deps[menv["name"]] = [
            dep
            for dep in _dep_labels(pkg["dependencies"], menv, ctx.marker_cache, ctx.local_names, ctx.label_names)
            if dep != "//" + label
        ]
        for extra, extra_deps in pkg["optional_dependencies"].items():
            extras.setdefault(label_name(extra), {})[menv["name"]] = _dep_labels(
                extra_deps,
                menv,
                ctx.marker_cache,
                ctx.local_names,
                ctx.label_names,
                extras = [extra],
            )
        if pkg["sdist"] and not _unsupported_source(pkg):
            sdists[menv["name"]] = _artifact_spec(ctx, pkg, pkg["sdist"])
    return struct(version_of = version_of, deps = deps, extras = extras, sdists = sdists)

def _variant_hint(ctx, env, version_of):
    """For a lock with conflicts: the variants whose resolution holds the package, if any."""
    if "variant" not in env:
        return ""
    using = {}
    for m in ctx.marker_envs:
        if version_of[m["name"]] != None:
            using[m["variant"]] = True
    if not using:
        return ""
    return (". The build's variant is \"%s\" (--@%s//:variant), and the lock uses it only with " +
            "%s of its conflicting extras or groups (tool.uv.conflicts): choose one, e.g. " +
            "--@%s//:variant=%s") % (env["variant"], ctx.hub, " or ".join(sorted(using)), ctx.hub, sorted(using)[0])

def _plan_environment_level(ctx, name, candidates, version_of, unavailable):
    """The artifact per full environment: a wheel, a build or an unavailable target.

    Returns:
      (whl, builds): the label per environment, and the packages to build by target name.
    """
    parsed = {}
    pure = {}
    signatures = {}
    for pkg in candidates:
        wheels = [parse_wheel_filename_shared(w["filename"], ctx.wheel_tails) for w in pkg["wheels"]]
        entry = _entry_key(pkg)
        parsed[entry] = wheels
        pure[entry] = _platform_independent(wheels)
        if not pure[entry]:
            signatures[entry] = _wheel_signature(ctx, pkg)
    builds = {}
    whl = {}
    chosen = {}

    # The common case: one locked entry, the same in every marker environment, whose
    # wheels fit any platform. Its choice only depends on the Python version, so it is
    # made for one environment per version and copied to the others.
    envs = ctx.envs
    uniform = (len(candidates) == 1 and not ctx.reached and pure[_entry_key(candidates[0])] and
               not _has_patch_split(ctx, name))
    if uniform:
        envs = ctx.python_envs.values()
    for env in envs:
        pkg = version_of[env["marker_key"]]
        split = ctx.patch_splits.get(name + " " + env["marker_key"])
        if split:
            whl[env["name"]] = _unavailable_target(
                unavailable,
                patch_split_message(name, ctx.lockfile, env["python_version"], split, ctx.hub),
            )
            continue
        if pkg == None:
            whl[env["name"]] = _unavailable_target(
                unavailable,
                ("%s is not part of the resolution on %s with %s: the lock pins versions %s " +
                 "only for other environments") %
                (
                    name,
                    env["target"]["os"] + "_" + env["target"]["cpu"],
                    _python_of(env),
                    ", ".join([c["version"] for c in candidates]),
                ) + _variant_hint(ctx, env, version_of),
            )
            continue

        # Wheels for every platform are chosen by Python version alone.
        entry = _entry_key(pkg)
        key = entry + " " + (env["python_version"] if pure[entry] else env["name"])
        if key not in chosen:
            kind, value = _choose_artifact(ctx, pkg, parsed[entry], env, signatures.get(entry))
            if kind == "wheel":
                chosen[key] = _artifact_spec(ctx, pkg, value)
            elif kind == "local":
                build = "_build_local"
                builds[build] = pkg
                chosen[key] = ":" + build
            elif kind == "sdist":
                build = build_target_name(pkg["version"])
                if builds.get(build, pkg)["source"] != pkg["source"]:
                    build += "__%d" % [_entry_key(c) for c in candidates].index(_entry_key(pkg))
                builds[build] = pkg
                chosen[key] = ":" + build
            else:
                chosen[key] = _unavailable_target(unavailable, value)
        whl[env["name"]] = chosen[key]
    if uniform:
        by_version = {py: whl[env["name"]] for py, env in ctx.python_envs.items()}
        whl = {env["name"]: by_version[env["python_version"]] for env in ctx.envs}
    return whl, builds

def _has_patch_split(ctx, name):
    prefix = name + " "
    for key in ctx.patch_splits:
        if key.startswith(prefix):
            return True
    return False

def _first_env_per_python(envs):
    first = {}
    for env in envs:
        if env["python_version"] not in first:
            first[env["python_version"]] = env
    return first

def _plan_builds(ctx, label, builds):
    """One sdist_build per version some environment builds, with its requirements."""
    return [
        {
            "name": build_name,
            "version": pkg["version"],
            "sdist": "" if pkg["name"] in ctx.local_sources else _artifact_spec(ctx, pkg, pkg["sdist"]),
            "srcs": [ctx.local_sources[pkg["name"]]["target"]] if pkg["name"] in ctx.local_sources else [],
            "env": _build_env(pkg),
            "deps": {
                m["name"]: [dep for dep in _build_deps(ctx, pkg, m) if dep != "//" + label]
                for m in ctx.marker_envs
            },
        }
        for build_name, pkg in sorted(builds.items())
    ]

def _plan_package(ctx, name, candidates):
    """Plans the labels of one package name (a `package` of the plan)."""
    label = label_name(name)
    unavailable = {"index": {}, "targets": []}
    markers = _plan_marker_level(ctx, label, candidates)
    whl, builds = _plan_environment_level(ctx, name, candidates, markers.version_of, unavailable)
    return {
        "name": name,
        "label": label,
        "whl": whl,
        "deps": markers.deps,
        "extras": markers.extras,
        "sdist": markers.sdists,
        "builds": _plan_builds(ctx, label, builds),
        "unavailable": unavailable["targets"],
        "versions": {k: (p["version"] if p else "") for k, p in markers.version_of.items()},
        "cycle": [],
    }

# Target names a package's own folder uses (besides its label, extra_* and _*): a console
# script of that name lives only in the package's `bin` sub-package.
_PACKAGE_TARGETS = ["whl", "sdist", "bin", "bin_entry_point"]

# Characters of a console script name the hub writes as a target name.
_SCRIPT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
_ENTRY_POINT = "_entry_point"

def _script_error(script, scripts):
    """Why a console script name cannot be a target of `<package>/bin`, or None."""
    if not script or script.strip(_SCRIPT_CHARS) or script[0] in ".-":
        return ("it is not a name of letters, digits, \".\", \"-\" and \"_\" starting with " +
                "a letter, digit or \"_\"")
    if script.endswith(_ENTRY_POINT) and script[:-len(_ENTRY_POINT)] in scripts:
        # py_console_script_binary declares <name>_entry_point beside <name>.
        return "\"%s\" needs that target name for its entry point" % script[:-len(_ENTRY_POINT)]
    return None

def _add_console_scripts(packages, console_scripts, hub, lockfile):
    """Sets each package's console scripts: "scripts" and "script_aliases".

    Every script is a target of `<label>/bin`; "script_aliases" are those also reachable
    as `<label>:<script>`, because that name is free in the package's own folder.
    """
    by_name = {p["name"]: p for p in packages}
    for p in packages:
        p["scripts"] = []
        p["script_aliases"] = []
    for name, scripts in console_scripts.items():
        pkg = by_name.get(normalize_name(name))
        if not pkg:
            fail("%s: console_scripts names package \"%s\", which is not in the lock %s" %
                 (hub, name, lockfile))
        for script in scripts:
            error = _script_error(script, scripts)
            if error:
                fail("%s: console script %s of %s cannot be a target name in the hub: %s" %
                     (hub, json.encode(script), name, error))
        pkg["scripts"] = sorted({s: None for s in scripts}.keys())
        pkg["script_aliases"] = [
            s
            for s in pkg["scripts"]
            if s not in _PACKAGE_TARGETS and s != pkg["label"] and not s.startswith(("extra_", "_"))
        ]

def _aliases(packages, spellings):
    """Hub folders for the other spellings of package names, grouped by letter case.

    A spelling gets a folder of its own, holding aliases of the package's targets, unless
    it is the label itself. On a case-insensitive file system folders whose names differ
    only in case are one folder, so the folders of a case-folded group all hold the same
    file (aliases for every spelling of the group), and a spelling that folds onto a
    label's own folder (`Zope_Interface` onto `zope_interface`) gets no alias but a "case
    hint": a target that fails naming the label, written only where folders differing in
    case are distinct (write_hub in hub_repo.bzl).

    Returns:
      (aliases, case hints), as the plan holds them.
    """
    by_name = {p["name"]: p for p in packages}
    labels = {p["label"]: True for p in packages}
    groups = {}
    hints = {}
    for spelling in [p["name"] for p in packages] + spellings:
        pkg = by_name.get(normalize_name(spelling))
        if pkg == None or spelling == pkg["label"]:
            continue
        folded = spelling.lower()
        if folded in labels:
            hints[spelling] = pkg["label"]
            continue
        group = groups.setdefault(folded, {"label": pkg["label"], "spellings": {}})
        group["spellings"][spelling] = True
    aliases = [
        {
            "folder": spelling,
            "label": groups[folded]["label"],
            "names": sorted(groups[folded]["spellings"]),
        }
        for folded in sorted(groups)
        for spelling in sorted(groups[folded]["spellings"])
    ]
    return aliases, [{"folder": k, "label": v} for k, v in sorted(hints.items())]

def _package_of(label):
    """"x" for "//x" and "//x:extra_y"."""
    return label[2:].split(":")[0]

def _break_cycles(packages):
    """Marks packages that depend on each other in a cycle and splits their targets.

    A member's wheel is installed by `_installed`, which depends only on packages outside
    the cycle; the member's own label depends on every member's `_installed` (plus the
    extras of members it needs), so Bazel sees no cycle and users get the whole group.
    """
    by_label = {p["label"]: p for p in packages}
    edges = {}
    for p in packages:
        targets = {}
        for mapping in [p["deps"]] + p["extras"].values():
            for labels in mapping.values():
                for dep in labels:
                    targets[_package_of(dep)] = True
        edges[p["label"]] = sorted(targets)
    for members in strongly_connected_components(sorted(by_label), edges):
        installed = ["//%s:_installed" % m for m in members]
        for m in members:
            p = by_label[m]
            p["cycle"] = members
            p["installed_deps"] = {
                k: [d for d in v if _package_of(d) not in members]
                for k, v in p["deps"].items()
            }
            p["deps"] = {
                k: installed + [d for d in v if _package_of(d) in members and ":extra_" in d]
                for k, v in p["deps"].items()
            }

def plan_hub(
        lock,
        hub,
        lockfile,
        python_version = "",
        no_binary_packages = [],
        build_dependency_group = "build",
        build_dependencies = {},
        console_scripts = {},
        spellings = [],
        workspace = None,
        package_overrides = None,
        platforms = [],
        python_versions = []):
    """Plans the hub repository and the artifact repositories of one lock.

    Args:
      lock: the lock model (lock.bzl).
      hub: name of the hub repository, e.g. "pypi".
      lockfile: the lock's label, for messages.
      python_version: default target Python version ("3.11"); "" picks the lowest one
        the lock's requires-python allows.
      no_binary_packages: packages always built from their sdist.
      build_dependency_group: the dependency group of the lock's root project whose
        packages are the default build requirements of sdists.
      build_dependencies: per-package build requirements that replace the group's, as a
        dict from package name to a list of package names from the lock.
      console_scripts: per-package console script names to expose as
        @hub//<package>/bin:<script> (and @hub//<package>:<script> where that name is
        free).
      spellings: project names as the user's project files write them
        ("Zope.Interface"), each to become an alias of its package's label.
      workspace: the lock's workspace members and local sources with their Bazel
        targets (resolve_workspace in workspace.bzl); None treats every local package
        as a member.
      package_overrides: override_settings() of the front door (overrides.bzl), or None.
      platforms: the os × cpu pairs to plan, by name ("linux_x86_64"); [] plans every
        one rules_pyuv knows. Other target platforms fail naming the hub and this list.
      python_versions: the minor versions to plan ("3.11"); [] plans every one the
        lock's requires-python allows.

    Returns:
      The plan (see the module docstring); artifact paths are as the lock writes them.
    """
    python_version, full_version = split_python_version(python_version, hub, lockfile)
    declared_versions = python_versions
    python_versions = _python_versions(lock["requires_python"])
    if not python_versions:
        fail("%s: requires-python \"%s\" allows none of the Python versions rules_pyuv knows (%s)" %
             (lockfile, lock["requires_python"], ", ".join(PYTHON_VERSIONS)))
    python_versions = _declared_python_versions(python_versions, declared_versions, hub, lockfile, lock["requires_python"])
    platform_pairs = _declared_platforms(platforms, hub)
    if python_version:
        if python_version not in python_versions:
            if declared_versions:
                fail(("python_version = \"%s\" of hub \"%s\" is not in its python_versions (%s): " +
                      "add it there or choose one of them") % (python_version, hub, ", ".join(python_versions)))
            fail(("python_version = \"%s\" of hub \"%s\" is not one the lock %s allows " +
                  "(requires-python \"%s\"): choose one of %s") %
                 (python_version, hub, lockfile, lock["requires_python"], ", ".join(python_versions)))
    else:
        python_version = python_versions[0]

    variants = plan_variants(lock.get("conflicts", []), lockfile, hub)
    envs = _with_variants(_environments(python_versions, platform_pairs), variants["variants"], "marker_key")
    by_name = {}
    local_names = {}
    members = {m["name"]: m for m in workspace["members"]} if workspace else None
    lock_packages = [_with_git_sdist(p) for p in lock["packages"]]
    for pkg in lock_packages:
        if pkg["local"] and (members == None or pkg["name"] in members):
            local_names[pkg["name"]] = True
        else:
            by_name.setdefault(pkg["name"], []).append(pkg)

    group = normalize_name(build_dependency_group)
    group_deps = []
    for pkg in lock["packages"]:
        if pkg["local"]:
            group_deps.extend(pkg["dev_dependencies"].get(group, []))
    overrides = {normalize_name(k): v for k, v in build_dependencies.items()}
    for pkg_name, reqs in overrides.items():
        for req in reqs:
            if normalize_name(req) not in by_name:
                fail("%s: build_dependencies of \"%s\" names \"%s\", which is not in the lock %s" %
                     (hub, pkg_name, req, lockfile))

    full_versions = {python_version: full_version} if full_version else {}
    marker_envs = _with_variants(_marker_environments(python_versions, platform_pairs, full_versions), variants["variants"], None)
    ctx = struct(
        hub = hub,
        lockfile = lockfile,
        envs = envs,
        marker_envs = marker_envs,
        marker_cache = {},
        tag_maps = {env["name"]: tag_priority_map(env["target"]) for env in envs},
        python_envs = _first_env_per_python(envs),
        wheel_signatures = {},
        wheel_choices = {},
        wheel_tails = {},  # parse_wheel_filename_shared's memo
        label_names = {},  # dependency name -> label_name()
        no_binary = {normalize_name(p): True for p in no_binary_packages},
        local_names = local_names,
        local_sources = {s["name"]: s for s in workspace["local_sources"]} if workspace else {},
        artifacts = {},
        artifact_labels = {},
        repo_names = _artifact_repo_names(hub, lockfile, lock_packages),
        build_group = group_deps,
        build_overrides = overrides,
        reached = _reach_all(lock["packages"], lock.get("conflicts", []), marker_envs, variants["variants"]),
        entry_indexes = _entry_indexes(lock["packages"]),
        patch_splits = {},
    )
    for name in ctx.no_binary:
        if name not in by_name:
            fail("%s: no_binary_packages names \"%s\", which is not in the lock %s" %
                 (hub, name, lockfile))
    packages = [_plan_package(ctx, name, by_name[name]) for name in sorted(by_name)]
    _add_console_scripts(packages, console_scripts, hub, lockfile)
    apply_overrides(packages, envs, package_overrides, hub, lockfile)
    _break_cycles(packages)
    aliases, case_hints = _aliases(packages, spellings)
    return {
        "aliases": aliases,
        "case_hints": case_hints,
        "hub": hub,
        "lockfile": lockfile,
        "python_versions": python_versions,
        "default_python_version": python_version,
        "platforms": [platform_name(os, cpu) for os, cpu in platform_pairs],
        "envs": [{k: e[k] for k in _ENV_KEYS if k in e} for e in envs],
        "marker_envs": [{k: m[k] for k in _ENV_KEYS if k in m} for m in marker_envs],
        "variants": variants,
        "python_full_versions": full_versions,
        "packages": packages,
        "artifacts": [ctx.artifacts[k] for k in sorted(ctx.artifacts)],
        "workspace": plan_members(workspace, lock, marker_envs, hub) if workspace else {"members": [], "root": ""},
    }
