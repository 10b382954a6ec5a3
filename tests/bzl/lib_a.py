# A source file of the py_library analysis tests.
