"""The book's pages as plain Jupyter notebooks, for Colab, Binder and any Jupyter.

Each executed page ``book/<name>.md`` is a MyST Markdown notebook. Jupyter opens it only with the
jupytext extension, and Colab not at all, so the repository also holds ``book/<name>.ipynb``
beside it: the same cells, without outputs, with one setup cell in front. The launch buttons of
the site open these files (sphinx-book-theme links a page's ``.ipynb`` sibling when there is one).

The ``.md`` page is the source; the ``.ipynb`` is generated from it by

    python -m nnbook notebooks          # or: make notebooks (make book runs it too)

and ``tests/book/test_notebooks.py`` fails when a committed notebook no longer matches its page.
Generation never overwrites work: every notebook records a digest of the cells it was written
with, and a notebook whose cells were edited since (say, in Jupyter) is left alone with an error
that says how to keep the edits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from nnbook.book.page_source import markdown_events, read_notebook, toc_pages
from nnbook.engine import storage

ROOT_FILES = ("_config.yml", "_toc.yml")
METADATA_KEY = "nnbook"


class NotebookError(RuntimeError):
    """A notebook cannot be written without losing someone's work, or the book is misconfigured."""


@dataclass(frozen=True)
class Repository:
    """Where readers' notebooks install the library from (the ``repository`` of ``_config.yml``),
    and where the book is published (:func:`site_url`)."""

    url: str
    branch: str
    site: str = ""  # the published book's address, ending in "/"
    commit: str | None = None  # installs this commit instead of the branch's latest

    @property
    def pip_requirement(self) -> str:
        return f"nnbook[pages] @ git+{self.url.rstrip('/')}@{self.commit or self.branch}"

    @property
    def raw_files(self) -> str:
        """Where GitHub serves the repository's files at the installed version, ending in "/"."""
        path = GITHUB_REPOSITORY.match(self.url)
        return (f"https://raw.githubusercontent.com/{path['owner']}/{path['name']}/"
                f"{self.commit or self.branch}/")

    def at(self, commit: str) -> Repository:
        """The same repository, pinned: its notebooks install the library at ``commit``."""
        return dataclasses.replace(self, commit=commit)


GITHUB_REPOSITORY = re.compile(r"^https?://github\.com/(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)"
                               r"(?:\.git)?/?$")


def site_url(config: dict, owner: str, name: str) -> str:
    """The published book's address, the one place the hand-outs' links start from:
    ``html.baseurl`` of ``_config.yml`` when set, else where GitHub Pages serves the repository
    ``<owner>/<name>`` (the book's workflow deploys there): ``https://<owner>.github.io/<name>/``,
    or ``https://<owner>.github.io/`` for the repository named ``<owner>.github.io``."""
    base = ((config.get("html") or {}).get("baseurl") or "").strip()
    if base:
        return base.rstrip("/") + "/"
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"


def _load_yaml(path: Path) -> dict:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise NotebookError(f"{path} not found: run this from the book's root folder, where "
                            f"{' and '.join(ROOT_FILES)} are") from None


def repository(root: Path) -> Repository:
    config = _load_yaml(root / "_config.yml")
    repo = config.get("repository") or {}
    url, branch = repo.get("url"), repo.get("branch", "main")
    match = GITHUB_REPOSITORY.match(url or "")
    if not match:
        raise NotebookError(f"{root / '_config.yml'}: repository.url must be the book's GitHub "
                            f"repository (https://github.com/<owner>/<name>), not {url!r}")
    return Repository(url=url, branch=branch, site=site_url(config, match["owner"], match["name"]))




def setup_cell_source(repo: Repository) -> str:
    return (
        "# The pages import the book's library, nnbook. On Colab, install it (about a minute);\n"
        "# on Binder and in a local clone (`make book` or `pip install -e .`) it is there already.\n"
        "import sys\n"
        "\n"
        "try:\n"
        "    import nnbook\n"
        "except ModuleNotFoundError:\n"
        "    if \"google.colab\" not in sys.modules:\n"
        "        raise ModuleNotFoundError(\n"
        "            \"This notebook needs the book's library, nnbook. In a clone of \"\n"
        f"            \"{repo.url} run `make book` (or `pip install -e .`), or install it with \"\n"
        f"            \"pip install '{repo.pip_requirement}'\"\n"
        "        ) from None\n"
        f"    %pip install --quiet \"{repo.pip_requirement}\"\n"
    )


def _cells_digest(cells: list) -> str:
    plain = [{"cell_type": c["cell_type"], "source": c["source"],
              "metadata": c.get("metadata", {})} for c in cells]
    return hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()


def without_comments(markdown: str) -> str:
    """``markdown`` without its MyST comments (``%`` lines, such as a slide's speaker notes),
    which no page shows and Jupyter would show as text."""
    comments = {event.line for event in markdown_events(markdown) if event.kind == "comment"}
    if not comments:
        return markdown
    return "\n".join(line for number, line in enumerate(markdown.split("\n"), start=1)
                     if number not in comments).strip("\n")


