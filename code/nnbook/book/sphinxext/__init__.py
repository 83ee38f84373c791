"""The book's Sphinx extension: fresh caches, offline assets and the site's small behaviours.

* **Dependency fingerprints.** MyST-NB's execution cache is keyed on a page's code cells alone, so a
  change to a library module would leave stale outputs. Before a page is parsed, this extension
  reads its code cells as myst-nb does (options apart, IPython magics turned into calls), parses
  them, follows the imports of the tracked packages (``nnbook_tracked_packages``) transitively
  (:mod:`nnbook.engine.sources`), and appends a hidden code cell holding the device type the build
  runs on, the planning mode (``NNBOOK_PLAN``) where the page trains, and a digest of each module's
  normalised source. A code change in a module, another device or another planning mode changes
  that cell, so the page re-executes; an edited comment does not, and pages that do
  not import the module stay cached. The modules are also declared as the page's dependencies, and
  the device type and the planning mode are configuration values, so Sphinx re-reads the page. A cell that is not
  valid Python stops the build, naming its page and cell; so does asking for a device that is not
  there (``NNBOOK_DEVICE=cuda`` without CUDA), before any page executes.
* **Offline assets.** plotly.js is copied once into ``_static/`` from the installed plotly package
  and MathJax from ``nnbook_mathjax_dir``; no page loads anything from another host.
* **Plotly in kernels.** Kernels started by the build emit plotly figures as JSON
  (``PLOTLY_RENDERER=plotly_mimetype``); :mod:`nnbook.book.sphinxext.plotly_render` draws them.
* **Provenance and the execution report.** Each executed page gets two hidden cells that record,
  in its kernel, the device, precision, torch version, commit and the training runs it used; see
  :mod:`nnbook.book.sphinxext.provenance`.
* **Live widgets.** Every script and style sheet in ``static/widgets/`` is added to each page;
  :mod:`nnbook.book.widgets` renders the widgets' outputs.
* **Clean pages.** Repeated inline scripts are dropped (a second ``const THEBE_JS_URL`` is a
  console error), bibliography entries get the ARIA role a list needs, and the theme's light or
  dark mode defaults to the reader's system setting.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from myst_nb.core.read import (MystMetadataParsingError, is_myst_markdown_notebook,
                               read_myst_markdown_notebook)
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from nnbook.book.sphinxext import book_map, latex, provenance
from nnbook.engine.sources import closure, imports_in_source, module_digests

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
FINGERPRINT_MARK = "# nnbook dependency fingerprint"
TRAINING_MODULES = {"nnbook.engine.runs", "nnbook.engine.plan"}  # a page importing them trains


@dataclass(frozen=True)
class CodeCell:
    """A code cell of a page as myst-nb reads it: its source without the MyST options."""

    number: int  # among the page's code cells, from 1
    line: int  # of the cell's opening fence in the page, from 1
    source: str
    tags: tuple[str, ...]


def code_cells(text: str, path: str | None = None, md_config=None) -> list[CodeCell]:
    """The code cells of a MyST Markdown notebook, read by myst-nb's own reader (so that option
    lines and YAML option blocks are never taken for code); none for other pages."""
    if not is_myst_markdown_notebook(text):
        return []
    try:
        notebook = read_myst_markdown_notebook(text, config=md_config, add_source_map=True,
                                               path=path)
    except MystMetadataParsingError as err:
        raise ExtensionError(f"{path or 'a page'}: {err}", modname=__name__) from err
    lines = notebook.metadata["source_map"]
    code = [(cell, line) for cell, line in zip(notebook.cells, lines) if cell.cell_type == "code"]
    return [CodeCell(i, line, cell.source, tuple(cell.metadata.get("tags", ())))
            for i, (cell, line) in enumerate(code, start=1)]


def python_source(cell_source: str) -> str:
    """The Python a kernel runs for a cell: IPython's own transforms turn magics (``%xmode``,
    ``%%capture``) and shell escapes (``!ls``, ``x = !ls``) into plain calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def cell_imports(cell: CodeCell, page: str) -> set[str]:
    """What a cell imports. A cell that is not valid Python stops the build, naming page and
    cell, unless it is tagged ``raises-exception``: a cell that does not compile runs nothing."""
    try:
        return imports_in_source(python_source(cell.source),
                                 filename=f"{page}, code cell {cell.number}")
    except SyntaxError as err:
        if "raises-exception" in cell.tags:
            return set()
        problem = f"{err.msg} (line {err.lineno} of the cell)"
    except ImportError as err:  # a relative import, which a page cannot make
        problem = str(err)
    raise ExtensionError(
        f"{page}: code cell {cell.number} (line {cell.line}) cannot be read as Python: {problem}. "
        "The build needs every cell's imports to know when the page must re-execute.",
        modname=__name__)


