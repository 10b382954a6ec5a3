"""A program without third-party packages: prints the machine it runs on."""

import platform

print(f"machine: {platform.machine()}")
