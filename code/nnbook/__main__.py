"""Command line: ``python -m nnbook doctor``."""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbook", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="show the device, tools and data the book will use")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from nnbook.doctor import main as doctor

        return doctor()
    return 2


if __name__ == "__main__":
    sys.exit(main())
