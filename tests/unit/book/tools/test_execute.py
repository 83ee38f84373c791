"""python -m nnbook execute: a page's cells in a fresh kernel, as the build runs them, stopping
at a cell that raises unless it shows its error on purpose."""

from pathlib import Path

import pytest

from nnbook.__main__ import main
from nnbook.book.tools.execute import PageFailed, execute_page
from page_text import FRONT_MATTER

FRONT = FRONT_MATTER + "\n# A page\n"


def page(tmp_path, *cells: str) -> Path:
    book = tmp_path / "book"
    book.mkdir(exist_ok=True)
    path = book / "a_page.md"
    path.write_text(FRONT + "".join(f"\n```{{code-cell}} ipython3\n{c}\n```\n" for c in cells))
    return path


def test_a_failing_claim_stops_the_page_and_names_it(tmp_path):
    path = page(tmp_path, "import os\nfrom pathlib import Path\nPath('cwd').write_text(os.getcwd())",
                "from nnbook.book.kernel.claims import claim\nclaim(1 > 2, 'one is more than two', 1)")
    with pytest.raises(PageFailed) as err:
        execute_page(path, tmp_path)
    message = str(err.value)
    assert message.startswith("book/a_page:")
    assert "A sentence of the page book/a_page no longer holds: one is more than two" in message
    assert (path.parent / "cwd").read_text() == str(path.parent)  # in the page's folder


def test_an_error_shown_on_purpose_does_not_stop_it(tmp_path, capsys):
    path = page(tmp_path, ":tags: [raises-exception]\n\n1 / 0", "x = 1")
    assert main(["execute", str(path), "--root", str(tmp_path)]) == 0
    assert "book/a_page: 2 cells in" in capsys.readouterr().out
    assert main(["execute", str(tmp_path / "missing.md")]) == 1
