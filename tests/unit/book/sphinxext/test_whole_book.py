"""The pages drawn from the whole book (nnbook.book.sphinxext.whole_book): noted as they are read,
merged from parallel readers, and written again on every build."""

from __future__ import annotations

from types import SimpleNamespace

from nnbook.book.sphinxext.whole_book import WholeBookPages, note_page


def reading(*docnames: str) -> SimpleNamespace:
    """An environment that read ``docnames``, each holding a view of the whole book."""
    env = SimpleNamespace()
    for docname in docnames:
        env.docname = docname
        note_page(env)
    return env


def test_the_pages_that_hold_a_view_are_written_on_every_build():
    env = reading("book/execution_report", "intro")
    assert WholeBookPages().get_updated_docs(None, env) == ["book/execution_report", "intro"]
    assert WholeBookPages().get_updated_docs(None, SimpleNamespace()) == []


def test_a_parallel_reader_brings_only_the_pages_it_read():
    collector = WholeBookPages()
    main = reading("intro")
    collector.merge_other(None, main, {"book/execution_report"},
                          reading("book/execution_report", "book/other"))
    assert collector.get_updated_docs(None, main) == ["book/execution_report", "intro"]
    collector.clear_doc(None, main, "intro")  # the map was taken out of the introduction
    assert collector.get_updated_docs(None, main) == ["book/execution_report"]
