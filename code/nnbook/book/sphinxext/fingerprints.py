"""Page fingerprints: a page re-executes when the code it can run, the device, torch, the planning
mode or the data it loads changes.

MyST-NB's execution cache is keyed on a page's code cells alone, so a change to a library module
would leave stale outputs. Before a page is parsed (``source-read``), its code cells are read as
myst-nb reads them (options apart, IPython magics turned into calls) and parsed, and a hidden code
cell is appended that holds the device type the build runs on, the torch version, the planning
mode (``NNBOOK_PLAN``) where the page trains, the identity of each data set
(:func:`nnbook.engine.data.identity`: the files found, their sizes and MD5s) where the page can
load one (its imports reach :mod:`nnbook.engine.data`), and, for each module of the tracked packages
(``nnbook_tracked_packages``) the page imports directly or transitively, a digest of the
definitions the page can reach there and of what the module runs when imported
(:mod:`nnbook.engine.definitions`). A change to code the page can run, another device, torch or
planning mode, or data removed, damaged or replaced changes that cell, so the page re-executes
(and a missing or corrupt data set then fails the build with the loader's message, instead of a
green build from cached pages; an execution cache restored from another machine is served only
to the same torch); an edited comment does not, nor a function the page cannot reach, and pages
that do not import the module stay cached. The modules are also declared as the page's
dependencies, and the device type, torch version, planning mode and data identities are
configuration values, so Sphinx re-reads the page (re-reading is cheap; executing is not).

The provenance cells (:mod:`nnbook.book.sphinxext.provenance`) are added here too, because they
run in the kernel: the code they reach counts in the fingerprint like the page's own.

A cell that is not valid Python stops the build, naming its page and cell; so does asking for a
device that is not there (``NNBOOK_DEVICE=cuda`` without CUDA), before any page executes.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from myst_nb.core.read import is_myst_markdown_notebook
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from nnbook.book.page_source import PageSourceError, page_cells
from nnbook.engine.definitions import reached_digests
from nnbook.book.sphinxext import provenance
from nnbook.engine.sources import closure, imports_in_source

FINGERPRINT_MARK = "# nnbook dependency fingerprint"
TRAINING_MODULES = {"nnbook.engine.runs", "nnbook.engine.plan"}  # a page importing them trains
DATA_MODULE = "nnbook.engine.data"  # a page whose imports reach it can load a data set


@dataclass(frozen=True)
class CodeCell:
    """A code cell of a page as myst-nb reads it: its source without the MyST options."""

    number: int  # among the page's code cells, from 1
    line: int  # of the cell's opening fence in the page, from 1
    source: str
    tags: tuple[str, ...]


def code_cells(text: str, path: str | None = None, md_config=None) -> list[CodeCell]:
    """The code cells of a MyST Markdown notebook, as myst-nb reads them
    (:func:`nnbook.book.page_source.page_cells`); none for other pages."""
    if not is_myst_markdown_notebook(text):
        return []
    try:
        cells = page_cells(text, path, md_config)
    except PageSourceError as err:
        raise ExtensionError(str(err), modname=__name__) from err
    code = [cell for cell in cells if cell.kind == "code"]
    return [CodeCell(i, cell.line, cell.source, cell.tags) for i, cell in enumerate(code, start=1)]


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


def fingerprint_cell(digests: dict[str, str], device_type: str, plan_mode: str | None = None,
                     *, torch_version: str, data: Mapping[str, str] | None = None) -> str:
    """A hidden MyST code cell whose source changes whenever one of the module ``digests``
    (:func:`nnbook.engine.definitions.reached_digests`) changes, the build moves to another device
    type or torch version, or, for a page that trains (``plan_mode`` given), the planning mode
    changes, or, for a page that loads data (``data`` given: data set name to
    :func:`nnbook.engine.data.identity`), the data found changes."""
    lines = [f"{FINGERPRINT_MARK}: re-executes this page when code it can run changes.",
             f"# device {device_type}", f"# torch {torch_version}"]
    if plan_mode is not None:
        lines.append(f"# plan {plan_mode}")
    if data is not None:
        lines += [f"# data {name} {identity}" for name, identity in sorted(data.items())]
    lines += [f"# {name} {digest}" for name, digest in digests.items()]
    return "\n\n" + provenance.hidden_cell("\n".join(lines))


def page_sources(cells: list[CodeCell], page: str) -> list[str]:
    """The Python the kernel runs for each cell that compiles (see :func:`cell_imports`, which
    stops the build on any other)."""
    sources = []
    for cell in cells:
        cell_imports(cell, page)
        source = python_source(cell.source)
        try:
            ast.parse(source)
        except SyntaxError:
            continue  # tagged raises-exception: it runs nothing
        sources.append(source)
    return sources


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    """Add the provenance cells and the fingerprint cell to a page that has code."""
    text = source[0]
    path = str(app.env.doc2path(docname))
    cells = code_cells(text, path, getattr(app.env, "myst_config", None))
    if not cells:
        return
    tracked = list(app.config.nnbook_tracked_packages)
    page = os.path.relpath(path, app.srcdir)
    sources = page_sources(cells, page)
    names = set().union(*(imports_in_source(cell_source) for cell_source in sources))
    trains = bool(TRAINING_MODULES & set(closure(names, tracked)))
    text, added = provenance.add_cells(text, cells[0].line, trains)
    sources += added  # they run in the kernel too
    digests = reached_digests(sources, tracked)
    # The added cells' text lives in provenance.py: a change there must re-read the page.
    for module_path in [*closure(digests, tracked).values(), Path(provenance.__file__)]:
        app.env.note_dependency(str(module_path))
    plan_mode = app.config.nnbook_plan_mode if trains else None
    data = app.config.nnbook_data if DATA_MODULE in digests else None
    source[0] = text.rstrip("\n") + fingerprint_cell(
        digests, app.config.nnbook_device_type, plan_mode,
        torch_version=app.config.nnbook_torch_version, data=data)


def on_config_inited(app: Sphinx, config) -> None:
    # Set here, before Sphinx compares the configuration with the last build's: a new device type
    # makes it re-read every page, and the fingerprints then match only that device's executions.
    config.nnbook_device_type = build_device_type()
    config.nnbook_plan_mode = build_plan_mode()
    config.nnbook_torch_version = build_torch_version()
    config.nnbook_data = build_data_identities()


def build_torch_version() -> str:
    """The torch the pages will run under."""
    import torch

    # A str: torch's TorchVersion is a subclass, and Sphinx warns on a config value whose type
    # is not its default's, which fails the strict build.
    return str(torch.__version__)


def build_data_identities() -> dict[str, str]:
    """Each data set the pages may load, and the identity of what the build finds of it (once a
    build: about 0.05 s)."""
    from nnbook.engine import data

    return {name: data.identity(spec) for name, spec in sorted(data.SPECS.items())}


def build_device_type() -> str:
    """The type of the device the pages will compute on. A device that was asked for and is not
    there stops the build with the doctor's message, before a page comes from the cache."""
    from nnbook.book.tools.doctor import check_device
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


def setup(app: Sphinx) -> None:
    app.add_config_value("nnbook_tracked_packages", ["nnbook"], "env")
    # Not for _config.yml: set by the build from the device it finds (see build_device_type).
    app.add_config_value("nnbook_device_type", "", "env")
    app.add_config_value("nnbook_plan_mode", "", "env")  # likewise, from $NNBOOK_PLAN
    app.add_config_value("nnbook_torch_version", "", "env")  # likewise, from torch
    app.add_config_value("nnbook_data", {}, "env")  # likewise, from the data sets found
    app.connect("config-inited", on_config_inited)
    app.connect("source-read", on_source_read)
