"""A package that lives in the repository as a plain directory."""


def hello() -> str:
    return "localdir 1.0.0 built from a directory"
