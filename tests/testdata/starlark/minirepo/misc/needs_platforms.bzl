"""Loads a file of another repository, satisfied by a stub in the tests."""

load("@platforms//host:constraints.bzl", "HOST_CONSTRAINTS")

def host():
    return HOST_CONSTRAINTS
