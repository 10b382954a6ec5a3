"""fail() in several shapes."""

def boom(value):
    fail("boom:", value)

def bad_attr():
    fail("must not be empty", attr = "lockfile")

def type_error():
    return 1 + "x"
