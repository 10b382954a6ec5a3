"""Per-package overrides of a hub: the front-door attributes, checked and applied to a plan.

The planner decides from the lock alone; these attributes let the user correct what the
lock cannot know: runtime dependencies to add or drop, a package replaced by a Bazel
target, the environment and PEP 517 config settings of an sdist build, and a policy that
refuses sdist builds (no_build). build_dependencies (the build requirements) is planned
by the planner itself. Every package name is checked against the lock, so a typo fails
naming the attribute and the package.
"""

load(":names.bzl", "normalize_name")
load(":text.bzl", "prose")
load(":wheel_tags.bzl", "describe_target")

OVERRIDE_ATTRS = {
    "exclude_deps": attr.string_list_dict(
        doc = prose("""
            Runtime dependencies to drop, per package: {"pkg": ["heavy-native-dep"]}. Each must
            be a locked dependency of the package (docs/overrides.md).
        """),
    ),
    "extra_deps": attr.string_list_dict(
        doc = prose("""
            Runtime dependencies to add, per package: locked package names or Bazel targets
            ("//lib:shim", "@repo//x") that provide Python (py_library): {"pkg": ["six",
            "//third_party:shim"]}.
        """),
    ),
    "no_build": attr.bool(
        default = False,
        doc = prose("""
            Refuse every sdist build of the hub (git sources included): a target platform
            without a wheel fails at analysis time, listing what would need building there.
            Local workspace sources are still built.
        """),
    ),
    "no_build_packages": attr.string_list(
        doc = "Packages whose sdists are never built: like no_build, for these only.",
    ),
    "replace": attr.string_dict(
        doc = prose("""
            Packages replaced by a Bazel target: {"pkg": "//third_party/pkg"}. Every use of
            @<hub>//pkg (also as another package's dependency) resolves to the target, which
            must provide Python (py_library); nothing of the lock's package is fetched.
        """),
    ),
    "sdist_build_env": attr.string_list_dict(
        doc = "Environment variables of a package's sdist build: {\"pkg\": [\"NAME=value\"]}.",
    ),
    "sdist_config_settings": attr.string_list_dict(
        doc = prose("""
            PEP 517 config_settings passed to the build backend of a package's sdist build:
            {"pkg": ["key=value"]}; a key given twice becomes a list.
        """),
    ),
}

# Variables sdist_build fixes or drops; a user value would be ignored or break reproducibility.
_FIXED_ENV = ["PATH", "PYTHONHASHSEED", "PYTHONNOUSERSITE", "SOURCE_DATE_EPOCH", "LC_ALL", "PYTHONPATH"]
_ENV_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

def override_settings(attrs):
    """The override attributes of a front door, as plain data for plan_hub.

    Args:
      attrs: the uv_lock attributes or the uv.lock tag (OVERRIDE_ATTRS).

    Returns:
      A dict with one key per attribute of OVERRIDE_ATTRS.
    """
    return {name: getattr(attrs, name) for name in OVERRIDE_ATTRS}

def _fail(ctx, attr_name, package, what):
    fail("hub \"%s\": %s of package \"%s\": %s (lock %s)" % (ctx.hub, attr_name, package, what, ctx.lockfile))

def _packages(ctx, attr_name, names):
    """Maps the package names of an attribute to the lock's packages; refuses unknown names."""
    out = {}
    for name in names:
        pkg = ctx.by_name.get(normalize_name(name))
        if pkg == None:
            known = sorted(ctx.by_name)
            fail(("hub \"%s\": %s names package \"%s\", which the lock %s does not hold; use " +
                  "the name of a locked package (known: %s)") % (
                ctx.hub,
                attr_name,
                name,
                ctx.lockfile,
                ", ".join(known[:20]) + (", ..." if len(known) > 20 else ""),
            ))
        if pkg["name"] in out:
            fail("hub \"%s\": %s names package \"%s\" twice (as another spelling)" % (ctx.hub, attr_name, pkg["name"]))
        out[pkg["name"]] = name
    return out

def _absolute_label(ctx, attr_name, package, text):
    """A label of the user's as the hub must write it, or None for a package name."""
    if text.startswith("@"):
        return text
    if text.startswith("//"):
        # The hub is a repository of its own: "//x" there would mean the hub's package.
        return "@" + text
    if text.startswith(":"):
        _fail(ctx, attr_name, package, "\"%s\" is a relative label; write \"//<package>:<target>\"" % text)
    return None

