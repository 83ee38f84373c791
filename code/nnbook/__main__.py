"""Command line: ``python -m nnbook doctor``, ``python -m nnbook notebooks [--check]`` and
``python -m nnbook format [--check]``."""

import argparse
import sys
from pathlib import Path


def notebooks(check: bool, root: Path) -> int:
    from nnbook.book.notebooks import NotebookError, stale_notebooks, write_notebooks

    try:
        if check:
            stale = stale_notebooks(root)
            for path in stale:
                print(f"out of date: {path} (run `make notebooks`)")
            return 1 if stale else 0
        for path in write_notebooks(root):
            print(f"wrote {path}")
    except NotebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def format_cells(check: bool, root: Path) -> int:
    from nnbook.book.format import FormatError, format_pages

    try:
        changed = format_pages(root, check)
    except FormatError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in changed:
        print(f"{'not formatted' if check else 'formatted'}: {path}")
    return 1 if check and changed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbook", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="show the device, tools and data the book will use")
    nb = sub.add_parser("notebooks", help="write book/<page>.ipynb beside each executed page "
                                          "(what the Colab and Binder buttons open)")
    nb.add_argument("--check", action="store_true",
                    help="write nothing; list the notebooks that are out of date, exit 1 if any")
    nb.add_argument("--root", type=Path, default=Path("."), help="the book's folder (default: .)")
    fmt = sub.add_parser("format", help="format the code cells of book/*.md with ruff format "
                                         "to the text column (80 characters)")
    fmt.add_argument("--check", action="store_true",
                     help="write nothing; list the pages whose cells are not formatted, exit 1 if any")
    fmt.add_argument("--root", type=Path, default=Path("."), help="the book's folder (default: .)")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from nnbook.book.doctor import main as doctor

        return doctor()
    if args.command == "notebooks":
        return notebooks(args.check, args.root)
    if args.command == "format":
        return format_cells(args.check, args.root)
    return 2


if __name__ == "__main__":
    sys.exit(main())
