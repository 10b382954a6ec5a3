#!/bin/sh
echo "coverage tools are not available offline with Bazel 4.2.3 (tools/bazel4)" >&2
exit 1
