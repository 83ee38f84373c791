"""The launch notebooks (book/<page>.ipynb): in sync with their pages, safe to regenerate,
installable on Colab, and runnable in a fresh kernel; and the Binder environment that opens them."""

from __future__ import annotations

import json
import re
import shutil
import sys
import tomllib
import types
from pathlib import Path

import nbformat
import pytest

from book_helpers import REPO, is_executed
from nnbook.__main__ import main as cli
from nnbook.book.tools.notebooks import (NotebookError, page_notebook, repository, setup_cell_source,
                                   stale_notebooks, write_notebooks)
from nnbook.book.page_source import toc_pages

PAGE = """---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page

Some text with a {term}`tensor`.

```{code-cell} ipython3
:tags: [hide-input]
x = 6 * 7
```

```{code-cell} ipython3
print(x)
```

% notes: what the speaker says, on no page and in no notebook
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A two-page book: one page with code, one without."""
    (tmp_path / "_config.yml").write_text(
        "title: t\nrepository:\n  url: https://github.com/someone/somebook\n  branch: dev\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/page\n  - file: book/words\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n\nNo code here.\n")
    (tmp_path / "book" / "page.md").write_text(PAGE)
    (tmp_path / "book" / "words.md").write_text("# Words\n")
    return tmp_path


def test_every_committed_notebook_matches_its_page():
    assert stale_notebooks(REPO) == [], "run `make notebooks` and commit book/*.ipynb"


def test_every_executed_page_of_the_book_has_a_notebook_and_no_other_page_does():
    for page in toc_pages(REPO):
        name = page.relative_to(REPO).with_suffix("").as_posix()
        assert page.with_suffix(".ipynb").is_file() == is_executed(name), page


def test_a_notebook_holds_the_pages_cells_after_a_note_and_the_setup_cell(project):
    assert write_notebooks(project) == [project / "book" / "page.ipynb"]
    nb = nbformat.read(project / "book" / "page.ipynb", as_version=4)
    nbformat.validate(nb)
    assert "book/page.md" in nb.cells[0].source  # says where it comes from and what to edit
    assert nb.cells[1].source == setup_cell_source(repository(project))
    code = [c for c in nb.cells[2:] if c.cell_type == "code"]
    assert [c.source for c in code] == ["x = 6 * 7", "print(x)"]
    assert code[0].metadata["tags"] == ["hide-input"]
    assert any("{term}`tensor`" in c.source for c in nb.cells if c.cell_type == "markdown")
    assert not any("notes:" in c.source for c in nb.cells)  # a MyST comment reaches no reader
    assert all(c.outputs == [] for c in code)
    assert nb.metadata.kernelspec.name == "python3"
    assert not (project / "book" / "intro.ipynb").exists()  # no code, nothing to launch


def test_regenerating_writes_nothing_when_in_sync_and_the_same_bytes_every_time(project):
    write_notebooks(project)
    first = (project / "book" / "page.ipynb").read_bytes()
    assert write_notebooks(project) == []
    (project / "book" / "page.ipynb").unlink()
    write_notebooks(project)
    assert (project / "book" / "page.ipynb").read_bytes() == first  # stable cell ids, no timestamps


def test_a_changed_page_makes_its_notebook_stale_until_regenerated(project):
    write_notebooks(project)
    assert stale_notebooks(project) == []
    page = project / "book" / "page.md"
    page.write_text(page.read_text().replace("6 * 7", "6 * 9"))
    assert stale_notebooks(project) == ["book/page.ipynb"]
    assert cli(["notebooks", "--check", "--root", str(project)]) == 1
    assert cli(["notebooks", "--root", str(project)]) == 0
    assert stale_notebooks(project) == []
    assert "x = 6 * 9" in (project / "book" / "page.ipynb").read_text()


def test_a_notebook_whose_page_left_the_book_is_reported_not_deleted(project):
    write_notebooks(project)
    (project / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/words\n")
    stale = stale_notebooks(project)
    assert len(stale) == 1 and stale[0].startswith("book/page.ipynb (its page is not in _toc.yml")
    assert write_notebooks(project) == [] and (project / "book" / "page.ipynb").is_file()
    (project / "book" / "scratch.ipynb").write_text("{}")  # not generated: none of our business
    assert len(stale_notebooks(project)) == 1


def test_a_notebook_edited_by_hand_is_never_overwritten(project, capsys):
    write_notebooks(project)
    target = project / "book" / "page.ipynb"
    nb = nbformat.read(target, as_version=4)
    nb.cells[-1].source = "print(x)  # my experiment"
    nbformat.write(nb, target)
    edited = target.read_bytes()
    page = project / "book" / "page.md"
    page.write_text(page.read_text().replace("6 * 7", "6 * 9"))
    with pytest.raises(NotebookError, match=r"edited since it was generated.*book/page\.md"):
        write_notebooks(project)
    assert target.read_bytes() == edited
    assert cli(["notebooks", "--root", str(project)]) == 1
    assert "copy your changes there" in capsys.readouterr().err
    assert target.read_bytes() == edited


@pytest.mark.parametrize("content", [
    "not json at all",
    json.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("mine")])),
])
def test_a_file_that_was_not_generated_is_left_alone(project, content):
    target = project / "book" / "page.ipynb"
    target.write_text(content)
    with pytest.raises(NotebookError, match="left as it is"):
        write_notebooks(project)
    assert target.read_text() == content