def page_notebook(page: Path, repo: Repository, root: Path) -> nbformat.NotebookNode | None:
    """The launchable notebook of one page: a title note, the setup cell, then the page's cells;
    None for a page that the build does not execute (it has nothing to run)."""
    source = read_notebook(page)
    if "kernelspec" not in source.metadata:  # no code cells: nothing to execute or launch
        return None
    rel = page.relative_to(root).as_posix()
    intro = nbformat.v4.new_markdown_cell(
        f"*This notebook is generated from `{rel}` of the book's repository ({repo.url}); the "
        "MyST directives in its text are rendered on the book's site. Run the cells from the top. "
        f"To change it, edit `{rel}` and run `make notebooks`.*")
    setup = nbformat.v4.new_code_cell(setup_cell_source(repo))
    cells = [intro, setup]
    for cell in source.cells:
        metadata = {k: v for k, v in cell.metadata.items() if k in ("tags",)}
        if cell.cell_type == "code":
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=metadata))
        elif cell.cell_type == "markdown":
            text = without_comments(cell.source)
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text, metadata=metadata))
        else:
            cells.append(nbformat.v4.new_raw_cell(cell.source, metadata=metadata))
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"  # stable ids: a regenerated notebook is byte-identical
    kernelspec = dict(source.metadata.get("kernelspec", {}))
    kernelspec.setdefault("display_name", "Python 3")
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": kernelspec,
        "language_info": {"name": "python"},
        METADATA_KEY: {"source": rel, "cells_sha256": _cells_digest(cells)},
    })
    nbformat.validate(nb)
    return nb


def notebook_path(page: Path) -> Path:
    return page.with_suffix(".ipynb")


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def _recorded_digest(path: Path) -> str | None:
    """The cells digest a notebook generated by this module records; None for any other file."""
    try:
        return nbformat.read(path, as_version=4).metadata.get(METADATA_KEY, {}).get("cells_sha256")
    except Exception:  # unreadable JSON, not a notebook: someone's file, not ours
        return None


def _check_not_hand_edited(path: Path, rel: str) -> None:
    """Raise if ``path`` exists and holds anything other than an unedited notebook of ours."""
    if not path.exists():
        return
    recorded = _recorded_digest(path)
    if recorded is None:
        raise NotebookError(f"{path} was not generated by `python -m nnbook notebooks`, so it "
                            "was left as it is. If it holds work of yours, move it elsewhere; "
                            f"pages are edited in {rel}. Then run `make notebooks` again.")
    if recorded != _cells_digest(nbformat.read(path, as_version=4).cells):
        raise NotebookError(f"{path} was edited since it was generated, so it was left as it is. "
                            f"Its source is {rel}: copy your changes there, delete {path.name}, "
                            "and run `make notebooks` again.")


def expected_notebooks(root: Path = Path(".")) -> list[tuple[Path, Path, str]]:
    """``(page, notebook path, notebook text)`` for every executed page of the book, each page
    read once."""
    repo = repository(root)
    expected = []
    for page in toc_pages(root):
        if page.suffix != ".md":
            continue
        if not page.is_file():
            raise NotebookError(f"{page} is listed in {root / '_toc.yml'} but does not exist")
        nb = page_notebook(page, repo, root)
        if nb is not None:
            expected.append((page, notebook_path(page), render(nb)))
    return expected


def stale_notebooks(root: Path = Path(".")) -> list[str]:
    """The notebooks that are missing or differ from what their pages generate, and generated
    notebooks whose page is gone from the table of contents (empty: all in sync)."""
    expected = expected_notebooks(root)
    stale = [path.relative_to(root).as_posix() for _, path, text in expected
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    known = {path.resolve() for _, path, _ in expected}
    for folder in sorted({page.parent for page in toc_pages(root)}):
        for path in sorted(folder.glob("*.ipynb")):
            if path.resolve() not in known and _recorded_digest(path) is not None:
                # ours, but its page is no longer built: removing it is left to a person
                stale.append(f"{path.relative_to(root).as_posix()} (its page is not in _toc.yml "
                             "or has no code any more: delete it)")
    return stale


def write_notebooks(root: Path = Path(".")) -> list[Path]:
    """Write the notebook of every executed page whose notebook is missing or out of date.

    Returns the paths written. Checks every target before writing any, so that an error leaves
    all files as they were.
    """
    planned: list[tuple[Path, str]] = []
    for page, path, text in expected_notebooks(root):
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        _check_not_hand_edited(path, page.relative_to(root).as_posix())
        planned.append((path, text))
    for path, text in planned:
        storage.write_file(path, lambda f, text=text: f.write(text.encode("utf-8")))
    return [path for path, _ in planned]
