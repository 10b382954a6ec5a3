"""The rule behind @hub//<package>: one installed wheel plus the packages it needs."""

# The py package owns the interpreter toolchain and the provider of Python targets.
# buildifier: disable=bzl-visibility
load("//py/private:exec_tools.bzl", "PY_TOOLS_EXEC_GROUP", "py_tools_exec_groups", "py_tools_interpreter")

# buildifier: disable=bzl-visibility
load("//py/private:interpreter.bzl", "interpreter_executable")

# buildifier: disable=bzl-visibility
load("//py/private:providers.bzl", "PyDepsInfo", "merge_deps")
load(":python_version_flag.bzl", "PythonVersionInfo")
load(":unpack_limits.bzl", "unpack_limit_flags")

PyWheelsInfo = provider(
    doc = "Wheels of a package from a hub, for the current target platform.",
    fields = {
        "manifest": "File: whl_install's manifest of the installed wheel (files, console " +
                    "scripts); None for an extra.",
        "package": "string: PEP 503 name of the package.",
        "wheel": "File: the package's own wheel (or the folder holding the one built from " +
                 "its sdist); None for an extra, which only adds dependencies.",
        "wheels": "depset of File: the package's wheel and those of its transitive " +
                  "runtime dependencies.",
    },
)

def _install(ctx, whl):
    """Runs whl_install.py: the wheel unpacked into a site-packages tree, once per wheel."""
    site = ctx.actions.declare_directory(ctx.label.name + "_site")
    manifest = ctx.actions.declare_file(ctx.label.name + "_site.json")
    python = py_tools_interpreter(ctx)
    inputs = [whl, ctx.file._installer]
    if python.interpreter:
        inputs.append(python.interpreter)
    ctx.actions.run(
        executable = interpreter_executable(python),
        arguments = [
            ctx.file._installer.path,
            "--wheel",
            whl.path,
            "--out-dir",
            site.path,
            "--manifest",
            manifest.path,
            "--package",
            ctx.attr.package,
        ] + unpack_limit_flags(ctx),
        inputs = inputs,
        outputs = [site, manifest],
        mnemonic = "PyWheelInstall",
        progress_message = "Installing %s (%s)" % (ctx.attr.package, whl.basename),
        env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"},
        exec_group = PY_TOOLS_EXEC_GROUP,
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
        "python_version": attr.label(
            mandatory = True,
            providers = [PythonVersionInfo],
            doc = "The hub's python_version flag: the Python the wheel was selected for.",
        ),
        "whl": attr.label(
            allow_single_file = True,
            doc = "The wheel for the target platform (a .whl, or a folder holding the one " +
                  "wheel built from the sdist).",
        ),
        "_installer": attr.label(
            default = Label("//uv/private:whl_install.py"),
            allow_single_file = True,
        ),
    },
    provides = [PyWheelsInfo, PyDepsInfo],
    exec_groups = py_tools_exec_groups(),
)
