"""Public API of the Python interpreter toolchain (@rules_pyuv//py:toolchain_type)."""

load(
    "//py/private:interpreter.bzl",
    _PyInterpreterInfo = "PyInterpreterInfo",
    _py_interpreter = "py_interpreter",
    _py_interpreter_toolchain = "py_interpreter_toolchain",
)

PyInterpreterInfo = _PyInterpreterInfo
py_interpreter = _py_interpreter
py_interpreter_toolchain = _py_interpreter_toolchain
