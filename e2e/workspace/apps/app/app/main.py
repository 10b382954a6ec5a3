"""Entry point of the app (`bazel run //apps/app:run`)."""

import platform
import sys

import markerpkg
from greet import lines


def main() -> int:
    print("machine:", platform.machine())
    for line in lines():
        print(line)
    print("markerpkg:", markerpkg.hello())
    print("args:", sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
