"""Target-platform sentinel toolchains.

A sentinel is a toolchain with no tools. Its exec constraints equal its target
constraints, so an exec group that requires the sentinel can only be resolved to an
execution platform that matches the target platform: an sdist built for linux/aarch64 runs
on a linux/aarch64 machine, locally or remotely, and carries that platform's
exec_properties.
"""

load(":target_envs.bzl", "TARGET_PLATFORMS")

TargetPlatformInfo = provider(
    doc = "The os and cpu a sentinel toolchain pins its actions to.",
    fields = {
        "os": "string: @platforms//os constraint name, e.g. \"linux\".",
        "cpu": "string: @platforms//cpu constraint name, e.g. \"aarch64\".",
    },
)

def _target_platform_sentinel_impl(ctx):
    info = TargetPlatformInfo(os = ctx.attr.os, cpu = ctx.attr.cpu)
    return [platform_common.ToolchainInfo(target_platform = info)]

target_platform_sentinel = rule(
    implementation = _target_platform_sentinel_impl,
    doc = "A toolchain implementation that only names the platform it stands for.",
    attrs = {
        "cpu": attr.string(mandatory = True, doc = "@platforms//cpu constraint name."),
        "os": attr.string(mandatory = True, doc = "@platforms//os constraint name."),
    },
)

def sentinel_name(os, cpu):
    """Returns the toolchain target name of the sentinel for os and cpu.

    Args:
      os: @platforms//os constraint name.
      cpu: @platforms//cpu constraint name.

    Returns:
      The name, e.g. "linux_aarch64".
    """
    return "%s_%s" % (os, cpu)

def target_platform_sentinels(name, toolchain_type):
    """Declares one sentinel toolchain per platform of TARGET_PLATFORMS (target_envs.bzl).

    Meant for a BUILD file whose `:all` is registered with register_toolchains. The
    toolchains are named after their platform (e.g. `linux_aarch64`).

    Args:
      name: prefix of the toolchain implementation targets (`<name>_linux_aarch64`).
      toolchain_type: label of the sentinel toolchain type.
    """
    for os, cpu in TARGET_PLATFORMS:
        platform = sentinel_name(os, cpu)
        constraints = ["@platforms//os:" + os, "@platforms//cpu:" + cpu]
        target_platform_sentinel(
            name = "%s_%s" % (name, platform),
            os = os,
            cpu = cpu,
            visibility = ["//visibility:private"],
        )
        native.toolchain(
            name = platform,
            toolchain = ":%s_%s" % (name, platform),
            toolchain_type = toolchain_type,
            exec_compatible_with = constraints,
            target_compatible_with = constraints,
        )
