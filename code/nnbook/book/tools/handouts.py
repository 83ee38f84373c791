"""Notebooks to hand out to a class, one per executed page: a student notebook and an instructor
notebook.

Both are written from the built book (``make book``), because a page's text quotes values its
build computed: they hold the page's text as plain Markdown (:mod:`nnbook.book.plain_markdown`:
glued values filled in, links into the published site, included code inlined, directives
written out) and its code without the build's bookkeeping:

- a hidden cell (``remove-cell``) is dropped, except the statements that define a name a later
  cell uses (the hidden imports a visible cell needs, say), so a hidden cell that computes only
  what a solution states is gone;
- ``glue``, ``claim`` and ``show_lesson_errors`` calls, and their imports, are dropped
  everywhere;
- a self-check question becomes its question and options in Markdown (as the executed page
  printed it), and a live widget a note that links to it on the site.

The **student** notebook has the exercises without their solutions, and no outputs: a student
runs it from the top. The **instructor** notebook has the solutions, with the hidden cells that
compute what they state, and the executed page's outputs, so that the numbers of the solutions
are there without training again; its questions show their answers.

The first code cell installs the library at the commit the notebooks were made from
(``git rev-parse HEAD``), so a hand-out runs the code it was written with. ``make notebooks``
(after ``make book``) writes both sets to ``_build/handouts/``; the build itself writes them at
its end too, and puts the student set, and only it, into the site's ``handouts/``.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from nnbook.book.tools.notebooks import METADATA_KEY, NotebookError, Repository, render, repository
from nnbook.book.page_source import page_blocks, read_notebook, toc_pages
from nnbook.book.plain_markdown import (BookLinks, MarkdownError, PageText, book_links,
                                        plain_markdown)

AUDIENCES = ("student", "instructor")
BOOKKEEPING_CALLS = {"glue", "claim", "show_lesson_errors"}
BOOKKEEPING_MODULES = ("nnbook.book.kernel.glue", "nnbook.book.kernel.claims", "nnbook.book.kernel.lesson_errors",
                       "myst_nb")
QUESTION = re.compile(r"\bMultipleChoice\(")
WIDGETS_MODULE = "nnbook.book.kernel.widgets"
GLUED = re.compile(r"\{glue(?::\w*)?\}`(?P<key>[^`:]+)")
HIDDEN_SOURCE = ("remove-input", "hide-input")  # tags whose code Jupyter shows folded
CONTROL_FLOW = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)
KEPT_TAGS = ("raises-exception", "hide-input", "hide-output", "hide-cell")


class StaleBuild(NotebookError):
    """A page has no build, or changed since it was built: its hand-outs would quote values its
    code no longer computes."""


# --- the build ------------------------------------------------------------------------------------

@dataclass
class ExecutedBook:
    """Where a build keeps its executed pages: myst-nb's ``jupyter_execute`` folder (each page's
    notebook and its glue data) and the execution cache (the outputs of pages it served from
    there)."""

    folder: Path
    cache: Path
    _read: dict = field(default_factory=dict, repr=False, compare=False)  # docname: page

    @classmethod
    def in_build(cls, build: Path) -> ExecutedBook:
        """The executed pages of the build in ``build`` (Jupyter Book's ``_build``)."""
        return cls(build / "jupyter_execute", build / ".jupyter_cache")

    def page(self, docname: str) -> tuple[nbformat.NotebookNode, dict]:
        """A page's executed notebook (outputs included, the build's own cells left out) and
        the values it glued, as myst-nb keeps them (key: the glued output)."""
        from nnbook.book.sphinxext.downloads import executed_notebook

        if docname in self._read:  # read once for both hand-outs (the cache's copy is slow)
            return self._read[docname]
        nb = executed_notebook(self.folder, self.cache, docname)
        if nb is None:
            raise StaleBuild(f"{docname}.md has not been built (no {docname}.ipynb in "
                             f"{self.folder}): run `make book`")
        glue_file = self.folder / f"{docname}.glue.json"
        glue = json.loads(glue_file.read_text(encoding="utf-8")) if glue_file.is_file() else {}
        self._read[docname] = nb, glue
        return nb, glue


def _check_built_from(page: nbformat.NotebookNode, executed: nbformat.NotebookNode,
                      rel: str) -> None:
    """Raise :class:`StaleBuild` unless ``executed`` ran the cells of ``page`` as they are."""
    def cells(nb):
        return [(c.cell_type, c.source) for c in nb.cells]

    if cells(page) != cells(executed):
        raise StaleBuild(f"{rel} changed since the book was built: run `make book` (it writes "
                         "the hand-outs at its end)")


# --- code without bookkeeping ---------------------------------------------------------------------

def _python(source: str) -> ast.Module | None:
    """A cell's code as Python (IPython's ``%magic`` lines become calls, line for line); None
    for a cell magic or code that does not parse."""
    from IPython.core.inputtransformer2 import TransformerManager

    if any(line.lstrip().startswith("%%") for line in source.splitlines()):
        return None
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _is_bookkeeping(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        return isinstance(func, ast.Name) and func.id in BOOKKEEPING_CALLS
    return False


def _bookkeeping_import(stmt: ast.stmt) -> tuple[bool, str | None]:
    """Whether ``stmt`` imports bookkeeping, and the import it leaves when it imports something
    else as well (``from nnbook.book.kernel.glue import glue, readable``: ``readable``)."""
    if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").startswith(BOOKKEEPING_MODULES):
        kept = [a for a in stmt.names if (a.asname or a.name) not in BOOKKEEPING_CALLS]
        if not kept:
            return True, None
        if len(kept) < len(stmt.names):
            return True, ast.unparse(ast.ImportFrom(stmt.module, kept, stmt.level))
    if isinstance(stmt, ast.Import) and all(a.name.startswith(BOOKKEEPING_MODULES)
                                            for a in stmt.names):
        return True, None
    return False, None


def _bodies(node: ast.AST):
    """The statement lists directly inside ``node`` (a module's, a loop's body, an ``if``'s
    ``else``...)."""
    for name in ("body", "orelse", "finalbody"):
        body = getattr(node, name, None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            yield body
    for handler in getattr(node, "handlers", []):
        yield handler.body
    for case in getattr(node, "cases", []):
        yield case.body


def _bound_names(stmt: ast.stmt) -> set[str]:
    """The names a top-level statement binds, or changes through an attribute or an item
    (``x.a = ...``, ``x[i] = ...``)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            for decorator in node.decorator_list:
                visit(decorator)
            return  # what the body binds is its own
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
            base = node
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(stmt)
    return names


@dataclass
class CodeCell:
    """A code cell of a hand-out being written: its source, parsed, and the statements left out
    of it (the book's bookkeeping, at any depth; in a hidden cell, what no later cell needs)."""

    source: str
    tree: ast.Module | None  # None: not Python we can read (a cell magic), kept or dropped whole
    dropped: set[int] = field(default_factory=set)  # ids of the statements left out
    replaced: dict[int, str] = field(default_factory=dict)  # id of a statement: its new text
    gone: bool = False  # the whole cell is left out

    @classmethod
    def of(cls, source: str) -> CodeCell:
        cell = cls(source, _python(source))
        for stmt in cell._all_statements():
            is_import, rest = _bookkeeping_import(stmt)
            if _is_bookkeeping(stmt) or (is_import and rest is None):
                cell.dropped.add(id(stmt))
            elif is_import:
                cell.replaced[id(stmt)] = rest
        if cell.tree is not None:
            cell._drop_emptied(cell.tree)
        return cell

    def _drop_emptied(self, node: ast.AST) -> None:
        """Leave out a loop, ``if``, ``with`` or ``try`` that only did bookkeeping."""
        bodies = list(_bodies(node))
        for body in bodies:
            for stmt in body:
                self._drop_emptied(stmt)
        if isinstance(node, CONTROL_FLOW) and all(id(s) in self.dropped
                                                  for body in bodies for s in body):
            self.dropped.add(id(node))

    def _all_statements(self) -> list[ast.stmt]:
        if self.tree is None:
            return []
        return [stmt for node in ast.walk(self.tree) for body in _bodies(node) for stmt in body]

    @property
    def statements(self) -> list[ast.stmt]:
        """The top-level statements kept."""
        return [s for s in (self.tree.body if self.tree else []) if id(s) not in self.dropped]

    def _reads(self, node: ast.AST) -> set[str]:
        """The names the kept part of ``node`` reads."""
        if id(node) in self.dropped:
            return set()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            return {node.id}
        return set().union(*(self._reads(child) for child in ast.iter_child_nodes(node)))

    def reads(self) -> set[str]:
        """The names the code kept reads (every word, for a cell that cannot be parsed)."""
        if self.gone:
            return set()
        if self.tree is None:
            return set(re.findall(r"[A-Za-z_]\w*", self.source))
        return self._reads(self.tree)

    def keep_only(self, needed: set[str]) -> set[str]:
        """Leave out the top-level statements that bind none of the names ``needed`` after this
        cell, and return the names needed before it."""
        if self.tree is None:
            self.gone = True
            return needed
        for stmt in reversed(self.statements):
            bound = _bound_names(stmt)
            if bound & needed:
                needed = (needed - bound) | self._reads(stmt)
            else:
                self.dropped.add(id(stmt))
        self.gone = not self.statements
        return needed

    @property
    def empty(self) -> bool:
        return self.gone or (self.tree is not None and not self.statements)

    def text(self) -> str:
        """The source without the statements left out (nor the comment lines just above
        each), with ``pass`` where a block would be left empty."""
        if self.tree is None or self.empty:
            return "" if self.empty else self.source
        lines = self.source.split("\n")
        gone: set[int] = set()
        new: dict[int, str] = {}

        def indent(stmt: ast.stmt) -> str:
            return lines[stmt.lineno - 1][:stmt.col_offset]

        def visit(node: ast.AST) -> None:
            for body in _bodies(node):
                doomed = [s for s in body if id(s) in self.dropped]
                for stmt in doomed:
                    start = stmt.lineno - 1
                    while start > 0 and lines[start - 1].strip().startswith("#"):
                        start -= 1  # the comment that introduces it goes with it
                    gone.update(range(start, stmt.end_lineno))
                if doomed and len(doomed) == len(body) and not isinstance(node, ast.Module):
                    new[body[0].lineno - 1] = f"{indent(body[0])}pass"  # a block needs one line
                for stmt in body:
                    if id(stmt) in self.dropped:
                        continue
                    if id(stmt) in self.replaced:
                        new[stmt.lineno - 1] = indent(stmt) + self.replaced[id(stmt)]
                        gone.update(range(stmt.lineno, stmt.end_lineno))
                    visit(stmt)

        visit(self.tree)
        kept = [new.get(i, line) for i, line in enumerate(lines) if i in new or i not in gone]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def _unconditional_bindings(stmt: ast.stmt) -> set[str]:
    """The names a statement always binds (an assignment to a name, an import, a definition),
    which an earlier definition then need not provide."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef)):
        return _bound_names(stmt)
    if isinstance(stmt, ast.Assign):  # names, unpacked or not; not an item or an attribute
        return {n.id for t in stmt.targets for n in ast.walk(t)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target,
                                                                                 ast.Name):
        return {stmt.target.id}
    return set()


def glued_keys(cell: nbformat.NotebookNode) -> set[str]:
    """The keys an executed cell glued values under, read from its outputs (myst-nb's glue
    marks each with its key)."""
    return {o["metadata"]["scrapbook"]["name"] for o in cell.get("outputs", [])
            if "scrapbook" in o.get("metadata", {})}


def solution_keys(page_text: str) -> set[str]:
    """The glued values the solutions of a page quote."""
    return {m["key"] for block in page_blocks(page_text, "solution")
            for m in GLUED.finditer("\n".join(block.content))}


def solution_code(page_text: str) -> list[tuple[str, str]]:
    """The code a page's solutions show, as ``(solution label, source)`` in page order: each
    Python code block of a solution (an indented block, or a fence marked ``python`` or with no
    language). A reader runs them after the page's cells, so a test does too."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark")
    found = []
    for block in page_blocks(page_text, "solution"):
        label = block.argument or "(unlabelled)"
        for token in parser.parse("\n".join(block.content)):
            language = token.info.strip().split(" ")[0] if token.type == "fence" else "python"
            if token.type in ("code_block", "fence") and language in ("python", "ipython3", ""):
                found.append((label, token.content))
    return found


# --- the notebooks --------------------------------------------------------------------------------

def handout_setup_source(repo: Repository) -> str:
    """The first code cell of a hand-out: the library at the hand-out's commit, installed where
    it is missing."""
    return (
        "# The book's library, nnbook, at the commit this notebook was made from. Where it is\n"
        "# not installed (Colab, a fresh Jupyter), this installs it: about a minute.\n"
        "try:\n"
        "    import nnbook\n"
        "except ModuleNotFoundError:\n"
        f"    %pip install --quiet \"{repo.pip_requirement}\"\n"
    )


def _intro(audience: str, title: str, url: str, repo: Repository) -> str:
    version = f"commit `{repo.commit[:12]}`" if repo.commit else f"branch `{repo.branch}`"
    if audience == "student":
        return (f"*A notebook to work through: [{title}]({url}), the page of the book, with its "
                "exercises and without their solutions. Run the cells from the top; the first "
                f"installs the book's library ({version} of {repo.url}) where it is missing.*")
    return (f"*The instructor's notebook of [{title}]({url}): the page with its exercises' "
            "solutions, the hidden cells that compute what they state, and the outputs of the "
            f"book's build ({version} of {repo.url}). Not for students: they get the student "
            "notebook, without solutions.*")


def _quiz_markdown(cell: nbformat.NotebookNode, audience: str, where: str) -> str:
    from nnbook.book.kernel.quiz import without_answer

    text = next((o["data"]["text/markdown"] for o in cell.get("outputs", [])
                 if "text/markdown" in o.get("data", {})), None)
    if text is None:
        raise StaleBuild(f"{where}: a self-check question has no output in the build: run "
                         "`make book`")
    return without_answer(text) if audience == "student" else text


def _widget_note(cell: nbformat.NotebookNode, url: str) -> nbformat.NotebookNode:
    """A live widget as a hand-out can show it: the still figure and the sentence the page
    shows where the widget cannot run, and a link to it on the site."""
    data = next((o["data"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})
                 or "text/plain" in o.get("data", {})), {})
    said = data.get("text/plain", "").strip()
    lines = ["![The widget's still figure](attachment:widget.png)"] if "image/png" in data else []
    lines += [f"*{said}*"] if said else []
    lines += [f"*A live widget: [open it on the book's site]({url}).*"]
    note = nbformat.v4.new_markdown_cell("\n\n".join(lines))
    if "image/png" in data:
        note["attachments"] = {"widget.png": {"image/png": data["image/png"]}}
    return note


def _outputs(cell: nbformat.NotebookNode) -> list:
    """A cell's outputs as the reader saw them: without the values glued for the prose."""
    if "remove-output" in cell.metadata.get("tags", []):
        return []
    return [o for o in cell.get("outputs", []) if "scrapbook" not in o.get("metadata", {})]


def _metadata(tags: list[str]) -> dict:
    metadata: dict = {}
    kept = [t for t in tags if t in KEPT_TAGS]
    if kept:
        metadata["tags"] = kept
    if any(t in tags for t in HIDDEN_SOURCE):
        metadata["jupyter"] = {"source_hidden": True}
    return metadata


def handout_notebook(page: Path, root: Path, repo: Repository, links: BookLinks,
                     executed: ExecutedBook, audience: str) -> nbformat.NotebookNode | None:
    """The hand-out of ``page`` for ``audience`` (``"student"`` or ``"instructor"``), from the
    build in ``executed``: see the module's docstring. None for a page that shows no code
    (the introduction computes only what its text quotes)."""
    from nnbook.book.reading import page_title

    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    source = read_notebook(page)
    if not any(c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])
               for c in source.cells):
        return None  # no code, or only what the page's text quotes: nothing to run
    rel = page.relative_to(root).as_posix()
    docname = rel.removesuffix(".md")
    built, glue = executed.page(docname)
    _check_built_from(source, built, rel)
    page_text = page.read_text(encoding="utf-8")
    url = links.page(docname)
    text = PageText(page=page, glue=glue, links=links, solutions=audience == "instructor",
                    files=repo.raw_files)
    instructor = audience == "instructor"
    keys = solution_keys(page_text) if instructor else set()

    # Which code is kept, from the last cell back: a hidden statement is kept when a later kept
    # cell reads a name it binds.
    plan = []
    for cell in built.cells:
        if cell.cell_type != "code":
            plan.append((cell, None, "markdown"))
            continue
        code = CodeCell.of(cell.source)
        tags = cell.metadata.get("tags", [])
        if QUESTION.search(cell.source):
            kind = "question"
        elif WIDGETS_MODULE in cell.source:
            kind = "widget"
        elif "remove-cell" in tags:
            kind = "solution" if instructor and glued_keys(cell) & keys else "hidden"
        else:
            kind = "code"
        plan.append((cell, code, kind))
    needed: set[str] = set()
    for cell, code, kind in reversed(plan):
        if kind in ("code", "solution"):
            for stmt in reversed(code.statements) if code.tree else []:
                needed = (needed - _unconditional_bindings(stmt)) | code._reads(stmt)
            if code.tree is None:
                needed |= code.reads()
        elif code is not None:
            needed = code.keep_only(needed)

    cells = [nbformat.v4.new_markdown_cell(_intro(audience, page_title(page_text), url, repo)),
             nbformat.v4.new_code_cell(handout_setup_source(repo))]
    try:
        for cell, code, kind in plan:
            if kind == "markdown":
                markdown = plain_markdown(cell.source, text).strip()
                if markdown:
                    cells.append(nbformat.v4.new_markdown_cell(markdown))
                continue
            if kind == "solution":
                cells.append(nbformat.v4.new_markdown_cell(
                    "*For the instructor: this cell is hidden on the book's site. It computes "
                    "what the solutions below state.*"))
            if not code.empty:
                tags = cell.metadata.get("tags", [])
                new = nbformat.v4.new_code_cell(code.text(), metadata=_metadata(tags))
                if instructor and kind == "code":
                    new.outputs = _outputs(cell)
                    new.execution_count = cell.get("execution_count")
                cells.append(new)
            if kind == "question":
                cells.append(nbformat.v4.new_markdown_cell(_quiz_markdown(cell, audience, rel)))
            elif kind == "widget":
                cells.append(_widget_note(cell, url))
    except MarkdownError as err:
        raise NotebookError(str(err)) from None
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    kernelspec = dict(source.metadata.get("kernelspec", {}))
    kernelspec.setdefault("display_name", "Python 3")
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": kernelspec,
        "language_info": {"name": "python"},
        METADATA_KEY: {"source": rel, "audience": audience, "commit": repo.commit},
    })
    nbformat.validate(nb)
    return nb


