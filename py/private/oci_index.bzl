"""py_oci_index: a multi-platform OCI image layout of a py_binary, in one build."""

load(":exec_tools.bzl", "py_tool_attr", "py_tools_exec_groups", "run_py_tool")
load(":image_layer.bzl", "PyImageLayerInfo", "normalize_app_path", "py_image_layer")
load(":multi_platform.bzl", "platform_key", "split_platforms")

PyOciIndexInfo = provider(
    doc = "An OCI image layout holding one image index with a manifest per platform.",
    fields = {
        "digest": "File: holds the image index's digest (\"sha256:...\").",
        "layout": "File: the OCI image layout folder (oci-layout, index.json, blobs/).",
        "tag": "string: the index's name in index.json (org.opencontainers.image.ref.name).",
    },
)

def _layout_dir(label, target):
    """The folder of an OCI image layout given as a directory or as its files."""
    files = target[DefaultInfo].files.to_list()
    for f in files:
        if f.is_directory:
            return f.path, files
    dirs = [f.dirname for f in files if f.basename == "index.json"]
    if not dirs:
        fail("%s: base %s is not an OCI image layout: it has no index.json" % (label, target.label))
    return sorted(dirs, key = len)[0], files

def _py_oci_index_impl(ctx):
    platforms = ctx.attr.platforms
    if len(ctx.attr.base_index) != len(platforms):
        fail("%s: base_index must have one entry per platform" % ctx.label)
    inputs = []
    split = ctx.split_attr.layers
    images = []
    groups = {}
    seen = {}
    for i, platform in enumerate(platforms):
        key = platform_key(platform.label)
        if key in seen:
            fail("%s: platform %s is listed twice" % (ctx.label, platform.label))
        seen[key] = True
        target = split.get(key)
        if target == None and len(split) == 1:
            # Bazel may key the only configuration of a 1-entry split otherwise.
            target = split.values()[0]
        if target == None:
            fail("%s: nothing was built for platform %s" % (ctx.label, platform.label))
        info = target[PyImageLayerInfo]
        if not info.os or not info.architecture:
            fail(("%s: cannot tell the OCI os/architecture of platform %s (its cpu or os " +
                  "constraint is not one py_image_layer knows); use py_image_layer with " +
                  "architecture/os set") % (ctx.label, platform.label))
        base = None
        if ctx.attr.base_index[i] >= 0:
            base, files = _layout_dir(ctx.label, ctx.attr.base_layouts[ctx.attr.base_index[i]])
            inputs.extend(files)
        inputs.extend(info.layers)
        groups[key] = depset(info.layers)
        app_path = info.app_path
        images.append({
            "architecture": info.architecture,
            "base": base,
            "cmd": ctx.attr.cmd,
            "entrypoint": ctx.attr.entrypoint or info.entrypoint,
            "env": ctx.attr.env,
            "interpreter_path": info.interpreter_path if ctx.attr.check_interpreter else "",
            "labels": ctx.attr.labels,
            "layers": [
                {"name": name, "path": layer.path}
                for name, layer in zip(info.layer_names, info.layers)
            ],
            "os": info.os,
            "platform_label": str(platform.label),
            "source": str(info.binary),
            "variant": info.variant,
            "workdir": ctx.attr.workdir or app_path,
        })
        if ctx.attr.workdir:
            normalize_app_path(ctx.label, ctx.attr.workdir)

    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, json.encode({
        "annotations": ctx.attr.annotations,
        "images": images,
        "mtime": ctx.attr.mtime,
        "platform_tags": ctx.attr.platform_tags,
        "tag": ctx.attr.tag,
    }))
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    args = ctx.actions.args()
    args.add("index")
    args.add("--spec", spec)
    args.add("--out", layout.path)
    args.add("--digest-file", digest)
    run_py_tool(
        ctx,
        ctx.attr._tool,
        arguments = [args],
        inputs = inputs + [spec],
        outputs = [layout, digest],
        mnemonic = "PyOciIndex",
        progress_message = "Assembling the OCI image index %s" % ctx.label,
    )
    groups["layout"] = depset([layout])
    groups["digest"] = depset([digest])
    return [
        DefaultInfo(files = depset([layout, digest])),
        OutputGroupInfo(**groups),
        PyOciIndexInfo(digest = digest, layout = layout, tag = ctx.attr.tag),
    ]

