"""Constraint settings for target facts that @platforms does not describe."""

load(
    ":target_envs.bzl",
    "DEFAULT_GLIBC_VERSION",
    "DEFAULT_MACOS_VERSION",
    "DEFAULT_MUSL_VERSION",
    "GLIBC_VERSIONS",
    "MACOS_VERSIONS",
    "MUSL_VERSIONS",
    "version_label",
)

def _versioned(name, prefix, versions, default):
    native.constraint_setting(
        name = name,
        default_constraint_value = ":" + version_label(prefix, default),
    )
    for v in versions:
        native.constraint_value(
            name = version_label(prefix, v),
            constraint_setting = ":" + name,
        )

def target_constraints(name = "target_constraints"):
    """Declares the libc flavour, libc version and macOS version constraint settings.

    Platforms that name none of them get the defaults: glibc, glibc 2.28, musl 1.2 and
    macOS 12.0.

    Args:
      name: unused; macros take a name by convention.
    """
    _ = name  # @unused
    native.constraint_setting(name = "libc", default_constraint_value = ":glibc")
    native.constraint_value(name = "glibc", constraint_setting = ":libc")
    native.constraint_value(name = "musl", constraint_setting = ":libc")
    _versioned("glibc_version", "glibc", GLIBC_VERSIONS, DEFAULT_GLIBC_VERSION)
    _versioned("musl_version", "musl", MUSL_VERSIONS, DEFAULT_MUSL_VERSION)
    _versioned("macos_version", "macos", MACOS_VERSIONS, DEFAULT_MACOS_VERSION)
