"""A test that fails on purpose: `bazel test //app:failing_test` must fail."""


def test_fails():
    assert 1 + 1 == 3
