"""Public rules for multi-platform builds and images."""

load("//py/private:multi_platform.bzl", _multi_platform_files = "multi_platform_files")

multi_platform_files = _multi_platform_files
