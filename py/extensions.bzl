"""Public module extensions for Python interpreters (Bazel 7+)."""

load("//py/private:python_extension.bzl", _python = "python")

python = _python
