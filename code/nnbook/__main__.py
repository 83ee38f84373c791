"""Command line: ``python -m nnbook doctor``, ``python -m nnbook notebooks [--check]``,
``python -m nnbook format [--check]``, ``python -m nnbook slides``,
``python -m nnbook cache [prune]`` and ``python -m nnbook execute PAGE...``."""

import argparse
import sys
from pathlib import Path


def notebooks(check: bool, root: Path) -> int:
    from nnbook.book.tools.handouts import write_handouts
    from nnbook.book.tools.notebooks import NotebookError, stale_notebooks, write_notebooks
    from nnbook.book.page_source import PageSourceError

    try:
        if check:
            stale = stale_notebooks(root)
            for path in stale:
                print(f"out of date: {path} (run `make notebooks`)")
            return 1 if stale else 0
        for path in write_notebooks(root):
            print(f"wrote {path}")
        if not (root / "_build" / "jupyter_execute").is_dir():
            print("no notebooks to hand out yet: they quote the built book, and `make book` "
                  "writes them at its end (into _build/handouts)")
            return 0
        handouts = write_handouts(root)
        for reason in handouts.skipped:
            print(f"no notebooks to hand out: {reason}")
        if handouts.written:
            where = handouts.written[0].parent.parent
            print(f"wrote {len(handouts.written)} notebooks to hand out in {where}/student and "
                  f"{where}/instructor (the instructor's, with solutions: keep them from "
                  "students)")
        if handouts.dirty:
            print(f"note: they install the library at commit {handouts.commit[:12]}, which lacks "
                  "the uncommitted changes of this working tree")
    except (NotebookError, PageSourceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def format_cells(check: bool, root: Path) -> int:
    from nnbook.book.tools.format import FormatError, format_pages
    from nnbook.book.page_source import PageSourceError

    try:
        changed = format_pages(root, check)
    except (FormatError, PageSourceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in changed:
        print(f"{'not formatted' if check else 'formatted'}: {path}")
    return 1 if check and changed else 0


def slides(root: Path, site: Path, out: Path, pdf: bool) -> int:
    import os
    import shutil

    from nnbook.book.tools.slides import (INSTRUCTOR_PDFS, SlideNotesError, build_decks,
                                          print_pdfs)

    if not (site / "index.html").is_file():
        print(f"error: no built site in {site}: run `make book` first", file=sys.stderr)
        return 1
    if out.exists():
        shutil.rmtree(out)
    try:
        counts = build_decks(site, out, root)
    except SlideNotesError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for name, count in counts.items():
        print(f"{out / name}.html: {count} slides")
    if pdf:
        chromium = (os.environ.get("BROWSER_PATH") or shutil.which("chromium")
                    or shutil.which("google-chrome"))
        if not chromium:
            print("error: the PDFs need Chromium (or --no-pdf)", file=sys.stderr)
            return 1
        printed = print_pdfs(out, chromium)
        print(f"printed {len(printed) // 2} PDFs for students into {out / 'pdf'} (no answers) "
              f"and for the instructor into {out / INSTRUCTOR_PDFS} (keep those from students)")
    # The site links the decks from its teaching page: a copy goes into the site, without the
    # instructor's PDFs.
    shutil.rmtree(site / "slides", ignore_errors=True)
    shutil.copytree(out, site / "slides", ignore=shutil.ignore_patterns(INSTRUCTOR_PDFS))
    return 0


def cache(action: str | None, root: Path, dry_run: bool) -> int:
    from nnbook.book.tools.cache import NoBuildError, prune, report

    if action == "prune":
        try:
            removed, freed = prune(root, dry_run=dry_run)
        except NoBuildError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        for path in removed:
            print(f"{'would remove' if dry_run else 'removed'} {path}")
        print(f"{'would free' if dry_run else 'freed'} {freed / 1e6:,.1f} MB in {len(removed)} "
              "entries no page of the last build used")
    print(report())
    return 0


def execute(pages: list[Path], root: Path) -> int:
    from nnbook.book.tools.execute import PageFailed, execute_page

    for page in pages:
        if not page.is_file():
            print(f"error: no page {page}", file=sys.stderr)
            return 1
        try:
            done = execute_page(page, root)
        except PageFailed as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"{done.page}: {done.cells} cells in {done.seconds:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbook", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="show the device, tools and data the book will use")
    nb = sub.add_parser("notebooks", help="write book/<page>.ipynb beside each executed page "
                                          "(what the Colab and Binder buttons open)")
    nb.add_argument("--check", action="store_true",
                    help="write nothing; list the notebooks that are out of date, exit 1 if any")
    nb.add_argument("--root", type=Path, default=Path("."), help="the book's folder (default: .)")
    fmt = sub.add_parser("format", help="format the code cells of the pages of _toc.yml with ruff format "
                                         "to the text column (80 characters)")
    fmt.add_argument("--check", action="store_true",
                     help="write nothing; list the pages whose cells are not formatted, exit 1 if any")
    fmt.add_argument("--root", type=Path, default=Path("."), help="the book's folder (default: .)")
    sl = sub.add_parser("slides", help="assemble the reveal.js decks of the lectures and "
                                        "chapters from the built site, and print their PDFs")
    sl.add_argument("--root", type=Path, default=Path("."), help="the book's folder (default: .)")
    sl.add_argument("--site", type=Path, default=Path("_build/html"), help="the built site")
    sl.add_argument("--out", type=Path, default=Path("_build/slides"), help="where the decks go")
    sl.add_argument("--no-pdf", action="store_true", help="the decks only, no PDFs")
    ca = sub.add_parser("cache", help="what the run store and the plans hold; `cache prune` "
                                      "removes the entries no page of the last build used")
    ca.add_argument("action", nargs="?", choices=["prune"], help="remove unused entries")
    ca.add_argument("--dry-run", action="store_true", help="with prune: list, remove nothing")
    ca.add_argument("--root", type=Path, default=Path("."), help="the book's folder (default: .)")
    ex = sub.add_parser("execute", help="run pages' cells in a fresh kernel each, as the build "
                                        "does, and stop at the first that raises")
    ex.add_argument("pages", nargs="+", type=Path, help="pages, such as book/tensors.md")
    ex.add_argument("--root", type=Path, default=Path("."), help="the book's folder (default: .)")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from nnbook.book.tools.doctor import main as doctor

        return doctor()
    if args.command == "notebooks":
        return notebooks(args.check, args.root)
    if args.command == "format":
        return format_cells(args.check, args.root)
    if args.command == "slides":
        return slides(args.root, args.site, args.out, not args.no_pdf)
    if args.command == "cache":
        return cache(args.action, args.root, args.dry_run)
    if args.command == "execute":
        return execute(args.pages, args.root)
    return 2


if __name__ == "__main__":
    sys.exit(main())