def fingerprint_cell(modules: dict[str, Path], device_type: str, plan_mode: str | None = None,
                     ) -> str:
    """A hidden MyST code cell whose source changes whenever the code of one of ``modules``
    changes (comments and layout aside), the build moves to another device type, or, for a page
    that trains (``plan_mode`` given), the planning mode changes."""
    lines = [f"{FINGERPRINT_MARK}: re-executes this page when a module it uses changes.",
             f"# device {device_type}"]
    if plan_mode is not None:
        lines.append(f"# plan {plan_mode}")
    lines += [f"# {name} {digest}"
              for name, digest in module_digests(modules, docstrings=True).items()]
    body = "\n".join(lines)
    return f"\n\n```{{code-cell}} ipython3\n:tags: [remove-cell]\n\n{body}\n```\n"


def _insert_before_line(text: str, line: int, block: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[: line - 1]) + block + "\n" + "".join(lines[line - 1:])


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    text = source[0]
    path = str(app.env.doc2path(docname))
    cells = code_cells(text, path, getattr(app.env, "myst_config", None))
    if not cells:
        return
    tracked = list(app.config.nnbook_tracked_packages)
    page = os.path.relpath(path, app.srcdir)
    names = set().union(*(cell_imports(cell, page) for cell in cells))
    # The hidden provenance cells run in the kernel too: the modules they import count as well.
    hidden = [provenance.PROVENANCE_SOURCE]
    trains = bool(TRAINING_MODULES & set(closure(names, tracked)))
    if trains:
        hidden.append(provenance.RECORDER_SOURCE)
        text = _insert_before_line(text, cells[0].line,
                                   provenance.hidden_cell(provenance.RECORDER_SOURCE))
    for source_text in hidden:
        names |= imports_in_source(source_text)
    modules = closure(names, tracked)
    # The hidden cells' source lives in provenance.py: a change there must re-read the page.
    for module_path in [*modules.values(), Path(provenance.__file__)]:
        app.env.note_dependency(str(module_path))
    plan_mode = app.config.nnbook_plan_mode if trains else None
    text = text.rstrip("\n") + fingerprint_cell(modules, app.config.nnbook_device_type, plan_mode)
    source[0] = text.rstrip("\n") + "\n\n" + provenance.hidden_cell(provenance.PROVENANCE_SOURCE)


def _plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ExtensionError(f"plotly.min.js is missing from the installed plotly package "
                             f"({path}); "
                             "reinstall plotly (`make book` does).")
    return path


def _mathjax_dir(app: Sphinx) -> Path:
    folder = Path(app.confdir, app.config.nnbook_mathjax_dir)
    if not (folder / "tex-chtml.js").is_file():
        raise ExtensionError(
            f"MathJax was not found at {folder} (nnbook_mathjax_dir). The book typesets math "
            "with a local MathJax so that it works offline: run `npm ci` in the book's folder "
            "(`make book` does this)."
        )
    return folder


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    app.config.html_static_path.append(str(STATIC))
    app.add_css_file("nnbook.css")
    app.add_js_file("plotly.min.js")
    _add_widget_assets(app)  # before nnbook.js, which reads the theme from nnlib.js
    app.add_js_file("nnbook.js", defer="defer")
    _plotly_js()
    if app.config.nnbook_mathjax_dir:
        _mathjax_dir(app)