@dataclass
class Handouts:
    """What :func:`write_handouts` did."""

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why a page has none this time
    commit: str | None = None
    dirty: bool = False  # the working tree has changes the commit lacks


def _commit(root: Path) -> tuple[str | None, bool]:
    from nnbook.book.kernel.provenance_record import _git

    commit = _git("rev-parse", "HEAD", cwd=root)
    dirty = bool(commit) and bool(_git("status", "--porcelain", "--untracked-files=no",
                                       cwd=root))
    return (commit or None), dirty


def _bibfiles(root: Path) -> list[Path]:
    from nnbook.book.tools.notebooks import _load_yaml

    return [root / name for name in _load_yaml(root / "_config.yml").get("bibtex_bibfiles") or []]


def write_handouts(root: Path = Path("."), dest: Path | None = None, *,
                   site: Path | None = None, executed: ExecutedBook | None = None,
                   commit: str | None = None) -> Handouts:
    """Write ``<dest>/student/<page>.ipynb`` and ``<dest>/instructor/<page>.ipynb`` for every
    executed page, from the build ``executed`` (default: ``_build`` under ``root``, as is
    ``dest``: ``_build/handouts``), installing the library at ``commit`` (default: the
    repository's ``HEAD``). With ``site`` (the built site's ``handouts/``), the student
    notebooks are copied there, and nothing else is left there.

    The hand-outs are generated, never edited: the folders are emptied of notebooks first, so a
    page that changed since the build has none (it is listed in ``skipped``) rather than stale
    ones."""
    root = Path(root)
    dest = Path(dest) if dest is not None else root / "_build" / "handouts"
    executed = executed or ExecutedBook.in_build(root / "_build")
    result = Handouts()
    if commit is None:
        commit, result.dirty = _commit(root)
    result.commit = commit
    repo = repository(root)
    repo = repo.at(commit) if commit else repo
    links = book_links(root, toc_pages(root), repo.site, _bibfiles(root))
    for audience in AUDIENCES:
        (dest / audience).mkdir(parents=True, exist_ok=True)
        for old in (dest / audience).glob("*.ipynb"):
            old.unlink()
    for page in toc_pages(root):
        if page.suffix != ".md" or not page.is_file():
            continue
        try:
            notebooks = {audience: handout_notebook(page, root, repo, links, executed, audience)
                         for audience in AUDIENCES}
        except StaleBuild as err:
            result.skipped.append(str(err))
            continue
        for audience, nb in notebooks.items():
            if nb is None:
                continue
            path = dest / audience / f"{page.stem}.ipynb"
            path.write_text(render(nb), encoding="utf-8")
            result.written.append(path)
    if site is not None:
        shutil.rmtree(site, ignore_errors=True)  # an earlier build's, instructor set and all
        shutil.copytree(dest / "student", site / "student")
    return result
