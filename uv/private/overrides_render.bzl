"""Renders the overrides of a planned package (overrides.bzl) into its hub BUILD file."""

load(":starlark_quote.bzl", "render_call", "render_env_select", "render_load")

_TARGET_PACKAGE = str(Label("//uv/private:target_package.bzl"))
_HUB_RULES = str(Label("//uv/private:hub_rules.bzl"))

def _target(function, kwargs):
    return render_call(function, kwargs) + "\n\n"

def render_override_loads(pkg):
    """The load a package's BUILD file needs for its overrides, or "".

    Args:
      pkg: a package of the plan.

    Returns:
      A load statement line, or "".
    """
    if pkg.get("target_deps") or pkg.get("replace"):
        return render_load(_TARGET_PACKAGE, ["uv_target_package"])
    return ""

def render_target_deps(pkg):
    """The uv_target_package targets of a package's extra_deps labels.

    Args:
      pkg: a package of the plan.

    Returns:
      BUILD file text.
    """
    return "".join([
        _target("uv_target_package", [
            ("name", dep["name"]),
            ("actual", dep["actual"]),
            ("package", pkg["name"]),
        ])
        for dep in pkg.get("target_deps", [])
    ])

def render_build_settings(build):
    """The env and config_settings arguments of a package's sdist_build.

    Args:
      build: a build of a planned package.

    Returns:
      A list of (name, value) arguments.
    """
    out = []
    for key in ("config_settings", "env"):
        values = build.get(key)
        if values:
            # Sorted: the plan reaches bzlmod's hub through JSON, which may reorder keys.
            out.append((key, {k: values[k] for k in sorted(values)}))
    return out

def render_extras(pkg, python_version):
    """The uv_package targets `extra_<x>` of a package's extras, for its hub BUILD file.

    Args:
      pkg: a package of the plan.
      python_version: the label of the hub's Python version flag the targets read.

    Returns:
      BUILD file text.
    """
    lines = []
    for extra in sorted(pkg["extras"]):
        # An extra may name its own package (`pkg[all]` needs `pkg[cli]`): once is enough.
        own = "//" + pkg["label"]
        deps = {
            k: [":" + pkg["label"]] + [d for d in v if d != own]
            for k, v in pkg["extras"][extra].items()
        }
        lines.append(_target("uv_package", [
            ("name", "extra_" + extra),
            ("package", pkg["name"]),
            ("deps", render_env_select(deps, "//_markers", 4, default = "most_common")),
            ("python_version", python_version),
        ]))
    return "".join(lines)

def render_replaced(header, pkg):
    """The BUILD file of a package that `replace` stands in for.

    Args:
      header: the hub's file header.
      pkg: the planned package, with "replace".

    Returns:
      The file's text.
    """
    lines = [
        header,
        render_load(_HUB_RULES, ["uv_package", "uv_unavailable"]),
        render_load(_TARGET_PACKAGE, ["uv_target_package"]),
        "\n",
        "package(default_visibility = [\"//visibility:public\"])\n\n",
        "# Replaced by a target of the user's (the hub's `replace` attribute).\n",
        _target("uv_target_package", [
            ("name", pkg["label"]),
            ("actual", pkg["replace"]),
            ("package", pkg["name"]),
        ]),
    ]
    unavailable = pkg["unavailable"][0]
    lines.append(_target("alias", [("name", "whl"), ("actual", ":" + unavailable["name"])]))
    lines.append(render_extras(pkg, "//:python_version"))
    lines.append(_target("uv_unavailable", [
        ("name", unavailable["name"]),
        ("message", unavailable["message"]),
        ("tags", ["manual"]),
    ]))
    return "".join(lines).rstrip("\n") + "\n"
