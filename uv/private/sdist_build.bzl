"""sdist_build: builds a wheel from an sdist in one action, on a machine matching the target.

The action (mnemonic PySdistBuild) runs build_helper.py with the Python interpreter
toolchain resolved for the target-platform exec group, so local execution,
--extra_execution_platforms and remote execution all place it on an execution platform
whose constraints equal the target's, and it carries that platform's exec_properties.
"""

# The interpreter toolchain is the py package's; sdist_build is its main user.
# buildifier: disable=bzl-visibility
load("//py/private:interpreter.bzl", "interpreter_executable")
load(
    ":exec_groups.bzl",
    "TARGET_EXEC_GROUP",
    "target_platform_exec_groups",
    "target_platform_toolchains",
)
load(":package.bzl", "PyWheelsInfo")
load(":python_version_flag.bzl", "PythonVersionInfo")
load(":unpack_limits.bzl", "unpack_limit_flags")

# Fixed inputs of every build, so the same sdist gives the same wheel anywhere:
# 1980-01-01, the earliest time a zip entry can hold.
_SOURCE_DATE_EPOCH = "315532800"

def _sdist_build_impl(ctx):
    toolchains = target_platform_toolchains(ctx)
    platform = "%s_%s" % (toolchains.platform.os, toolchains.platform.cpu)
    python_version = ctx.attr.python_version[PythonVersionInfo].version
    out = ctx.actions.declare_directory(ctx.label.name)
    wheels = depset(transitive = [d[PyWheelsInfo].wheels for d in ctx.attr.deps])

    args = ctx.actions.args()

    # -S: no site-packages of the interpreter; only the lock's build requirements count.
    args.add("-S")
    args.add(ctx.file._helper)
    args.add("--sdist", ctx.file.sdist)
    args.add("--name", ctx.attr.package)
    args.add("--version", ctx.attr.version)
    args.add("--target-os", toolchains.platform.os)
    args.add("--target-cpu", toolchains.platform.cpu)
    args.add("--target-python", python_version)
    args.add("--interpreter-python", toolchains.python.python_version)
    args.add("--out-dir", out.path)
    args.add_all(wheels, before_each = "--requirement-wheel")
    args.add_all(unpack_limit_flags(ctx))

    inputs = [ctx.file.sdist, ctx.file._helper]
    if toolchains.python.interpreter:
        inputs.append(toolchains.python.interpreter)
    ctx.actions.run(
        executable = interpreter_executable(toolchains.python),
        arguments = [args],
        inputs = depset(inputs, transitive = [wheels]),
        outputs = [out],
        mnemonic = "PySdistBuild",
        progress_message = "Building wheel of %s %s for %s (CPython %s) from its sdist" % (
            ctx.attr.package,
            ctx.attr.version,
            platform,
            python_version,
        ),
        env = {
            # Compilers and backends look tools up on PATH; nothing else leaks in.
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "SOURCE_DATE_EPOCH": _SOURCE_DATE_EPOCH,
            "LC_ALL": "C.UTF-8",
        },
        exec_group = TARGET_EXEC_GROUP,
    )
    return [DefaultInfo(files = depset([out]))]

sdist_build = rule(
    implementation = _sdist_build_impl,
    doc = """Builds the wheel of one package from its sdist, for the target platform.

The output is a directory that holds exactly one wheel, named with the tags the build
produced (e.g. `nativepkg-1.0.0-cp311-cp311-linux_aarch64.whl`).""",
    attrs = {
        "deps": attr.label_list(
            providers = [PyWheelsInfo],
            doc = "Build requirements: packages whose wheels (and their dependencies') " +
                  "are installed into the build environment.",
        ),
        "package": attr.string(mandatory = True, doc = "PEP 503 name of the package."),
        "python_version": attr.label(
            mandatory = True,
            providers = [PythonVersionInfo],
            doc = "The hub's python_version flag: the target Python version.",
        ),
        "sdist": attr.label(
            mandatory = True,
            allow_single_file = [".tar.gz", ".zip", ".tgz"],
            doc = "The sdist archive.",
        ),
        "version": attr.string(mandatory = True, doc = "The version the sdist must build."),
        "_helper": attr.label(
            default = Label("//uv/private:build_helper.py"),
            allow_single_file = True,
        ),
    },
    exec_groups = target_platform_exec_groups(),
)