def _pairs(ctx, attr_name, package, items, check_env):
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(ctx, attr_name, package, "\"%s\" is not NAME=value" % item)
        if check_env:
            if key.strip(_ENV_NAME_CHARS) or key[0].isdigit():
                _fail(ctx, attr_name, package, "\"%s\" is not an environment variable name (letters, digits, _)" % key)
            if key in _FIXED_ENV or key.startswith("PIP_"):
                _fail(ctx, attr_name, package, ("%s is fixed (or dropped) by every sdist build, for " +
                                                "reproducible wheels; set another variable") % key)
        elif "%" in key:
            _fail(ctx, attr_name, package, "the key \"%s\" may not hold '%%'" % key)
        out.append((key, value))
    return out

def _uses(pkg, label):
    """Whether any marker environment of pkg depends on //label (itself or an extra)."""
    for mapping in [pkg["deps"]] + pkg["extras"].values():
        for labels in mapping.values():
            for dep in labels:
                if dep == "//" + label or dep.startswith("//%s:extra_" % label):
                    return True
    return False

def _without(labels, label):
    return [d for d in labels if d != "//" + label and not d.startswith("//%s:extra_" % label)]

def _add_unavailable(pkg, message):
    for target in pkg["unavailable"]:
        if target["message"] == message:
            return ":" + target["name"]
    name = "_unavailable_%d" % len(pkg["unavailable"])
    pkg["unavailable"].append({"name": name, "message": message})
    return ":" + name

def _apply_deps(ctx, settings):
    for package, spelled in _packages(ctx, "exclude_deps", settings["exclude_deps"]).items():
        pkg = ctx.by_name[package]
        for name in settings["exclude_deps"][spelled]:
            dep = ctx.by_name.get(normalize_name(name))
            if dep == None or not _uses(pkg, dep["label"]):
                _fail(ctx, "exclude_deps", package, ("\"%s\" is not one of its locked dependencies; " +
                                                     "name a dependency the lock records for it") % name)
            pkg["deps"] = {k: _without(v, dep["label"]) for k, v in pkg["deps"].items()}
            pkg["extras"] = {
                extra: {k: _without(v, dep["label"]) for k, v in by_env.items()}
                for extra, by_env in pkg["extras"].items()
            }
    for package, spelled in _packages(ctx, "extra_deps", settings["extra_deps"]).items():
        pkg = ctx.by_name[package]
        added = []
        for item in settings["extra_deps"][spelled]:
            label = _absolute_label(ctx, "extra_deps", package, item)
            if label:
                # A py_library gives no PyWheelsInfo: a uv_target_package adapts it.
                target = "_target_dep_%d" % len(pkg["target_deps"])
                pkg["target_deps"].append({"name": target, "actual": label})
                added.append("//%s:%s" % (pkg["label"], target))
                continue
            dep = ctx.by_name.get(normalize_name(item))
            if dep == None:
                _fail(ctx, "extra_deps", package, ("\"%s\" is neither a locked package nor an " +
                                                   "absolute label (\"//pkg:target\")") % item)
            if dep["name"] == package:
                _fail(ctx, "extra_deps", package, "a package cannot depend on itself")
            added.append("//" + dep["label"])
        pkg["deps"] = {k: sorted({d: None for d in v + added}.keys()) for k, v in pkg["deps"].items()}

def _apply_replace(ctx, settings):
    for package, spelled in _packages(ctx, "replace", settings["replace"]).items():
        pkg = ctx.by_name[package]
        label = _absolute_label(ctx, "replace", package, settings["replace"][spelled])
        if not label:
            _fail(ctx, "replace", package, ("\"%s\" is not an absolute label; write " +
                                            "\"//<package>:<target>\"") % settings["replace"][spelled])
        if pkg.get("scripts"):
            _fail(ctx, "replace", package, "it also has console_scripts, which need the lock's wheel")
        pkg["replace"] = label
        pkg["deps"] = {k: [] for k in pkg["deps"]}
        pkg["sdist"] = {}
        pkg["builds"] = []
        pkg["unavailable"] = []
        pkg["target_deps"] = []
        missing = _add_unavailable(pkg, ("%s is replaced by %s (replace of hub \"%s\"), so the hub " +
                                         "has no wheel of it; depend on @%s//%s instead") %
                                        (package, label, ctx.hub, ctx.hub, pkg["label"]))
        pkg["whl"] = {k: missing for k in pkg["whl"]}

