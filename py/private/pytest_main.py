"""Entry point of py_pytest_test: runs pytest on the test target's sources.

The launcher exports RUNFILES_DIR and RULES_PYUV_SRCS (runfiles-relative paths of the
target's srcs). Bazel's test protocol is honoured: XML_OUTPUT_FILE gets a JUnit report
and TESTBRIDGE_TEST_ONLY (--test_filter) becomes pytest's -k.

Runs on Python 3.8+ (the minimum of every action tool; docs/sdist-builds.md).
"""

import os
import sys


def main() -> int:
    try:
        import pytest
    except ImportError:
        print(
            "py_pytest_test: pytest is not among this test's dependencies: set "
            'pytest = "@pypi//pytest", or add a dependency group that holds it to deps '
            '(e.g. "@pypi//:group_test")',
            file=sys.stderr,
        )
        return 2

    root = os.environ["RUNFILES_DIR"]
    files = [os.path.join(root, p) for p in os.environ.get("RULES_PYUV_SRCS", "").split(":") if p]
    # No cache folder: runfiles are read-only.
    args = ["-p", "no:cacheprovider", *files]
    if os.environ.get("XML_OUTPUT_FILE"):
        args += ["--junitxml", os.environ["XML_OUTPUT_FILE"]]
    if os.environ.get("TESTBRIDGE_TEST_ONLY"):
        args += ["-k", os.environ["TESTBRIDGE_TEST_ONLY"]]
    return pytest.main(args + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
