"""The rule behind @hub//<package>: one installed wheel plus the packages it needs."""

# uv's rules are Python rules built on py's internals (the allowed direction, uv -> py),
# which py does not publish: the lint only knows its own packages' private folders.
# buildifier: disable=bzl-visibility
load("//py/private:exec_tools.bzl", "py_tool_attr", "py_tools_exec_groups", "run_py_tool")

# buildifier: disable=bzl-visibility
load("//py/private:providers.bzl", "PyDepsInfo", "PyWheelsInfo", "merge_deps")
load(":python_version_flag.bzl", "PythonVersionInfo", "python_version_attr")
load(":unpack_limits.bzl", "unpack_limit_flags")

def _install(ctx, whl):
    """Runs whl_install.py: the wheel unpacked into a site-packages tree, once per wheel."""
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
        ] + unpack_limit_flags(ctx),
        inputs = [whl],
        outputs = [site, manifest],
        mnemonic = "PyWheelInstall",
        progress_message = "Installing %s (%s)" % (ctx.attr.package, whl.basename),
        env = {"PYTHONHASHSEED": "0"},
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
            python_versions = [ctx.attr.python_version[PythonVersionInfo].version] if whl else [],
        ),
        DefaultInfo(files = wheels, runfiles = runfiles),
        OutputGroupInfo(installed = depset(site_packages + manifests)),
    ]

uv_package = rule(
    implementation = _uv_package_impl,
    doc = "A package of a hub: its wheel for the target platform, installed, and its " +
          "dependencies. Without `whl` it only groups dependencies (an extra).",
    attrs = {
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
    },
    provides = [PyWheelsInfo, PyDepsInfo],
    exec_groups = py_tools_exec_groups(),
)
