"""The hub's `explain` listing: per target environment, what each package will use.

`bazel run @<hub>//:explain --platforms=...` prints, for the environment the target
platform and the python_version flag select, per package: the wheel chosen, or the sdist
that will be built and the execution platform that build needs, or why nothing fits.
The planner already decided all of it; this renders one text file per environment at
hub-creation time, and the `explain` target picks one with a select() over the hub's
environments, so nothing is computed (and nothing is fetched) when it runs.
"""

load(":starlark_quote.bzl", "all_equal", "expr", "render_call", "render_load", "render_select")
load(":target_envs.bzl", "marker_key", "platform_variants", "python_tag")

_EXPLAIN_RULE = str(Label("//uv/private:explain.bzl"))

def add_explain_data(plan):
    """Records what explain needs from the artifacts, which bzlmod's hub does not get.

    Args:
      plan: the plan from plan_hub; gets "artifact_files": {repo: file name}.
    """
    plan["artifact_files"] = {a["repo"]: a["filename"] for a in plan["artifacts"]}

def _repo_of(label):
    # "@<repo>//:file" -> "<repo>"
    return label[1:].split("//")[0] if label.startswith("@") else ""

def _variants():
    return {v["name"]: v for v in platform_variants()}

def _describe_env(env, variants):
    name, suffix = env["name"], ""
    if "variant" in env:
        # Planned once per variant of the lock's conflicts: "<env>__<variant>" (variants.bzl).
        name, _, suffix = name.rpartition("__")
        suffix = "__" + suffix
    variant = variants.get(name[len(python_tag(env["python_version"])) + 1:])
    if variant == None:
        return struct(text = "CPython %s" % env["python_version"], os = "", cpu = "", suffix = suffix)
    words = [variant["os"], variant["cpu"]]
    if variant["libc"]:
        words += [variant["libc"], variant["libc_version"]]
    if variant["macos_version"]:
        words += ["macOS", variant["macos_version"]]
    if "variant" in env:
        words += ["variant", env["variant"]]
    return struct(
        text = "CPython %s, %s" % (env["python_version"], " ".join(words)),
        os = variant["os"],
        cpu = variant["cpu"],
        suffix = suffix,
    )

def _marker_env_of(env, facts):
    return marker_key(env["python_version"], facts.os, facts.cpu) + facts.suffix

def _line(pkg, env, facts, files, label, version):
    who = pkg["name"] + (" " + version if version else "")
    if label.startswith(":_unavailable"):
        messages = {":" + u["name"]: u["message"] for u in pkg["unavailable"]}
        return "%s: nothing fits: %s" % (pkg["name"], messages.get(label, "no artifact for this environment"))
    if label.startswith(":_build"):
        builds = {":" + b["name"]: b for b in pkg["builds"]}
        build = builds.get(label, {})
        sdist = build.get("sdist", "")
        source = ("sdist " + files.get(_repo_of(sdist), sdist)) if sdist else "its local source"
        where = ("@platforms//os:%s and @platforms//cpu:%s" % (facts.os, facts.cpu)) if facts.os else "the target's constraints"
        return ("%s: built from %s (sdist_build), on an execution platform with %s and a " +
                "CPython %s interpreter toolchain") % (who, source, where, env["python_version"])
    if label.startswith("@"):
        return "%s: wheel %s" % (who, files.get(_repo_of(label), label))
    return "%s: %s" % (who, label or "not in this environment")

def render_explain(plan):
    """The explain files of a hub.

    Args:
      plan: the plan from plan_hub (with add_explain_data's "artifact_files").

    Returns:
      (files, root_text): the `_explain` package's files by path, and the text to append
      to the hub's root BUILD file (the `explain` alias).
    """
    files_of = plan.get("artifact_files", {})
    variants = _variants()
    files = {}
    branches = []
    envs = []
    lines = {}
    for env in plan["envs"]:
        facts = _describe_env(env, variants)
        envs.append((env, facts, _marker_env_of(env, facts)))
        lines[env["name"]] = [
            "rules_pyuv explain: hub @%s (%s)" % (plan["hub"], plan.get("lockfile", "")),
            "target environment: %s (%s)" % (env["name"], facts.text),
            "",
        ]
    env_names = [env["name"] for env, _, _ in envs]
    env_lines = [lines[name] for name in env_names]
    menvs = {menv: None for _, _, menv in envs}.keys()
    for pkg in plan["packages"]:
        whl = pkg["whl"]
        versions = pkg.get("versions", {})

        # Most packages have one label (not a build) and one version in every environment:
        # one line, appended to every environment's list without the per-environment steps.
        labels = whl.values()
        if labels and whl.keys() == env_names and not labels[0].startswith(":_build") and all_equal(labels):
            found = [versions.get(menv, "") for menv in menvs]
            if all_equal(found):
                line = _line(pkg, envs[0][0], envs[0][1], files_of, labels[0], found[0])
                for env_list in env_lines:
                    env_list.append(line)
                continue

        # A wheel's or a failure's line depends only on the label and the version, so
        # most packages (one wheel everywhere) render one line for all environments.
        same = {}
        for env, facts, menv in envs:
            label = whl.get(env["name"], "")
            version = versions.get(menv, "")
            if label.startswith(":_build"):
                line = _line(pkg, env, facts, files_of, label, version)
            else:
                key = label + " " + version
                line = same.get(key)
                if line == None:
                    line = _line(pkg, env, facts, files_of, label, version)
                    same[key] = line
            lines[env["name"]].append(line)
    for env, _, _ in envs:
        files["_explain/%s.txt" % env["name"]] = "\n".join(lines[env["name"]]) + "\n"
        branches.append(("//_envs:" + env["name"], env["name"] + ".txt"))
    no_match = ("rules_pyuv: hub @%s has no environment for this target platform and " +
                "--@%s//:python_version; its environments are CPython %s on the platforms " +
                "docs/platforms.md lists") % (plan["hub"], plan["hub"], ", ".join(plan["python_versions"]))
    files["_explain/BUILD.bazel"] = "".join([
        "# Generated by rules_pyuv from a uv.lock. Do not edit.\n",
        render_load(_EXPLAIN_RULE, ["uv_explain"]),
        "\n",
        render_call("uv_explain", [
            ("name", "explain"),
            ("report", expr(render_select(branches, 4, no_match_error = no_match))),
            ("visibility", ["//:__pkg__"]),
        ]),
        "\n",
    ])
    root = "\n" + render_call("alias", [
        ("name", "explain"),
        ("actual", "//_explain:explain"),
        ("tags", ["manual"]),
    ]) + "\n"
    return files, root
