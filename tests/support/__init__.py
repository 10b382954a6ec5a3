"""Test-support helpers for rules_pyuv (package builders, local index, uv.lock helpers)."""
