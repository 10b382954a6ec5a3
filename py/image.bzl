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
py_image_layer = _py_image_layer
py_oci_index = _py_oci_index