def _apply_build_settings(ctx, settings):
    for attr_name, key in (("sdist_build_env", "env"), ("sdist_config_settings", "config_settings")):
        for package, spelled in _packages(ctx, attr_name, settings[attr_name]).items():
            pairs = _pairs(ctx, attr_name, package, settings[attr_name][spelled], key == "env")
            pkg = ctx.by_name[package]
            if not pkg["builds"]:
                _fail(ctx, attr_name, package, ("no target platform builds it from an sdist (it " +
                                                "has wheels everywhere, or is replaced); drop the entry"))
            for build in pkg["builds"]:
                values = dict(build.get(key, {}))
                for name, value in pairs:
                    if key == "env":
                        values[name] = value
                    else:
                        values[name] = values.get(name, []) + [value]
                build[key] = values

def _refusal(ctx, pkg, version, env, others, per_package):
    where = describe_target(env["target"])
    if per_package:
        fix = "remove \"%s\" from no_build_packages of hub \"%s\"" % (pkg["name"], ctx.hub)
    else:
        fix = "set no_build = False on hub \"%s\" (or allow only the packages that need it)" % ctx.hub
    return ("%s %s has no wheel for %s, and hub \"%s\" refuses to build it from its sdist " +
            "(%s). Packages that would need building for this platform: %s. Fix: lock " +
            "versions that have wheels for it (e.g. `uv lock --upgrade-package %s`), build for " +
            "another platform, or %s.") % (
        pkg["name"],
        version,
        where,
        ctx.hub,
        "no_build_packages" if per_package else "no_build = True",
        ", ".join(others),
        pkg["name"],
        fix,
    )

def _apply_no_build(ctx, settings, envs):
    refused = _packages(ctx, "no_build_packages", settings["no_build_packages"])
    policy = {name: True for name in ctx.by_name} if settings["no_build"] else refused
    if not policy:
        return

    # Per environment: every refused build, so each message lists them all.
    needed = {}
    for env in envs:
        for name in sorted(policy):
            pkg = ctx.by_name[name]
            target = pkg["whl"].get(env["name"], "")
            if target.startswith(":_build_") and target != ":_build_local":
                build = [b for b in pkg["builds"] if ":" + b["name"] == target][0]
                needed.setdefault(env["name"], []).append((pkg, build["version"]))
    for env in envs:
        refusals = needed.get(env["name"], [])
        others = ["%s %s" % (p["name"], v) for p, v in refusals]
        for pkg, version in refusals:
            pkg["whl"][env["name"]] = _add_unavailable(
                pkg,
                _refusal(ctx, pkg, version, env, others, not settings["no_build"]),
            )
    for name in policy:
        pkg = ctx.by_name[name]
        used = {v: True for v in pkg["whl"].values()}
        pkg["builds"] = [b for b in pkg["builds"] if ":" + b["name"] in used]

def apply_overrides(packages, envs, settings, hub, lockfile):
    """Applies the overrides to the planned packages, in place.

    Runs before dependency cycles are broken, so added or dropped dependencies count.
    Each package gets "target_deps" ([{"name", "actual"}]: user targets it depends on)
    and, when replaced, "replace" (the absolute label standing in for it).

    Args:
      packages: the plan's packages (planner.bzl).
      envs: the planner's full environments (with "name" and "target").
      settings: override_settings() of the front door, or None.
      hub: the hub's name, for messages.
      lockfile: the lock's label, for messages.
    """
    for pkg in packages:
        pkg["target_deps"] = []
    if not settings:
        return
    by_name = {p["name"]: p for p in packages}
    ctx = struct(
        hub = hub,
        lockfile = lockfile,
        by_name = by_name,
    )
    _apply_deps(ctx, settings)
    _apply_replace(ctx, settings)
    _apply_build_settings(ctx, settings)
    _apply_no_build(ctx, settings, envs)
