"""Variants: the lock's declared conflicts (`[tool.uv] conflicts`) as a hub build setting.

uv locks both sides of each conflict set (extras or dependency groups that may not be
installed together, like `cpu` and `gpu`). Entries that only one side uses are told apart
by markers on the edges that reach them, written with uv's encoded names
(`extra == 'extra-3-app-cpu'`, `extra == 'group-3-app-dev'`), or only by the version and
source an active extra pins. A variant picks at most one item of every conflict set; the
hub's `//:variant` flag holds it ("cpu", "none" for no item, items of several sets joined
by ",") and the planner plans every marker environment once per variant:

  - markers evaluate with the variant's encoded names active;
  - a package locked more than once (versions, or one version from two indexes) is the
    entry that the lock's dependency edges reach from its workspace members in that
    variant (reach_entries), falling back to its resolution-markers.
"""

# The flag value of the variant with no item of any conflict set.
NO_VARIANT = "none"

_SAFE = "abcdefghijklmnopqrstuvwxyz0123456789_"

def encoded_name(item):
    """uv's marker name of a conflict item: `extra-<len>-<package>-<name>` (or `group-`)."""
    return "%s-%d-%s-%s" % (item["kind"], len(item["package"]), item["package"], item["name"])

def _describe(item):
    return "%s \"%s\" of %s" % ("extra" if item["kind"] == "extra" else "dependency group", item["name"], item["package"])

def plan_variants(conflicts, lockfile, hub):
    """The variants of a lock: every choice of at most one item per conflict set.

    Args:
      conflicts: the lock model's "conflicts" (lock.bzl): a list of sets, each a list
        of {"package", "kind": "extra" | "group", "name"}.
      lockfile: the lock's label, for messages.
      hub: the hub's name, for messages.

    Returns:
      {"variants": [{"name": flag value, "suffix": label-safe name, "extras": [encoded
      marker names], "items": [description]}], "sets": [[{"value", "what"}]]}; the
      variant list is empty when the lock declares no conflicts.
    """
    if not conflicts:
        return {"variants": [], "sets": []}
    shorts = {}
    for items in conflicts:
        for item in items:
            shorts.setdefault(item["name"], {})[encoded_name(item)] = True
    sets = []
    for items in conflicts:
        out = []
        for item in items:
            # The extra's or group's own name, unless items of several packages share it.
            value = item["name"]
            if len(shorts[value]) > 1:
                value = "%s:%s:%s" % (item["package"], item["kind"], item["name"])
            if value == NO_VARIANT:
                fail(("%s: the conflict item %s is named \"%s\", which hub \"%s\" uses for " +
                      "\"no item\"; rename the extra or group") % (lockfile, _describe(item), NO_VARIANT, hub))
            out.append({"value": value, "what": _describe(item), "encoded": encoded_name(item)})
        sets.append(out)

    # Every combination, in set order; the empty choice first (the default).
    combos = [[]]
    for items in sets:
        combos = [c + [None] for c in combos] + [c + [item] for c in combos for item in items]
    variants = []
    seen = {}
    for combo in combos:
        chosen = [c for c in combo if c != None]
        name = ",".join([c["value"] for c in chosen]) or NO_VARIANT
        if name in seen:
            continue
        seen[name] = True
        suffix = "".join([ch if ch in _SAFE else "_" for ch in name.lower().elems()])
        variants.append({
            "name": name,
            "suffix": suffix,
            "extras": sorted({c["encoded"]: None for c in chosen}.keys()),
            "items": [c["what"] for c in chosen],
        })
    suffixes = {}
    for v in variants:
        if v["suffix"] in suffixes:
            v["suffix"] = "%s_%d" % (v["suffix"], len(suffixes))
        suffixes[v["suffix"]] = True
    return {
        "variants": variants,
        "sets": [[{"value": i["value"], "what": i["what"]} for i in items] for items in sets],
    }

def _active_local_names(pkg, kind, names, conflicted, chosen):
    """The extras (or groups) of a workspace member that are active in a variant."""
    out = []
    for name in names:
        encoded = encoded_name({"kind": kind, "package": pkg["name"], "name": name})
        if encoded not in conflicted or encoded in chosen:
            out.append(name)
    return out

