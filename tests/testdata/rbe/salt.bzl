"""Overwritten by tests/test_rbe.py: a salt that gives each test its own action keys."""

SALT = ""