def test_an_error_on_one_page_writes_no_notebook_at_all(project):
    (project / "_toc.yml").write_text((project / "_toc.yml").read_text() + "  - file: book/other\n")
    shutil.copy(project / "book" / "page.md", project / "book" / "other.md")
    (project / "book" / "other.ipynb").write_text("someone's file")
    with pytest.raises(NotebookError):
        write_notebooks(project)
    assert not (project / "book" / "page.ipynb").exists()


def test_a_repository_that_is_not_on_github_is_refused_with_the_fix(project):
    (project / "_config.yml").write_text("repository:\n  url: https://example.org/x\n")
    with pytest.raises(NotebookError, match=r"repository\.url must be .*github\.com"):
        write_notebooks(project)
    with pytest.raises(NotebookError, match="run this from the book's root folder"):
        write_notebooks(project / "book")


def declared_packages() -> set[str]:
    """What ``pip install nnbook[pages]`` brings: the library's dependencies and the pages extra."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=\[ ]", d)[0].lower() for d in
            project["dependencies"] + project["optional-dependencies"]["pages"]}


# --- the setup cell --------------------------------------------------------------------------------

class FakeShell:
    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line, *args, **kwargs):
        self.magics.append((name, line))


def run_setup_cell(monkeypatch, source: str, colab: bool) -> FakeShell:
    """Run the setup cell as IPython would, with nnbook not importable."""
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(source)
    shell = FakeShell()
    monkeypatch.setitem(sys.modules, "nnbook", None)  # `import nnbook` raises ModuleNotFoundError
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(python, {"get_ipython": lambda: shell})
    return shell


def test_on_colab_the_setup_cell_installs_nnbook_from_the_configured_repository(project,
                                                                               monkeypatch):
    source = page_notebook(project / "book" / "page.md", repository(project),
                           project).cells[1].source
    shell = run_setup_cell(monkeypatch, source, colab=True)
    assert shell.magics == [
        ("pip", 'install --quiet "nnbook[pages] @ git+https://github.com/someone/somebook@dev"')]


def test_elsewhere_a_missing_nnbook_is_an_error_that_says_how_to_install_it(project, monkeypatch):
    source = setup_cell_source(repository(project))
    with pytest.raises(ModuleNotFoundError, match=r"pip install -e \..*someone/somebook@dev"):
        run_setup_cell(monkeypatch, source, colab=False)


def test_the_setup_cell_does_nothing_where_nnbook_is_installed():
    from IPython.core.inputtransformer2 import TransformerManager

    shell = FakeShell()
    exec(TransformerManager().transform_cell(setup_cell_source(repository(REPO))),
         {"get_ipython": lambda: shell})
    assert shell.magics == []


def test_the_pages_extra_covers_what_the_pages_import():
    """A launched notebook gets nnbook[pages]: every package a page imports must be in it."""
    declared = declared_packages()
    module_to_package = {"myst_nb": "myst-nb", "skimage": "scikit-image", "sklearn": "scikit-learn",
                         "IPython": "ipython", "PIL": "pillow"}
    imported = set()
    notebooks = [page_notebook(page, repository(REPO), REPO) for page in toc_pages(REPO)]
    for nb in filter(None, notebooks):
        for cell in nb.cells[2:]:
            if cell.cell_type == "code":
                imported |= set(re.findall(r"^\s*(?:from|import) ([A-Za-z_]\w*)", cell.source, re.M))
    stdlib = set(sys.stdlib_module_names) | {"nnbook", "__future__"}
    missing = {module_to_package.get(m, m).lower() for m in imported - stdlib} - declared
    assert imported - stdlib and not missing, missing


# --- Binder -------------------------------------------------------------------------------------------

def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line.strip())
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_binder_installs_the_same_versions_as_the_book_for_everything_the_pages_need():
    binder, root = pins(REPO / "binder" / "requirements.txt"), pins(REPO / "requirements.txt")
    assert binder and all(root.get(name) == version for name, version in binder.items()), \
        {n: (v, root.get(n)) for n, v in binder.items() if root.get(n) != v}
    needed = declared_packages()
    assert needed <= set(binder), needed - set(binder)
    assert not any(name.startswith(("nvidia-", "triton")) for name in binder)  # no GPU on Binder
    text = (REPO / "binder" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text


def test_binder_installs_graphviz_and_the_library_itself():
    assert "graphviz" in (REPO / "binder" / "apt.txt").read_text().split()
    post_build = REPO / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert re.search(r"^pip install .*-e \.$", post_build.read_text(), re.M)


# --- a launch notebook runs ---------------------------------------------------------------------------

def test_a_launch_notebook_runs_top_to_bottom_in_a_fresh_kernel(tmp_path):
    """What Colab or Binder would run, in a fresh kernel where nnbook is installed."""
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "book" / "tensors.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:  # errors only where the page shows one on purpose
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors or "raises-exception" in cell.metadata.get("tags", []), cell.source
    assert any(c.outputs for c in code[1:])  # the page's cells produced output
