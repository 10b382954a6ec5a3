"""Shared pytest configuration: fixtures from tests/support."""

pytest_plugins = ["tests.support.bazel_fixtures", "tests.support.index_fixtures"]
