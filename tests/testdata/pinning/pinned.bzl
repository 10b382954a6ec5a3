"""A tiny rule whose one action runs in rules_pyuv's target-platform exec group."""

# Tests exercise the internals that sdist_build is built on.
# buildifier: disable=bzl-visibility
load("@rules_pyuv//py/private:interpreter.bzl", "interpreter_executable")

# buildifier: disable=bzl-visibility
load(
    "@rules_pyuv//uv/private:exec_groups.bzl",
    "TARGET_EXEC_GROUP",
    "target_platform_exec_groups",
    "target_platform_toolchains",
)

_WRITE = "import sys; open(sys.argv[1], 'w').write(' '.join(sys.argv[2:]) + '\\n')"

def _pinned_probe_impl(ctx):
    toolchains = target_platform_toolchains(ctx)
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.run(
        outputs = [out],
        executable = interpreter_executable(toolchains.python),
        arguments = [
            "-c",
            _WRITE,
            out.path,
            toolchains.platform.os,
            toolchains.platform.cpu,
            toolchains.python.python_version,
        ],
        mnemonic = "PinnedProbe",
        exec_group = TARGET_EXEC_GROUP,
    )
    return [DefaultInfo(files = depset([out]))]

pinned_probe = rule(
    implementation = _pinned_probe_impl,
    exec_groups = target_platform_exec_groups(),
)
