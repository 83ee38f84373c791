"""The book as a PDF through LaTeX: every chapter is in it, with the figures as images.

Slow (the PDF build executes every page again, in its own output folder, and runs XeLaTeX), so it
runs only when asked for: ``make test-pdf`` builds the PDF with ``make pdf`` and points this test
at it with ``NNBOOK_TEST_PDF_BUILD``; ``pytest -m pdf`` alone builds it into a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book_helpers import REPO, toc_files

pytestmark = pytest.mark.pdf
TOC = Path(os.environ.get("NNBOOK_TEST_TOC") or REPO / "_toc.yml")  # as in conftest


def title_of(page: str) -> str:
    """The page's title: its first level-one heading."""
    for line in (REPO / f"{page}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise AssertionError(f"{page} has no title")


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().lower()


@pytest.fixture(scope="module")
def pdf_build(tmp_path_factory) -> Path:
    """The LaTeX output folder of a PDF build of the whole book."""
    reuse = os.environ.get("NNBOOK_TEST_PDF_BUILD")
    if reuse:
        out = Path(reuse)
        if not out.is_absolute():
            out = REPO / out
    else:
        out = tmp_path_factory.mktemp("pdf")
        env = dict(os.environ)
        env.setdefault("BROWSER_PATH", shutil.which("chromium") or "/usr/bin/chromium")
        result = subprocess.run(
            [str(Path(sys.executable).with_name("jupyter-book")), "build", str(REPO), "-W", "-n",
             "--keep-going", "--builder", "pdflatex", "--path-output", str(out),
             *(["--toc", str(TOC)] if os.environ.get("NNBOOK_TEST_TOC") else [])],
            capture_output=True, text=True, cwd=REPO, env=env)
        assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    latex = out / "_build" / "latex"
    assert (latex / "book.pdf").is_file(), f"no book.pdf in {latex}"
    return latex


def test_pdf_has_every_chapter(pdf_build):
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed to read the PDF back"
    text = normalise(subprocess.run([pdftotext, "-layout", str(pdf_build / "book.pdf"), "-"],
                                    capture_output=True, text=True, check=True).stdout)
    pages = toc_files(TOC)
    missing = [page for page in pages if normalise(title_of(page)) not in text]
    assert not missing, f"chapters missing from the PDF: {missing}"
    # The LaTeX table of contents lists every chapter but the root (whose title is the book's).
    toc = (pdf_build / "book.toc").read_text(encoding="utf-8", errors="replace")
    toc = normalise(re.sub(r"\\sphinxhyphen\s*\{\}", "-", toc))  # Sphinx's LaTeX for a hyphen
    for page in pages[1:]:
        assert normalise(title_of(page)).split(":")[0][:25] in toc, page


def test_pdf_shows_the_interactive_figures_as_images(pdf_build):
    tex = (pdf_build / "book.tex").read_text(encoding="utf-8")
    assert "nnbook-plotly" not in tex and "Plotly.newPlot" not in tex
    # Sphinx writes \sphinxincludegraphics[options]{{name}.png}
    pngs = [name + ".png" for name in
            re.findall(r"\\sphinxincludegraphics(?:\[[^\]]*\])?\{\{([^{}]+)\}\.png\}", tex)]
    assert len(pngs) >= 3, "the figures did not become images"
    assert all((pdf_build / p).is_file() for p in pngs)
    pdfimages = shutil.which("pdfimages")
    if pdfimages:
        listing = subprocess.run([pdfimages, "-list", str(pdf_build / "book.pdf")],
                                 capture_output=True, text=True, check=True).stdout
        images = [line for line in listing.splitlines()[2:] if line.split()[2] == "image"]
        assert len(images) >= len(set(pngs))


def chapters_and_sections(pdf_build: Path) -> list[tuple[str, str]]:
    """(level, title) of each entry of the PDF's table of contents, in order."""
    toc = (pdf_build / "book.toc").read_text(encoding="utf-8", errors="replace")
    toc = re.sub(r"\\sphinxhyphen\s*\{\}", "-", toc)
    return [(level, normalise(title)) for level, title in re.findall(
        r"\\contentsline \{(chapter|section)\}\{(?:\\numberline \{[^}]*\})?(.*?)\}\{", toc)]


def test_the_introduction_is_one_chapter_with_its_sections_under_it(pdf_build):
    """The root page's title is the book's; its own sections belong to one opening chapter
    instead of each printing as a chapter."""
    entries = chapters_and_sections(pdf_build)
    intro = [normalise(line[3:]) for line in (REPO / "book" / "intro.md").read_text(
        encoding="utf-8").splitlines() if line.startswith("## ")]
    assert intro, "the introduction has no sections to check"
    assert entries[0] == ("chapter", "introduction")
    assert entries[1:1 + len(intro)] == [("section", title) for title in intro]
    chapters = [title for level, title in entries if level == "chapter"]
    assert not set(intro) & set(chapters)


def test_the_bibliography_prints_inside_the_references_chapter(pdf_build):
    """Not at the end of the book under a chapter of its own, after the back matter."""
    entries = chapters_and_sections(pdf_build)
    chapters = [title for level, title in entries if level == "chapter"]
    assert normalise(title_of("book/references")) in chapters
    assert not {"bibliography", "bibliographie"} & set(chapters)
    tex = (pdf_build / "book.tex").read_text(encoding="utf-8")
    start = tex.index(r"\chapter{" + title_of("book/references") + "}")
    following = tex.find(r"\chapter{", start + 1)
    bibliography = tex.index(r"\begin{sphinxthebibliography}")
    assert start < bibliography < (following if following != -1 else len(tex))
    assert tex.count(r"\begin{sphinxthebibliography}") == 1
    assert tex.count(r"\bibitem") >= 8  # the works the book cites


def test_the_chapters_are_grouped_into_the_parts_of_the_table_of_contents(pdf_build):
    """Each caption of _toc.yml opens a part, in order, and the contents page keeps its own name
    (Sphinx would call it after the first caption)."""
    import yaml

    captions = [part["caption"] for part in yaml.safe_load(TOC.read_text()).get("parts", [])
                if part.get("caption")]
    toc = (pdf_build / "book.toc").read_text(encoding="utf-8", errors="replace")
    parts = re.findall(r"\\contentsline \{part\}\{[IVXLC]+\\hspace \{1em\}(.*?)\}\{", toc)
    assert parts == captions
    tex = (pdf_build / "book.tex").read_text(encoding="utf-8")
    assert not re.search(r"\\renewcommand\{\\contentsname\}", tex)
    # the first part's first chapter comes right after the part
    entries = re.findall(r"\\contentsline \{(part|chapter)\}", toc)
    if captions:
        assert entries[:3] == ["chapter", "part", "chapter"]  # Introduction, part I, a chapter


def deeper_sections() -> list[tuple[str, str, str]]:
    """(page, heading, first words of its first paragraph) of every "Going deeper" section."""
    found = []
    for page in toc_files(TOC):
        lines = (REPO / f"{page}.md").read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            heading = re.match(r"#{2,4} (Going deeper\b.*)", line)
            if not heading:
                continue
            prose = next(l for l in lines[i + 1:] if l.strip() and not l.startswith(("`", ":")))
            words = re.sub(r"[{`][^ ]*", "", prose).split()[:4]
            # the heading as the PDF prints it: code without its backticks, math left out
            printed = re.sub(r"\$[^$]*\$", "", heading.group(1)).replace("`", "").strip()
            found.append((page, printed, " ".join(words)))
    return found


def test_going_deeper_sections_are_printed_in_full(pdf_build):
    sections = deeper_sections()
    assert sections, "no page has a 'Going deeper' section"
    text = normalise(subprocess.run(["pdftotext", str(pdf_build / "book.pdf"), "-"],
                                    capture_output=True, text=True, check=True).stdout)
    missing = [(page, heading) for page, heading, words in sections
               if normalise(heading) not in text or normalise(words) not in text]
    assert not missing, f"'Going deeper' sections missing from the PDF: {missing}"
