"""What a reader meets on a page (nnbook.book.reading): the core path's reading time, what each
chapter needs, and the build's machinery kept to its own chapter."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from nnbook.book import reading
from page_text import FRONT_MATTER
from nnbook.book.page_source import PageSourceError, chapter_needs, page_facts
from nnbook.book.reading import (book_map, machinery_words, pyobject_source, reading_minutes,
                                 rounded_minutes, visible_pieces)

ROOT = Path(__file__).resolve().parents[3]
FRONT = FRONT_MATTER
WORDS_200 = " ".join(["word"] * 200)  # one minute of prose
CODE_10 = "\n".join(f"x{i} = {i}" for i in range(10))  # one minute of code


def page(body: str) -> str:
    return FRONT + textwrap.dedent(body)


def minutes(body: str, path: Path | None = None) -> float:
    return reading_minutes(visible_pieces(page(body), path))


def cell(source: str, tags: str = "") -> str:
    options = f":tags: [{tags}]\n\n" if tags else ""
    return f"```{{code-cell}} ipython3\n{options}{source}\n```\n"


def test_prose_and_visible_code_are_read_at_the_stated_speeds():
    assert minutes(f"{WORDS_200}\n\n" + cell(CODE_10)) == pytest.approx(2.0)


def test_hidden_cells_and_hidden_inputs_are_not_read():
    body = f"{WORDS_200}\n\n" + cell(CODE_10, "remove-cell") + "\n" + cell(CODE_10, "remove-input")
    assert minutes(body) == pytest.approx(1.0)


def test_going_deeper_is_not_on_the_core_path():
    heading = (f"## Core\n\n{WORDS_200}\n\n## Going deeper: a study\n\n{WORDS_200}\n\n"
               + cell(CODE_10) + f"\n### Inside it\n\n{WORDS_200}\n\n## Back on the path\n\n"
               f"{WORDS_200}\n")
    # Three words of headings ("Core", "Back on the path") on top of two minutes of prose.
    assert minutes(heading) == pytest.approx(2.0 + 5 / 200)
    directive = f"{WORDS_200}\n\n:::{{dropdown}} Going deeper: seeds\n{WORDS_200}\n:::\n"
    assert minutes(directive) == pytest.approx(1.0)
    admonition = (f"{WORDS_200}\n\n```{{admonition}} Going deeper: seeds\n:class: tip\n\n"
                  f"{WORDS_200}\n```\n")
    assert minutes(admonition) == pytest.approx(1.0)


def test_solutions_are_not_read_but_exercises_are():
    body = (f"```{{exercise}} Two\n:label: ex-two\n\n{WORDS_200}\n```\n\n"
            f"```{{solution}} ex-two\n:class: dropdown\n\n{WORDS_200}\n\n    x = 1\n```\n")
    assert minutes(body) == pytest.approx(1.0 + 1 / 200)  # the exercise's title, "Two"


def test_equations_and_self_check_questions_count():
    body = "$$\nx^2\n$$\n\n" + cell("MultipleChoice(question='q')", "remove-input")
    assert minutes(body) == pytest.approx(reading.MINUTES_PER_EQUATION
                                          + reading.MINUTES_PER_QUESTION)


def test_a_literalinclude_is_read_as_the_code_it_shows(tmp_path):
    (tmp_path / "lib.py").write_text(textwrap.dedent("""\
        class Trainer:
            def other(self):
                pass

            @staticmethod
            def step():
                a = 1
                b = 2
                return a + b
        """))
    shown = pyobject_source((tmp_path / "lib.py").read_text(), "Trainer.step")
    assert shown.splitlines()[0].strip() == "@staticmethod"
    assert shown.splitlines()[-1].strip() == "return a + b"
    body = "```{literalinclude} lib.py\n:pyobject: Trainer.step\n```\n"
    assert minutes(body, tmp_path / "page.md") == pytest.approx(0.5)


def test_a_literalinclude_keeps_the_lines_its_options_select():
    source = "a = 1\nstart here\nb = 2\nc = 3\nend here\nd = 4"
    assert reading.selected_lines(source, {"start-at": "start", "end-at": "end"}).split(
        "\n") == ["start here", "b = 2", "c = 3", "end here"]
    assert reading.selected_lines(source, {"start-after": "start", "end-before": "end"}) == (
        "b = 2\nc = 3")
    assert reading.selected_lines(source, {"lines": "1,3-4"}) == "a = 1\nb = 2\nc = 3"


def test_a_literalinclude_dedents_as_sphinx_does(tmp_path):
    (tmp_path / "lib.py").write_text("class A:\n    def f(self):\n        return 1\n")
    options = {"pyobject": "A.f", "dedent": "4"}
    assert reading.included_source(tmp_path / "lib.py", options) == (
        "def f(self):\n    return 1")
    assert reading.dedented("      x\n  y", "4") == "  x\ny"  # no more than a line has
    assert reading.dedented("    x\n      y", "") == "x\n  y"  # what all lines share


def test_roles_count_as_what_they_show():
    pieces = visible_pieces(page("{glue:text}`fc_accuracy:.1%` of {term}`the batches <Batch>`"
                                 " after {ref}`fashion-cnn`\n"))
    assert [p.text for p in pieces] == ["X of the batches after X"]


def test_reading_times_are_told_in_whole_minutes():
    assert [rounded_minutes(m) for m in (0.2, 3.1, 10.0, 10.5, 23.0)] == [1, 4, 10, 15, 25]


# --- the map --------------------------------------------------------------------------------------


def toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def chapters_in_order() -> list[str]:
    return [c["file"] for part in toc()["parts"] if part["caption"] != "Back matter"
            for c in part["chapters"]]


def test_every_chapter_needs_only_earlier_chapters():
    # A chapter declares its needs in its front matter, or needs the chapter before it.
    order = chapters_in_order() + ["book/how_this_book_is_built"]
    needs = chapter_needs(ROOT, toc())
    for i, docname in enumerate(order):
        for need in needs[docname]:
            assert need in order[:i], f"{docname} needs {need}, which comes later"


def test_the_map_reads_every_chapter_of_the_book():
    parts = book_map(ROOT, toc(), skip_parts=["Back matter"])
    chapters = [c for part in parts for c in part.chapters]
    assert [c.docname for c in chapters] == chapters_in_order()
    assert all(c.title and c.minutes >= 1 for c in chapters)


def test_a_chapter_that_does_not_say_what_it_needs_needs_the_one_before(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "first.md").write_text(page("# First\n"))
    (tmp_path / "book" / "new.md").write_text(page("# New\n"))
    toc_data = {"parts": [{"caption": "P", "chapters": [{"file": "book/first"},
                                                        {"file": "book/new"}]}]}
    first, new = book_map(tmp_path, toc_data)[0].chapters
    assert (first.needs, new.needs) == ((), ("book/first",))


def test_a_chapter_that_needs_a_later_one_stops_the_map(tmp_path):
    (tmp_path / "book").mkdir()
    declared = "---\nnnbook:\n  needs: [later]\n---\n"
    (tmp_path / "book" / "early.md").write_text(declared + "# Early\n")
    (tmp_path / "book" / "later.md").write_text(page("# Later\n"))
    toc_data = {"parts": [{"caption": "P", "chapters": [{"file": "book/early"},
                                                        {"file": "book/later"}]}]}
    with pytest.raises(PageSourceError, match="book/early needs book/later"):
        book_map(tmp_path, toc_data)


# --- the machinery stays in its chapter -----------------------------------------------------------

# Pages that explain or report how the book is built: the chapter that teaches it, and the
# execution report, which is the machinery's own output.
MACHINERY_PAGES = {"how_this_book_is_built.md", "execution_report.md"}


def test_machinery_words_are_found_in_prose_and_in_what_code_shows():
    body = ("The run is loaded from the run store, as the planner chose.\n\n"
            + cell('config = TrainConfig(num_epochs=4)  # the plan is measured\n'
                   'print(f"loaded from the training cache: {run.from_cache}")\n')
            + "\n" + cell("train_cached(model, data, config)", "remove-cell"))
    found = [w.lower() for _, w in machinery_words(visible_pieces(page(body)))]
    assert found == ["run store", "planner", "plan", "training cache", "from_cache"]


def test_hyperparameters_and_the_plane_are_not_machinery():
    body = ("Points in the plane, planed wood, a cachet.\n\n"
            + cell("config = TrainConfig(num_epochs=4, batch_size=64)\nplane = 1\n"))
    assert machinery_words(visible_pieces(page(body))) == []
def test_no_page_but_the_machinerys_own_speaks_of_it():
    """The run store, the training cache, plans and the planner, ``train_cached``, a
    ``TrainConfig`` named in prose, FFTW, cuDNN and provenance are explained in "How this book
    is built" alone (and shown in each page's provenance line, which the build adds). What is
    checked on every other page is what a reader sees (:func:`nnbook.book.reading.visible_pieces`):
    the prose, and in the code a reader sees (visible cells, code blocks, included library
    source) its comments and strings (what a cell prints, as far as its source says it) and the
    store's and planner's own names (``train_cached``, ``RunStore``, ``.plan``, ``.from_cache``,
    ...). A visible cell may construct a ``TrainConfig`` (hyperparameters are the lesson) and
    call the library's training functions; hidden cells may do anything."""
    offences = []
    for path in sorted((ROOT / "book").glob("*.md")):
        if path.name in MACHINERY_PAGES:
            continue
        for line, word in machinery_words(visible_pieces(path.read_text(), path)):
            offences.append(f"{path.name}:{line}: {word}")
    assert offences == []
