"""The rule behind @hub//<package>: one installed wheel plus the packages it needs."""

# uv's rules are Python rules built on py's internals (the allowed direction, uv -> py),
# which py does not publish: the lint only knows its own packages' private folders.
# buildifier: disable=bzl-visibility
load("//py/private:exec_tools.bzl", "py_tool_attr", "py_tools_exec_groups", "run_py_tool")

# py's providers, for the same reason.
# buildifier: disable=bzl-visibility
load("//py/private:providers.bzl", "PyDepsInfo", "PyWheelsInfo", "merge_deps")
load(":patch_attrs.bzl", "patch_attrs", "patch_flags")
load(":python_version_flag.bzl", "PythonVersionInfo", "python_version_attr", "selected_version")
load(":target_libc.bzl", "libc_audit_flags", "target_libc_attrs")
load(":unpack_limits.bzl", "unpack_limit_flags")

def _install(ctx, whl):
    """Runs whl_install.py: the wheel unpacked into a site-packages tree, once per wheel.

    The same action audits the wheel's ELF files against the target's libc and cpu (a
    wheel built from an sdist is a folder holding it) and applies the post-install patches.
    """
    site = ctx.actions.declare_directory(ctx.label.name + "_site")
    manifest = ctx.actions.declare_file(ctx.label.name + "_site.json")
    run_py_tool(
        ctx,
        ctx.attr._installer,
        arguments = [
                        "--wheel",
                        whl.path,
                        "--out-dir",
                        site.path,
                        "--manifest",
                        manifest.path,
                        "--package",
                        ctx.attr.package,
                    ] + (["--built"] if whl.is_directory else []) + libc_audit_flags(ctx) + patch_flags(ctx) +
                    unpack_limit_flags(ctx),
        inputs = [whl] + ctx.files.patches,
        outputs = [site, manifest],
        mnemonic = "PyWheelInstall",
        progress_message = "Installing %s (%s)" % (ctx.attr.package, whl.basename),
        env = {"PYTHONHASHSEED": "0"},
        # A persistent worker where Bazel runs workers (docs/performance.md); one run of
        # the tool elsewhere, e.g. remotely or with --strategy=PyWheelInstall=sandboxed.
        worker = True,
    )
    return site, manifest

def _uv_package_impl(ctx):
    whl = ctx.file.whl
    own = [whl] if whl else []
    wheels = depset(own, transitive = [d[PyWheelsInfo].wheels for d in ctx.attr.deps])
    site_packages, manifests, manifest = [], [], None
    if whl:
        site, manifest = _install(ctx, whl)
        site_packages.append(site)
        manifests.append(manifest)
    runfiles = ctx.runfiles(files = site_packages)
    for dep in ctx.attr.deps:
        runfiles = runfiles.merge(dep[DefaultInfo].default_runfiles)
    return [
        PyWheelsInfo(
            package = ctx.attr.package,
            wheel = whl,
            wheels = wheels,
            manifest = manifest,
        ),
        merge_deps(
            ctx.attr.deps,
            site_packages = site_packages,
            manifests = manifests,
            python_versions = [selected_version(ctx.attr.python_version[PythonVersionInfo])] if whl else [],
        ),
        DefaultInfo(files = wheels, runfiles = runfiles),
        OutputGroupInfo(installed = depset(site_packages + manifests)),
    ]

_ATTRS = {
    "deps": attr.label_list(
        providers = [PyWheelsInfo],
        doc = "Packages this one needs at run time on the target platform.",
    ),
    "package": attr.string(mandatory = True, doc = "PEP 503 name of the package."),
    "python_version": python_version_attr(
        "The hub's python_version flag: the Python the wheel was selected for.",
    ),
    "whl": attr.label(
        allow_single_file = True,
        doc = "The wheel for the target platform (a .whl, or a folder holding the one " +
              "wheel built from the sdist).",
    ),
    "_installer": py_tool_attr("//uv/private:whl_install"),
}
_ATTRS.update(patch_attrs("the installed tree"))
_ATTRS.update(target_libc_attrs())

uv_package = rule(
    implementation = _uv_package_impl,
    doc = "A package of a hub: its wheel for the target platform, installed (its ELF " +
          "files audited against the target's libc, its patches applied), and its " +
          "dependencies. Without `whl` it only groups dependencies (an extra).",
    attrs = _ATTRS,
    provides = [PyWheelsInfo, PyDepsInfo],
    exec_groups = py_tools_exec_groups(),
)
