"""Public repository rules for Python interpreters."""

load("//py/private:host_python.bzl", _python_host_toolchain = "python_host_toolchain")

python_host_toolchain = _python_host_toolchain
