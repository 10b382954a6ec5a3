"""Public WORKSPACE setup of rules_pyuv (Bazel 4.2 – 6)."""

# buildifier: disable=bzl-visibility
load("//uv/private:dependencies.bzl", _rules_pyuv_dependencies = "rules_pyuv_dependencies")

rules_pyuv_dependencies = _rules_pyuv_dependencies
