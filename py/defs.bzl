"""Public Python rules of rules_pyuv: py_library, py_binary, py_test, py_venv and helpers.

None of them uses Bazel's native py_* rules. Programs run with the interpreter of
@rules_pyuv//py:toolchain_type resolved for the target platform.
"""

load("//py/private:console_script.bzl", _py_console_script_binary = "py_console_script_binary")
load("//py/private:py_binary.bzl", _py_binary_rule = "py_binary", _py_test_rule = "py_test")
load("//py/private:py_library.bzl", _py_library = "py_library")
load("//py/private:py_venv.bzl", _py_venv = "py_venv")

py_console_script_binary = _py_console_script_binary
py_library = _py_library
py_venv = _py_venv

def _executable(rule, name, srcs, main, deps, data, env, args, imports, kwargs):
    # env and args go into the launcher, so `bazel run` and running bazel-bin/<name>
    # directly see them alike (Bazel's own `args` would reach only `bazel run`).
    rule(
        name = name,
        srcs = srcs,
        main = main,
        deps = deps,
        data = data,
        launcher_env = env,
        launcher_args = args,
        imports = imports,
        **kwargs
    )

def py_binary(name, srcs = [], main = None, deps = [], data = [], env = {}, args = [], imports = [], **kwargs):
    """A runnable Python program: `bazel run`, or bazel-bin/<package>/<name> directly.

    Args:
      name: target name; the launcher is bazel-bin/<package>/<name>.
      srcs: Python sources of the program.
      main: the file to run; default: the only src, or <name>.py.
      deps: py_library targets and hub packages (@pypi//<name>).
      data: files needed at run time.
      env: environment variables the launcher sets.
      args: arguments the launcher passes before the command line's ($(location) works
        for data); they apply to `bazel run` and to direct execution alike.
      imports: directories, relative to this package, to put on sys.path.
      **kwargs: common attributes (visibility, tags, testonly, ...).
    """
    _executable(_py_binary_rule, name, srcs, main, deps, data, env, args, imports, kwargs)

def py_test(name, srcs = [], main = None, deps = [], data = [], env = {}, args = [], imports = [], **kwargs):
    """A Python test run by `bazel test`; it passes when the program exits 0.

    Takes the attributes of py_binary (and the common test attributes such as size,
    timeout, flaky). For pytest, see py_pytest_test.

    Args:
      name: target name.
      srcs: Python sources of the test.
      main: the file to run; default: the only src, or <name>.py.
      deps: py_library targets and hub packages.
      data: files needed at run time.
      env: environment variables the launcher sets.
      args: arguments the launcher passes first.
      imports: directories, relative to this package, to put on sys.path.
      **kwargs: common and test attributes.
    """
    _executable(_py_test_rule, name, srcs, main, deps, data, env, args, imports, kwargs)

def py_pytest_test(name, srcs, pytest = None, deps = [], **kwargs):
    """A py_test that runs pytest, from your lock, on srcs.

    Honours Bazel's test protocol: a JUnit report in XML_OUTPUT_FILE and --test_filter
    as pytest's -k.

    Args:
      name: target name.
      srcs: test files (test_*.py) and helpers.
      pytest: the pytest package of your hub, e.g. "@pypi//pytest"; may be omitted when
        deps hold a dependency group that brings pytest, e.g. "@pypi//:group_test".
      deps: further dependencies, including dependency groups of the hub.
      **kwargs: anything py_test takes (data, env, args, size, ...).
    """
    py_test(
        name = name,
        srcs = srcs,
        main = Label("//py/private:pytest_main.py"),
        deps = deps + ([pytest] if pytest else []),
        **kwargs
    )
