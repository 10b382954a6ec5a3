"""Says where it runs from."""

import sys

print("hello from", sys.argv[0].split(".runfiles/")[0])
