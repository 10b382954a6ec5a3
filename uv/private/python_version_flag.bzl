"""The build setting that holds a hub's target Python version."""

PythonVersionInfo = provider(
    doc = "The target Python version a hub selects wheels for.",
    fields = {
        "version": "string: major.minor, e.g. \"3.11\".",
        "full_version": "string: the release the hub was planned for within that minor " +
                        "version (\"3.11.7\"), or \"\" when the lock does not tell releases apart.",
    },
)

def python_version_attr(doc):
    """The attribute of a rule that reads a hub's python_version flag.

    Args:
      doc: what the version is to the rule.

    Returns:
      A mandatory attr.label that requires PythonVersionInfo.
    """
    return attr.label(mandatory = True, providers = [PythonVersionInfo], doc = doc)

def selected_version(info):
    """The version packages were selected for: the full release when planned for one.

    Args:
      info: a PythonVersionInfo.

    Returns:
      "3.11.7" or "3.11"; check_python_version compares it with the interpreter's.
    """
    return info.full_version or info.version

def _python_version_flag_impl(ctx):
    value = ctx.build_setting_value
    if value not in ctx.attr.values:
        fail("%s = \"%s\" is not a Python version this lock allows; choose one of %s" %
             (ctx.label, value, ", ".join(ctx.attr.values)))
    return [PythonVersionInfo(version = value, full_version = ctx.attr.full_versions.get(value, ""))]

python_version_flag = rule(
    implementation = _python_version_flag_impl,
    doc = "A string flag with the target Python version (\"3.11\") wheels are chosen for.",
    build_setting = config.string(flag = True),
    attrs = {
        "full_versions": attr.string_dict(
            doc = "Minor version -> the full release the hub was planned for (\"3.11\": \"3.11.7\").",
        ),
        "values": attr.string_list(doc = "The versions the lock allows."),
    },
    provides = [PythonVersionInfo],
)
