"""The rules generated hub repositories load (one file, so hubs load it once)."""

# Console scripts are a py rule run on a hub package: its public macro.
load("//py:defs.bzl", _py_console_script_binary = "py_console_script_binary")
load(":package.bzl", _uv_package = "uv_package")
load(":python_version_flag.bzl", _python_version_flag = "python_version_flag")
load(":sdist_build.bzl", _sdist_build = "sdist_build")
load(":unavailable.bzl", _uv_unavailable = "uv_unavailable")
load(":variants.bzl", _variant_flag = "variant_flag")

py_console_script_binary = _py_console_script_binary
python_version_flag = _python_version_flag
sdist_build = _sdist_build
uv_package = _uv_package
uv_unavailable = _uv_unavailable
variant_flag = _variant_flag