py_oci_index_rule = rule(
    implementation = _py_oci_index_impl,
    doc = "An OCI image layout with one image per platform (see the py_oci_index macro).",
    attrs = {
        "annotations": attr.string_dict(doc = "Annotations of the image index."),
        "base_index": attr.int_list(
            doc = "For each platform, the index of its base in base_layouts, or -1 (none).",
        ),
        "base_layouts": attr.label_list(
            allow_files = True,
            doc = "Base images: OCI image layouts (a folder, or its files).",
        ),
        "check_interpreter": attr.bool(
            default = True,
            doc = "Fail when a base image lacks the interpreter the launcher runs.",
        ),
        "cmd": attr.string_list(doc = "Cmd of every image (arguments after the entrypoint)."),
        "entrypoint": attr.string_list(doc = "Entrypoint; default: the program's launcher."),
        "env": attr.string_dict(doc = "Environment variables added to the base's."),
        "labels": attr.string_dict(doc = "Labels added to the base's."),
        "layers": attr.label(
            mandatory = True,
            cfg = split_platforms,
            providers = [PyImageLayerInfo],
            doc = "A py_image_layer target, built for each platform.",
        ),
        "mtime": attr.int(default = 0, doc = "Creation time of the images (seconds since the epoch)."),
        "platform_tags": attr.bool(
            doc = "Also name each platform's image \"<tag>-<architecture>\" in index.json.",
        ),
        "platforms": attr.label_list(mandatory = True, doc = "Target platforms."),
        "tag": attr.string(default = "latest", doc = "Name of the index in index.json."),
        "workdir": attr.string(doc = "WorkingDir; default: app_path."),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
        "_tool": py_tool_attr("//py/private:image_tool"),
    },
    provides = [PyOciIndexInfo],
    exec_groups = py_tools_exec_groups(),
)

def py_oci_index(
        name,
        binary,
        platforms,
        bases = {},
        base = None,
        app_path = "/app",
        entrypoint = [],
        cmd = [],
        env = {},
        workdir = None,
        labels = {},
        annotations = {},
        tag = "latest",
        platform_tags = False,
        compress = "gzip",
        mtime = 0,
        check_interpreter = True,
        **kwargs):
    """A multi-platform OCI image of a py_binary, every platform built in one build.

    Writes `bazel-bin/<package>/<name>/`, an OCI image layout (oci-layout, index.json,
    blobs/sha256/...): index.json names (as `tag`) one image index that holds an image
    manifest per platform, with its `os`, `architecture` (and `variant`). Each image is
    its base image's layers plus the py_image_layer layers of `binary` built for that
    platform, with a config taken from the base's: Entrypoint, Cmd, WorkingDir set, Env
    and Labels added. `<name>.digest` holds the image index's digest. The same inputs give
    the same digests.

    Also creates `<name>_layers`, the py_image_layer of `binary`.

    Args:
      name: target name.
      binary: a py_binary.
      platforms: target platforms (labels of platform targets), e.g.
        ["//platforms:linux_amd64", "//platforms:linux_arm64"].
      bases: dict: platform (as written in `platforms`) -> base image, an OCI image layout
        given as a folder target or a filegroup of its files. The image for the platform
        is taken from it (a multi-platform base works).
      base: the base image of the platforms missing from `bases`; none means no base
        (only the program's layers).
      app_path: absolute folder of the program in the images.
      entrypoint: Entrypoint; default: [<app_path>/<binary name>], the launcher.
      cmd: Cmd (arguments after the entrypoint); default: none (the base's is dropped).
      env: environment variables set in the images (the base's are kept).
      workdir: WorkingDir; default: app_path.
      labels: labels added to the images' configs.
      annotations: annotations of the image index.
      tag: the name index.json gives the index (org.opencontainers.image.ref.name), i.e.
        the tag in `oci:<dir>:<tag>`.
      platform_tags: also name each platform's image in index.json, as
        "<tag>-<architecture>" (e.g. "latest-arm64"), for tools that cannot pick an image
        out of an index, such as `umoci unpack`. Then index.json names several images, so
        `oci:<dir>` needs the tag (`oci:<dir>:latest`).
      compress: layer compression: "gzip" or "none".
      mtime: time stamp of every file and of the images, in seconds since the epoch.
      check_interpreter: fail the build when a base image lacks the interpreter the
        launcher runs (the interpreter_path of the platform's Python toolchain).
      **kwargs: common attributes.
    """
    for p in bases:
        if p not in platforms:
            fail("%s: bases has an entry for %s, which is not in platforms" % (name, p))
    base_layouts = []
    base_index = []
    for p in platforms:
        b = bases.get(p, base)
        if b == None:
            base_index.append(-1)
            continue
        if b not in base_layouts:
            base_layouts.append(b)
        base_index.append(base_layouts.index(b))
    common = {k: kwargs[k] for k in ("tags", "testonly", "visibility") if k in kwargs}
    py_image_layer(
        name = name + "_layers",
        binary = binary,
        app_path = app_path,
        compress = compress,
        mtime = mtime,
        **common
    )
    py_oci_index_rule(
        name = name,
        layers = ":" + name + "_layers",
        platforms = platforms,
        base_layouts = base_layouts,
        base_index = base_index,
        check_interpreter = check_interpreter,
        entrypoint = entrypoint,
        cmd = cmd,
        env = env,
        workdir = workdir,
        labels = labels,
        annotations = annotations,
        tag = tag,
        platform_tags = platform_tags,
        mtime = mtime,
        **kwargs
    )
