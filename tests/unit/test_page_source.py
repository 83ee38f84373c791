"""What a page says about itself (nnbook.book.page_source): its front matter, the chapters it
needs, and the lectures the teaching page declares."""

import pytest

from nnbook.book.page_source import PageSourceError, front_matter, lectures, page_facts


def test_front_matter_is_the_yaml_between_the_opening_lines():
    text = "---\nkernelspec:\n  name: python3\nnnbook:\n  needs: [a, b]\n---\n\n# Title\n"
    assert front_matter(text) == {"kernelspec": {"name": "python3"},
                                  "nnbook": {"needs": ["a", "b"]}}
    assert front_matter("# No front matter\n---\n") == {}
    assert front_matter("---\nnot: closed\n") == {}


def test_the_facts_must_be_a_mapping(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("---\nnnbook: [needs]\n---\n")
    with pytest.raises(PageSourceError, match="must be a mapping"):
        page_facts(page)
    page.write_text("# Nothing declared\n")
    assert page_facts(page) == {}


def test_lectures_come_from_the_teaching_pages_front_matter_in_their_own_order(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    for name in ("b", "a"):
        (book / f"{name}.md").write_text(f"# {name}\n")
    (book / "teaching.md").write_text(
        "---\nnnbook:\n  lectures:\n    - name: one\n      title: One\n"
        "      pages: [b, a]\n---\n# Teaching\n")
    (lecture,) = lectures(tmp_path)
    assert (lecture.name, lecture.title, lecture.pages) == ("one", "One", ("b", "a"))
    (book / "teaching.md").write_text(
        "---\nnnbook:\n  lectures:\n    - name: one\n      title: One\n"
        "      pages: [b, gone]\n---\n")
    with pytest.raises(PageSourceError, match="gone"):
        lectures(tmp_path)
    (book / "teaching.md").write_text("---\nnnbook:\n  lectures:\n    - name: one\n---\n")
    with pytest.raises(PageSourceError, match="a name, a title and its pages"):
        lectures(tmp_path)
    (book / "teaching.md").unlink()
    assert lectures(tmp_path) == ()
