"""sdist_build: builds a wheel from an sdist in one action, on a machine matching the target.

The action (mnemonic PySdistBuild) runs build_helper.py with the Python interpreter
toolchain resolved for the target-platform exec group, so local execution,
--extra_execution_platforms and remote execution all place it on an execution platform
whose constraints equal the target's, and it carries that platform's exec_properties.

The build requirements arrive installed: the site-packages trees their uv_package targets
already made (one PyWheelInstall each, shared by every build and program that needs them),
not wheels the helper would unpack again in every build.
"""

# uv's rules are Python rules built on py's internals (the allowed direction, uv -> py),
# which py does not publish.
# buildifier: disable=bzl-visibility
load("//py/private:exec_tools.bzl", "py_tool_attr", "run_py_tool")

# py's providers, for the same reason.
# buildifier: disable=bzl-visibility
load("//py/private:providers.bzl", "PyDepsInfo", "PyWheelsInfo")
load(
    ":exec_groups.bzl",
    "TARGET_EXEC_GROUP",
    "target_platform_exec_groups",
    "target_platform_toolchains",
)
load(":patch_attrs.bzl", "patch_attrs", "patch_flags")
load(":python_version_flag.bzl", "PythonVersionInfo", "python_version_attr")
load(":unpack_limits.bzl", "unpack_limit_flags")

# Fixed inputs of every build, so the same sdist gives the same wheel anywhere:
# 1980-01-01, the earliest time a zip entry can hold.
_SOURCE_DATE_EPOCH = "315532800"

_ACTION_ENV = {
    # Compilers and backends look tools up on PATH; nothing else leaks in.
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "PYTHONHASHSEED": "0",
    "PYTHONNOUSERSITE": "1",
    "SOURCE_DATE_EPOCH": _SOURCE_DATE_EPOCH,
    "LC_ALL": "C.UTF-8",
}

_ENV_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

def _build_env(ctx):
    """The user's environment for the build, checked: fixed variables stay fixed."""
    for name in ctx.attr.env:
        if not name or name.strip(_ENV_NAME_CHARS) or name[0].isdigit():
            fail("%s: env of %s: \"%s\" is not an environment variable name (letters, digits, _)" %
                 (ctx.label, ctx.attr.package, name))
        if name in _ACTION_ENV or name == "PYTHONPATH" or name.startswith("PIP_"):
            fail(("%s: env of %s sets %s, which the build fixes (for reproducible wheels) or " +
                  "drops; set another variable, or use config_settings") % (ctx.label, ctx.attr.package, name))
    for key in ctx.attr.config_settings:
        if not key or "=" in key or "%" in key:
            fail("%s: config_settings of %s: the key \"%s\" may not be empty or hold '=' or '%%'" %
                 (ctx.label, ctx.attr.package, key))
    return ctx.attr.env

def _project_root(ctx):
    """The folder of the shallowest pyproject.toml among srcs: the local project's root."""
    if ctx.file.sdist or not ctx.files.srcs:
        fail("%s: give exactly one of sdist and srcs" % ctx.label)
    roots = sorted([f.dirname for f in ctx.files.srcs if f.basename == "pyproject.toml"], key = len)
    if not roots:
        fail(("%s: the files of %s's local source hold no pyproject.toml; add it to the " +
              "filegroup %s") % (ctx.label, ctx.attr.package, ctx.attr.srcs[0].label))
    return roots[0]

def _sdist_build_impl(ctx):
    toolchains = target_platform_toolchains(ctx)
    platform = "%s_%s" % (toolchains.platform.os, toolchains.platform.cpu)
    python_version = ctx.attr.python_version[PythonVersionInfo].version
    out = ctx.actions.declare_directory(ctx.label.name)
    trees = depset(transitive = [d[PyDepsInfo].site_packages for d in ctx.attr.deps])

    args = ctx.actions.args()
    if ctx.file.sdist:
        args.add("--sdist", ctx.file.sdist)
        sources = [ctx.file.sdist]
        origin = "its sdist"
    else:
        root = _project_root(ctx)
        args.add("--source-root", root)
        args.add_all(ctx.files.srcs, before_each = "--source")
        sources = ctx.files.srcs
        origin = root
    args.add("--name", ctx.attr.package)
    args.add("--version", ctx.attr.version)
    args.add("--target-os", toolchains.platform.os)
    args.add("--target-cpu", toolchains.platform.cpu)
    args.add("--target-python", python_version)
    args.add("--interpreter-python", toolchains.python.python_version)
    args.add("--out-dir", out.path)
    args.add_all(trees, before_each = "--requirement-tree", expand_directories = False)
    args.add_all(patch_flags(ctx))
    args.add_all(unpack_limit_flags(ctx))
    env = dict(_ACTION_ENV)
    env.update(_build_env(ctx))
    for key, values in sorted(ctx.attr.config_settings.items()):
        # One argument: a value like "--mode=fast" must not read as an option.
        args.add_all(values, format_each = "--config-setting=" + key + "=%s")

    run_py_tool(
        ctx,
        ctx.attr._helper,
        arguments = [args],
        inputs = depset(sources + ctx.files.patches, transitive = [trees]),
        outputs = [out],
        mnemonic = "PySdistBuild",
        progress_message = "Building wheel of %s %s for %s (CPython %s) from %s" % (
            ctx.attr.package,
            ctx.attr.version,
            platform,
            python_version,
            origin,
        ),
        env = env,
        python = toolchains.python,
        exec_group = TARGET_EXEC_GROUP,
        # -S: no site-packages of the interpreter; only the lock's build requirements count.
        python_flags = ["-S"],
    )
    return [DefaultInfo(files = depset([out]))]

_ATTRS = {
    "config_settings": attr.string_list_dict(
        doc = "PEP 517 config_settings for the build backend: {\"key\": [\"value\"]}; " +
              "a key with several values is passed as a list (docs/overrides.md).",
    ),
    "deps": attr.label_list(
        providers = [PyWheelsInfo, PyDepsInfo],
        doc = "Build requirements: hub packages whose installed trees (and their " +
              "dependencies') make up the build environment.",
    ),
    "env": attr.string_dict(
        doc = "Environment variables of the build action, on top of its fixed ones " +
              "(docs/overrides.md).",
    ),
    "package": attr.string(mandatory = True, doc = "PEP 503 name of the package."),
    "python_version": python_version_attr("The hub's python_version flag: the target Python version."),
    "sdist": attr.label(
        allow_single_file = [".tar.gz", ".zip", ".tgz"],
        doc = "The sdist archive (or srcs).",
    ),
    "srcs": attr.label_list(
        allow_files = True,
        doc = "Instead of sdist: the files of a local project (a directory or " +
              "editable source of the lock), under the folder of its pyproject.toml.",
    ),
    "version": attr.string(mandatory = True, doc = "The version the sdist must build."),
    "_helper": py_tool_attr("//uv/private:build_helper"),
}
_ATTRS.update(patch_attrs("the unpacked sdist before the build"))

sdist_build = rule(
    implementation = _sdist_build_impl,
    doc = """Builds the wheel of one package from its sdist, for the target platform.

Instead of an sdist it can build a local project from its files (`srcs`), in the same
action on the same pinned execution platform. The output is a directory that holds exactly
one wheel, named with the tags the build
produced (e.g. `nativepkg-1.0.0-cp311-cp311-linux_aarch64.whl`).""",
    attrs = _ATTRS,
    exec_groups = target_platform_exec_groups(),
)
