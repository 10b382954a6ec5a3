"""py_image_layer: deterministic tar layers of a py_binary, for container images."""

load(":exec_tools.bzl", "py_tool_attr", "py_tools_exec_groups", "run_py_tool")
load(":interpreter.bzl", "PY_TOOLCHAIN_TYPE")
load(":providers.bzl", "PyDepsInfo")
load(":scripts.bzl", "runfiles_path")

PyImageLayerInfo = provider(
    doc = "Container image layers of a py_binary, built for one target platform.",
    fields = {
        "app_path": "string: absolute folder of the program in the image, e.g. \"/app\".",
        "architecture": "string: OCI architecture of the target platform (\"amd64\", " +
                        "\"arm64\", ...), or \"\" when unknown.",
        "binary": "Label: the py_binary.",
        "entrypoint": "list of string: the command that runs the program in the image, " +
                      "e.g. [\"/app/app\"].",
        "interpreter_path": "string: absolute path of the interpreter the launcher runs " +
                            "(it must exist in the base image), or \"\" when the " +
                            "interpreter is hermetic and in the interpreter layer.",
        "layer_names": "list of string: names of `layers`, e.g. [\"packages\", \"app\"].",
        "layers": "list of File: the layer tars, bottom first.",
        "os": "string: OCI os of the target platform (\"linux\"), or \"\" when unknown.",
        "variant": "string: OCI variant (\"v8\" for arm64), or \"\".",
    },
)

# OCI architecture and variant (as Go's GOARCH) for each @platforms//cpu constraint.
# Constraints that some @platforms releases alias to another (arm64, i386) are left out:
# two select() keys matching the same constraint would be ambiguous.
OCI_ARCHITECTURES = {
    "aarch64": ("arm64", "v8"),
    "armv7": ("arm", "v7"),
    "s390x": ("s390x", ""),
    "x86_32": ("386", ""),
    "x86_64": ("amd64", ""),
}

OCI_OSES = ["linux", "windows"]

def oci_platform_selects():
    """select()s that give the OCI os, architecture and variant of the target platform.

    Returns:
      A struct with `os`, `architecture` and `variant`, each a select() over
      @platforms constraints with "" as the default.
    """
    arch = {"//conditions:default": ""}
    variant = {"//conditions:default": ""}
    for cpu in sorted(OCI_ARCHITECTURES):
        key = str(Label("@platforms//cpu:" + cpu))
        arch[key] = OCI_ARCHITECTURES[cpu][0]
        variant[key] = OCI_ARCHITECTURES[cpu][1]
    os = {"//conditions:default": ""}
    for name in OCI_OSES:
        os[str(Label("@platforms//os:" + name))] = name
    return struct(os = select(os), architecture = select(arch), variant = select(variant))

def normalize_app_path(label, app_path):
    """Checks an image folder and returns it without trailing "/" ("" for "/").

    Args:
      label: the target's label, for messages.
      app_path: an absolute path such as "/app".

    Returns:
      The path, e.g. "/app".
    """
    if not app_path.startswith("/"):
        fail("%s: app_path must be absolute, got \"%s\"" % (label, app_path))
    parts = [p for p in app_path.split("/") if p]
    for p in parts:
        if p in (".", ".."):
            fail("%s: app_path must not contain \".\" or \"..\", got \"%s\"" % (label, app_path))
    return "".join(["/" + p for p in parts])

def _entry(dest, file, executable):
    return {
        "dest": dest,
        "dir": file.is_directory,
        # "keep": the input's executable bit decides (Bazel marks every output
        # executable); "bin": a package tree, only its bin/ scripts are executable.
        "mode": executable,
        "src": file.path,
    }

def _layer(ctx, name, entries, inputs):
    ext = ".tar.gz" if ctx.attr.compress == "gzip" else ".tar"
    out = ctx.actions.declare_file("%s/%s%s" % (ctx.label.name, name, ext))
    manifest = ctx.actions.declare_file("%s/%s.entries.json" % (ctx.label.name, name))
    ctx.actions.write(manifest, json.encode(sorted(entries, key = _dest_of)))
    args = ctx.actions.args()
    args.add("layer")
    args.add("--manifest", manifest)
    args.add("--out", out)
    args.add("--compress", ctx.attr.compress)
    args.add("--mtime", str(ctx.attr.mtime))
    run_py_tool(
        ctx,
        ctx.attr._tool,
        arguments = [args],
        inputs = [manifest] + inputs,
        outputs = [out],
        mnemonic = "PyImageLayer",
        progress_message = "Writing the %s layer of %s" % (name, ctx.attr.binary.label),
    )
    return out

def _dest_of(entry):
    return entry["dest"]

