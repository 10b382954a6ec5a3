"""rules_pyuv test suite."""
