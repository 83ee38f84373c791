"""The book's Sphinx extension: fresh caches, offline assets and the site's small behaviours.

* **Dependency fingerprints.** MyST-NB's execution cache is keyed on a page's code cells alone, so a
  change to a library module would leave stale outputs. Before a page is parsed, this extension finds
  the modules of the tracked packages (``nnbook_tracked_packages``) that the page imports, follows
  their own imports, and appends a hidden code cell holding a digest of each module's source. A
  changed module changes that cell, so the page re-executes; pages that do not import it stay cached.
  The modules are also declared as the page's dependencies, so Sphinx re-reads the page at all.
* **Offline assets.** plotly.js is copied once into ``_static/`` from the installed plotly package
  and MathJax from ``nnbook_mathjax_dir``; no page loads anything from another host.
* **Plotly in kernels.** Kernels started by the build emit plotly figures as JSON
  (``PLOTLY_RENDERER=plotly_mimetype``); :mod:`nnbook.book.sphinxext.plotly_render` draws them.
* **Provenance and the execution report.** Each executed page gets two hidden cells that record,
  in its kernel, the device, precision, torch version, commit and the training runs it used; see
  :mod:`nnbook.book.sphinxext.provenance`.
* **Clean pages.** Repeated inline scripts are dropped (a second ``const THEBE_JS_URL`` is a
  console error), bibliography entries get the ARIA role a list needs, and the theme's light or
  dark mode defaults to the reader's system setting.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from nnbook.book.sphinxext import latex, provenance

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
FINGERPRINT_MARK = "# nnbook dependency fingerprint"

_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def module_file(module: str, roots: dict[str, Path]) -> Path | None:
    """The source file of a dotted module name inside a tracked package, if it exists."""
    top, *rest = module.split(".")
    if top not in roots:
        return None
    base = roots[top].joinpath(*rest)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports_in_source(source: str, current: str | None = None) -> set[str]:
    """Dotted names a piece of Python imports, with ``from a import b`` giving both a and a.b."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        # A cell with IPython magics or a deliberate error: fall back to a line-level scan.
        names = set()
        for line in source.splitlines():
            line = line.strip()
            if line.startswith(("import ", "from ")):
                try:
                    names |= _imports_in_source(line, current)
                except Exception:
                    continue
        return names
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and current:
                parent = current.split(".")[: -node.level] if node.level else []
                base = ".".join(parent + ([base] if base else []))
            if base:
                names.add(base)
                names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def dependency_closure(sources: list[str], packages: list[str]) -> dict[str, Path]:
    """Every module of ``packages`` that ``sources`` import, directly or through other modules."""
    roots = {name: d for name in packages if (d := _package_dir(name)) is not None}
    found: dict[str, Path] = {}
    pending = set().union(*(_imports_in_source(s) for s in sources)) if sources else set()
    while pending:
        name = pending.pop()
        parts = name.split(".")
        # Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c.
        for i in range(1, len(parts) + 1):
            module = ".".join(parts[:i])
            if module in found:
                continue
            path = module_file(module, roots)
            if path is None:
                continue
            found[module] = path
            current = module if path.name != "__init__.py" else module + ".__init__"
            pending |= _imports_in_source(path.read_text(encoding="utf-8"), current) - set(found)
    return dict(sorted(found.items()))


def fingerprint_cell(modules: dict[str, Path]) -> str:
    """A hidden MyST code cell whose source changes whenever one of ``modules`` changes."""
    lines = [f"{FINGERPRINT_MARK}: re-executes this page when a module it uses changes."]
    for name, path in modules.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        lines.append(f"# {name} {digest}")
    body = "\n".join(lines)
    return f"\n\n```{{code-cell}} ipython3\n:tags: [remove-cell]\n\n{body}\n```\n"


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    text = source[0]
    if "```{code-cell}" not in text:
        return
    cells = [m.group(1) for m in _CODE_CELL.finditer(text)]
    tracked = list(app.config.nnbook_tracked_packages)
    page_modules = dependency_closure(cells, tracked)
    # The hidden provenance cells run in the kernel too: the modules they import count as well.
    hidden = [provenance.PROVENANCE_SOURCE]
    if "nnbook.engine.runs" in page_modules:
        hidden.append(provenance.RECORDER_SOURCE)
        first = text.index("```{code-cell}")
        text = text[:first] + provenance.hidden_cell(provenance.RECORDER_SOURCE) + "\n" + text[first:]
    modules = dependency_closure(cells + hidden, tracked)
    # The hidden cells' source lives in provenance.py: a change there must re-read the page.
    for path in [*modules.values(), Path(provenance.__file__)]:
        app.env.note_dependency(str(path))
    if modules:
        text = text.rstrip("\n") + fingerprint_cell(modules)
    source[0] = text.rstrip("\n") + "\n\n" + provenance.hidden_cell(provenance.PROVENANCE_SOURCE)


def _plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ExtensionError(f"plotly.min.js is missing from the installed plotly package ({path}); "
                             "reinstall plotly (`make book` does).")
    return path


def _mathjax_dir(app: Sphinx) -> Path:
    folder = Path(app.confdir, app.config.nnbook_mathjax_dir)
    if not (folder / "tex-chtml.js").is_file():
        raise ExtensionError(
            f"MathJax was not found at {folder} (nnbook_mathjax_dir). The book typesets math with a "
            "local MathJax so that it works offline: run `npm ci` in the book's folder "
            "(`make book` does this)."
        )
    return folder


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    app.config.html_static_path.append(str(STATIC))
    app.add_css_file("nnbook.css")
    app.add_js_file("plotly.min.js")
    app.add_js_file("nnbook.js", defer="defer")
    _plotly_js()
    if app.config.nnbook_mathjax_dir:
        _mathjax_dir(app)


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
            ident = (getattr(asset, "filename", str(asset)) or "",  # None and "" alike: inline
                     tuple(sorted((k, str(v)) for k, v in getattr(asset, "attributes", {}).items())))
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


def setup(app: Sphinx) -> dict:
    app.add_config_value("nnbook_tracked_packages", ["nnbook"], "env")
    app.add_config_value("nnbook_mathjax_dir", "", "html")
    # Every kernel the build starts inherits this: figures leave the kernel as plotly JSON.
    os.environ["PLOTLY_RENDERER"] = "plotly_mimetype"
    app.connect("config-inited", _on_config_inited)
    app.connect("source-read", _on_source_read)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("build-finished", _on_build_finished)
    app.connect("html-page-context", _dedupe_assets, priority=900)
    app.connect("html-page-context", _fix_citation_roles)
    provenance.setup(app)
    latex.setup(app)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