def _py_image_layer_impl(ctx):
    app_path = normalize_app_path(ctx.label, ctx.attr.app_path)
    binary = ctx.attr.binary
    launcher = binary[DefaultInfo].files_to_run.executable
    if not launcher:
        fail("%s: binary %s is not executable" % (ctx.label, binary.label))
    runfiles = binary[DefaultInfo].default_runfiles
    root = "%s/%s.runfiles" % (app_path, launcher.basename)
    sites = {f: True for f in binary[PyDepsInfo].site_packages.to_list()}
    runtime = ctx.toolchains[PY_TOOLCHAIN_TYPE].py_interpreter
    interpreter = runtime.interpreter

    # A hermetic interpreter from an external repository brings that repository's files
    # (its standard library); one from the main repository only itself.
    interpreter_repo = ""
    if interpreter and interpreter.owner:
        interpreter_repo = interpreter.owner.workspace_name

    groups = {"app": [], "interpreter": [], "packages": []}
    inputs = {"app": [launcher], "interpreter": [], "packages": []}
    groups["app"].append(_entry("%s/%s" % (app_path, launcher.basename), launcher, "keep"))
    for f in runfiles.files.to_list():
        dest = root + "/" + runfiles_path(ctx, f)
        if f in sites:
            group, mode = "packages", "bin"
        elif interpreter and (f == interpreter or (
            interpreter_repo and f.owner and f.owner.workspace_name == interpreter_repo
        )):
            group, mode = "interpreter", "keep"
        else:
            group, mode = "app", "keep"
        groups[group].append(_entry(dest, f, mode))
        inputs[group].append(f)
    for link in runfiles.symlinks.to_list():
        groups["app"].append(_entry(
            "%s/%s/%s" % (root, ctx.workspace_name, link.path),
            link.target_file,
            "keep",
        ))
        inputs["app"].append(link.target_file)
    if hasattr(runfiles, "root_symlinks"):
        for link in runfiles.root_symlinks.to_list():
            groups["app"].append(_entry("%s/%s" % (root, link.path), link.target_file, "keep"))
            inputs["app"].append(link.target_file)

    names = []
    layers = []
    for name in ("interpreter", "packages", "app"):
        if not groups[name] and name != "app":
            continue
        names.append(name)
        layers.append(_layer(ctx, name, groups[name], inputs[name]))

    entrypoint = ["%s/%s" % (app_path, launcher.basename)]
    return [
        PyImageLayerInfo(
            app_path = app_path or "/",
            architecture = ctx.attr.architecture,
            binary = binary.label,
            entrypoint = entrypoint,
            interpreter_path = "" if interpreter else runtime.interpreter_path,
            layer_names = names,
            layers = layers,
            os = ctx.attr.os,
            variant = ctx.attr.variant,
        ),
        DefaultInfo(files = depset(layers)),
        OutputGroupInfo(**{n: depset([layers[i]]) for i, n in enumerate(names)}),
    ]

py_image_layer_rule = rule(
    implementation = _py_image_layer_impl,
    doc = "Deterministic tar layers of a py_binary (see the py_image_layer macro).",
    attrs = {
        "app_path": attr.string(
            default = "/app",
            doc = "Absolute folder of the program in the image.",
        ),
        "architecture": attr.string(doc = "OCI architecture of the target platform."),
        "binary": attr.label(
            mandatory = True,
            executable = True,
            cfg = "target",
            providers = [PyDepsInfo],
            doc = "The py_binary to package.",
        ),
        "compress": attr.string(
            default = "gzip",
            values = ["gzip", "none"],
            doc = "gzip: <layer>.tar.gz; none: <layer>.tar.",
        ),
        "mtime": attr.int(
            default = 0,
            doc = "Modification time of every entry, in seconds since the epoch.",
        ),
        "os": attr.string(doc = "OCI os of the target platform."),
        "variant": attr.string(doc = "OCI variant of the target platform's architecture."),
        "_tool": py_tool_attr("//py/private:image_tool"),
    },
    provides = [PyImageLayerInfo],
    toolchains = [PY_TOOLCHAIN_TYPE],
    exec_groups = py_tools_exec_groups(),
)

def py_image_layer(
        name,
        binary,
        app_path = "/app",
        compress = "gzip",
        mtime = 0,
        architecture = None,
        os = None,
        variant = None,
        **kwargs):
    """Deterministic tar layers of a py_binary, for one target platform.

    The layers hold the program laid out as `bazel-bin` has it, so its launcher works
    unchanged in the image:

    - `<app_path>/<binary name>`: the launcher (the image's entrypoint);
    - `<app_path>/<binary name>.runfiles/...`: its runfiles tree.

    They are split so that editing the program's code only changes the last layer:

    1. `interpreter` (only with a hermetic interpreter toolchain, whose interpreter is a
       file of the build): the interpreter's files;
    2. `packages`: the installed third-party packages (one site-packages tree each);
    3. `app`: first-party sources, data and the launcher.

    With an interpreter_path toolchain (e.g. "/usr/bin/python3"), the launcher runs that
    path, which the base image must provide. Entries are sorted, owned by 0:0, time-stamped
    `mtime`, folders 0755, files 0644 (0755 when executable; in package trees only bin/).

    Outputs `<name>/<layer>.tar.gz` (or `.tar`), in DefaultInfo bottom layer first, also
    as output groups named after the layers, and a PyImageLayerInfo (layers, entrypoint,
    OCI os/architecture of the target platform). With rules_oci:
    `oci_image(name = "image", base = ..., tars = [":layers"], entrypoint = ["/app/app"])`.

    Args:
      name: target name.
      binary: a py_binary.
      app_path: absolute folder of the program in the image.
      compress: "gzip" (`.tar.gz` layers) or "none" (`.tar`).
      mtime: modification time of every entry, in seconds since the epoch (e.g. your
        SOURCE_DATE_EPOCH); 0 by default.
      architecture: OCI architecture; default: from the target platform's cpu.
      os: OCI os; default: from the target platform's os.
      variant: OCI variant; default: "v8" for arm64.
      **kwargs: common attributes.
    """
    selects = oci_platform_selects()
    py_image_layer_rule(
        name = name,
        binary = binary,
        app_path = app_path,
        compress = compress,
        mtime = mtime,
        architecture = architecture if architecture != None else selects.architecture,
        os = os if os != None else selects.os,
        variant = variant if variant != None else selects.variant,
        **kwargs
    )
