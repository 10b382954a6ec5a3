"""What a rule knows of its target platform's os, cpu and libc, for the libc audit.

The facts come from the target platform's constraint values, read with
ctx.target_platform_has_constraint (a constraint_setting's default value counts, so a
platform that names no libc is glibc 2.28, as in wheel selection). Never from the host.
"""

load(":target_envs.bzl", "GLIBC_VERSIONS", "TARGET_PLATFORMS", "version_label")

def _unique(items):
    return {item: None for item in items}.keys()

_OSES = _unique([os for os, _ in TARGET_PLATFORMS])
_CPUS = _unique([cpu for _, cpu in TARGET_PLATFORMS])

def target_libc_attrs():
    """The private attributes target_libc_flags reads: the constraint values it tests.

    Returns:
      A dict to merge into a rule's attrs.
    """
    constraint = [platform_common.ConstraintValueInfo]
    return {
        "_target_cpus": attr.label_list(
            default = [Label("@platforms//cpu:" + cpu) for cpu in _CPUS],
            providers = [constraint],
        ),
        "_target_glibc_versions": attr.label_list(
            default = [Label("//uv/constraints:" + version_label("glibc", v)) for v in GLIBC_VERSIONS],
            providers = [constraint],
        ),
        "_target_libcs": attr.label_list(
            default = [Label("//uv/constraints:glibc"), Label("//uv/constraints:musl")],
            providers = [constraint],
        ),
        "_target_oses": attr.label_list(
            default = [Label("@platforms//os:" + os) for os in _OSES],
            providers = [constraint],
        ),
    }

def _first(ctx, values, names):
    for target, name in zip(values, names):
        if ctx.target_platform_has_constraint(target[platform_common.ConstraintValueInfo]):
            return name
    return ""

def target_libc(ctx):
    """The target's os, cpu, libc flavour and glibc version, as far as its platform says.

    Args:
      ctx: the context of a rule with target_libc_attrs().

    Returns:
      A struct(os, cpu, libc, libc_version); a field is "" when the platform does not
      say (e.g. no @platforms//cpu constraint) or it does not apply (libc_version of musl).
    """
    os = _first(ctx, ctx.attr._target_oses, _OSES)
    cpu = _first(ctx, ctx.attr._target_cpus, _CPUS)
    libc = _first(ctx, ctx.attr._target_libcs, ["glibc", "musl"]) if os == "linux" else ""
    version = _first(ctx, ctx.attr._target_glibc_versions, GLIBC_VERSIONS) if libc == "glibc" else ""
    return struct(os = os, cpu = cpu, libc = libc, libc_version = version)

def libc_audit_flags(ctx):
    """whl_install.py's flags that audit a wheel against the target, or [] for non-Linux.

    Args:
      ctx: the context of a rule with target_libc_attrs().

    Returns:
      A list of strings.
    """
    target = target_libc(ctx)
    if target.os != "linux" or not target.cpu or not target.libc:
        return []
    flags = ["--target-os", target.os, "--target-cpu", target.cpu, "--target-libc", target.libc]
    if target.libc_version:
        flags += ["--target-libc-version", target.libc_version]
    return flags
