"""The example app: prints what each dependency reports on this machine."""

from app import report

if __name__ == "__main__":
    print("\n".join(report.lines()))