def reach_entries(packages, conflicts, menv, holds, cache):
    """The lock entries the resolution uses in one marker environment and variant.

    Walks the lock's dependency edges from the workspace members (with their extras and
    groups that are not in a conflict set, and the variant's chosen ones), following an
    edge when its marker holds, to the entry it names by name, version and source.

    Args:
      packages: the lock model's packages.
      conflicts: the lock model's conflicts.
      menv: the marker environment, with "extras": the variant's encoded names.
      holds: holds(marker, menv, cache, extras) -> bool (the planner's marker evaluation).
      cache: the cache holds uses.

    Returns:
      A dict from package name to the list of indexes (into packages) reached.
    """
    conflicted = {encoded_name(i): True for items in conflicts for i in items}
    chosen = {e: True for e in menv.get("extras", [])}
    by_name = {}
    for i, pkg in enumerate(packages):
        by_name.setdefault(pkg["name"], []).append(i)

    # Work items: (entry index, edges to follow, the extra the edges belong to).
    work = []
    for i, pkg in enumerate(packages):
        if not pkg["local"]:
            continue
        work.append((i, pkg["dependencies"], None))
        for extra in _active_local_names(pkg, "extra", sorted(pkg["optional_dependencies"]), conflicted, chosen):
            work.append((i, pkg["optional_dependencies"][extra], extra))
        for group in _active_local_names(pkg, "group", sorted(pkg["dev_dependencies"]), conflicted, chosen):
            work.append((i, pkg["dev_dependencies"][group], None))
    reached = {}
    seen = {}
    for _ in range(1000000):
        if not work:
            break
        _, edges, extra = work.pop()
        for dep in edges:
            if not holds(dep["marker"], menv, cache, [extra] if extra else []):
                continue
            for j in by_name.get(dep["name"], []):
                target = packages[j]
                if dep["version"] and target["version"] != dep["version"]:
                    continue
                if dep.get("source") and dep["source"] != target["source"]["value"]:
                    continue
                for want in [None] + dep["extras"]:
                    key = "%d %s" % (j, want)
                    if key in seen:
                        continue
                    seen[key] = True
                    reached.setdefault(target["name"], {})[j] = True
                    if target["local"]:
                        continue
                    if want == None:
                        work.append((j, target["dependencies"], None))
                    elif want in target["optional_dependencies"]:
                        work.append((j, target["optional_dependencies"][want], want))
    return {name: sorted(entries) for name, entries in reached.items()}

def _variant_flag_impl(ctx):
    value = ctx.build_setting_value
    if value in ctx.attr.values:
        return []
    sets = json.decode(ctx.attr.sets)
    where = {}
    for n, items in enumerate(sets):
        for item in items:
            where[item["value"]] = (n, item["what"])
    picked = {}
    for part in [p.strip(" ") for p in value.split(",")]:
        if part not in where:
            fail(("%s = \"%s\": \"%s\" is not a variant of the lock %s. Its conflict sets " +
                  "(tool.uv.conflicts) give: %s; set --%s to one of %s") % (
                ctx.label,
                value,
                part,
                ctx.attr.lockfile,
                "; ".join([" | ".join(["%s (%s)" % (i["value"], i["what"]) for i in items]) for items in sets]),
                ctx.label,
                ", ".join(ctx.attr.values),
            ))
        n, what = where[part]
        if n in picked:
            fail(("%s = \"%s\" chooses both %s and %s, which the lock %s declares conflicting " +
                  "(tool.uv.conflicts): they cannot be installed together. Choose one, e.g. " +
                  "--%s=%s") % (ctx.label, value, picked[n][1], what, ctx.attr.lockfile, ctx.label, picked[n][0]))
        picked[n] = (part, what)
    fail("%s = \"%s\": write the items in the order of the lock's conflict sets: %s" % (
        ctx.label,
        value,
        ",".join([picked[n][0] for n in sorted(picked)]),
    ))

variant_flag = rule(
    implementation = _variant_flag_impl,
    doc = "The hub's variant: at most one item of each of the lock's conflict sets (\"none\" for none).",
    build_setting = config.string(flag = True),
    attrs = {
        "lockfile": attr.string(doc = "The lock's label, for messages."),
        "sets": attr.string(doc = "JSON: the conflict sets, each a list of {value, what}."),
        "values": attr.string_list(doc = "Every valid value of the flag."),
    },
)