def _add_widget_assets(app: Sphinx) -> None:
    """Every file of ``static/widgets/`` on every page (:mod:`nnbook.book.widgets`): nnlib.js
    first, since the widgets' files register with it as they load; all deferred."""
    folder = STATIC / "widgets"
    scripts = sorted(folder.glob("*.js"), key=lambda path: (path.name != "nnlib.js", path.name))
    for path in scripts:
        app.add_js_file(f"widgets/{path.name}", defer="defer")
    for path in sorted(folder.glob("*.css")):
        app.add_css_file(f"widgets/{path.name}")


def _sync_tree(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest``, skipping files that are already there with the same size."""
    for path in src.rglob("*"):
        if path.is_dir():
            continue
        target = dest / path.relative_to(src)
        if target.is_file() and target.stat().st_size == path.stat().st_size:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copy2(_plotly_js(), static / "plotly.min.js")
    if app.config.nnbook_mathjax_dir:
        _sync_tree(_mathjax_dir(app), static / "mathjax")


def _dedupe_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop repeated script and style entries. sphinx-thebe and sphinx-togglebutton register their
    inline configuration scripts twice under jupyter-book, and a second ``const THEBE_JS_URL``
    is a SyntaxError in every page's console."""
    for key in ("script_files", "css_files"):
        seen, unique = set(), []
        for asset in context.get(key, []):
            attributes = getattr(asset, "attributes", {})
            ident = (getattr(asset, "filename", str(asset)) or "",  # None and "" alike: inline
                     tuple(sorted((k, str(v)) for k, v in attributes.items())))
            if ident not in seen:
                seen.add(ident)
                unique.append(asset)
        context[key] = unique


def _fix_citation_roles(app: Sphinx, pagename: str, templatename: str, context: dict,
                        doctree) -> None:
    """Docutils writes bibliography entries as ``role="doc-biblioentry"`` inside a
    ``role="list"``: a list must hold list items (ARIA), so give them that role."""
    if "body" in context and 'role="doc-biblioentry"' in context["body"]:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def _on_config_inited(app: Sphinx, config) -> None:
    # The theme follows the reader's system light or dark preference unless told otherwise; with
    # no default it logs "Got invalid theme mode" on a reader's first visit.
    config.html_context.setdefault("default_mode", "auto")
    # Set here, before Sphinx compares the configuration with the last build's: a new device type
    # makes it re-read every page, and the fingerprints then match only that device's executions.
    config.nnbook_device_type = build_device_type()
    config.nnbook_plan_mode = build_plan_mode()


def build_device_type() -> str:
    """The type of the device the pages will compute on. A device that was asked for and is not
    there stops the build with the doctor's message, before a page comes from the cache."""
    from nnbook.book.doctor import check_device
    from nnbook.engine.device import get_device

    check = check_device()
    if not check.ok:
        fix = f"\nFix: {check.fix}." if check.fix else ""
        raise ExtensionError(check.detail + fix, modname=__name__)
    return get_device().type


def build_plan_mode() -> str:
    """``$NNBOOK_PLAN`` for the pages that train; a value that is not a mode stops the build."""
    from nnbook.engine.settings import plan_mode

    try:
        return plan_mode()
    except ValueError as err:
        raise ExtensionError(str(err), modname=__name__) from None


def setup(app: Sphinx) -> dict:
    app.add_config_value("nnbook_tracked_packages", ["nnbook"], "env")
    app.add_config_value("nnbook_mathjax_dir", "", "html")
    # Not for _config.yml: set by the build from the device it finds (see build_device_type).
    app.add_config_value("nnbook_device_type", "", "env")
    app.add_config_value("nnbook_plan_mode", "", "env")  # likewise, from $NNBOOK_PLAN
    # Every kernel the build starts inherits this: figures leave the kernel as plotly JSON.
    os.environ["PLOTLY_RENDERER"] = "plotly_mimetype"
    app.connect("config-inited", _on_config_inited)
    app.connect("source-read", _on_source_read)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("build-finished", _on_build_finished)
    app.connect("html-page-context", _dedupe_assets, priority=900)
    app.connect("html-page-context", _fix_citation_roles)
    provenance.setup(app)
    book_map.setup(app)
    latex.setup(app)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
