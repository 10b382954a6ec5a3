from greet import lines


def test_every_source_kind_is_importable():
    got = lines()
    assert got[3] == "vendored (path wheel): vendored 1.0.0 py3-none-any"
    assert got[4] == "localdir (directory): localdir 1.0.0 built from a directory"
