"""Container images of Python programs, and builds for several platforms at once.

- `py_image_layer`: deterministic tar layers of a `py_binary` for one target platform,
  usable as rules_oci `tars`.
- `py_oci_index`: an OCI image layout with an image index holding one image per target
  platform, every platform built in the same `bazel build` (a split transition).
- `multi_platform_files`: any targets built for several platforms in one build.

See docs/images.md.
"""

load("//py/private:image_layer.bzl", _PyImageLayerInfo = "PyImageLayerInfo", _py_image_layer = "py_image_layer")
load(
    "//py/private:multi_platform.bzl",
    _MultiPlatformInfo = "MultiPlatformInfo",
    _multi_platform_files = "multi_platform_files",
)
load("//py/private:oci_index.bzl", _PyOciIndexInfo = "PyOciIndexInfo", _py_oci_index = "py_oci_index")

MultiPlatformInfo = _MultiPlatformInfo
PyImageLayerInfo = _PyImageLayerInfo
PyOciIndexInfo = _PyOciIndexInfo
multi_platform_files = _multi_platform_files

def py_image_layer(name, binary, app_path = "/app", compress = "gzip", mtime = 0, **kwargs):
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
      **kwargs: `architecture`, `os`, `variant` (OCI names; by default derived from the
        target platform's @platforms constraints) and common attributes.
    """
    _py_image_layer(
        name = name,
        binary = binary,
        app_path = app_path,
        compress = compress,
        mtime = mtime,
        **kwargs
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
    _py_oci_index(
        name = name,
        binary = binary,
        platforms = platforms,
        bases = bases,
        base = base,
        app_path = app_path,
        entrypoint = entrypoint,
        cmd = cmd,
        env = env,
        workdir = workdir,
        labels = labels,
        annotations = annotations,
        tag = tag,
        platform_tags = platform_tags,
        compress = compress,
        mtime = mtime,
        check_interpreter = check_interpreter,
        **kwargs
    )
