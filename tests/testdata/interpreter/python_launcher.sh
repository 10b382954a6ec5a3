#!/bin/sh
# Stands in for a hermetic interpreter shipped as a build input.
exec /usr/bin/python3 "$@"
