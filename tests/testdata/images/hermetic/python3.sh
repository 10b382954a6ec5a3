#!/bin/sh
# Stands in for a hermetic interpreter: a file of the build that runs Python.
exec /usr/bin/python3 "$@"
