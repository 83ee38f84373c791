"""The code a result depends on: the book's modules a piece of Python imports, followed
transitively, and their source in a normalised form.

Both caches of the book key on this. A training run's key holds the normalised source of every
``nnbook`` module in the import closure of its model and its training function
(:mod:`nnbook.engine.runs`); a page's execution fingerprint holds that of every module the page's
cells import (:mod:`nnbook.book.sphinxext`). Normalising through :mod:`ast` drops comments and
formatting, so that editing a comment retrains nothing; a run's key also drops docstrings, which
cannot change a trained model.

Imports inside ``if TYPE_CHECKING:`` blocks are skipped: they never run. Source that does not
parse is an error, never an empty set of imports.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

PACKAGE = "nnbook"


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, current: str | None, is_package: bool):
        self.current, self.is_package = current, is_package
        self.names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # the else branch does run
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names |= {alias.name for alias in node.names}

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            if not self.current:
                raise ImportError(f"relative import 'from {'.' * node.level}{base} import ...' "
                                  "outside a module")
            parts = self.current.split(".")
            if not self.is_package:
                parts = parts[:-1]  # a module's package is its parent
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([base] if base else []))
        if base:
            self.names.add(base)
            self.names |= {f"{base}.{alias.name}" for alias in node.names if alias.name != "*"}


def imports_in_source(source: str, current: str | None = None, *, is_package: bool = False,
                      filename: str = "<source>") -> set[str]:
    """Dotted names that ``source`` imports when it runs; ``from a import b`` gives both ``a`` and
    ``a.b`` (``b`` may be a module). Raises :class:`SyntaxError` when ``source`` does not parse."""
    tree = ast.parse(source, filename=filename)
    collector = _ImportCollector(current, is_package)
    collector.visit(tree)
    return collector.names


def package_dir(name: str = PACKAGE) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def module_file(module: str, roots: dict[str, Path]) -> Path | None:
    """The source file of a dotted module name inside one of ``roots``' packages, if it exists."""
    top, *rest = module.split(".")
    if top not in roots:
        return None
    base = roots[top].joinpath(*rest)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def closure(names: Iterable[str], packages: Iterable[str] = (PACKAGE,)) -> dict[str, Path]:
    """Every module of ``packages`` that importing ``names`` runs, directly or through other
    modules (parents' ``__init__`` included), sorted by name."""
    roots = {name: d for name in packages if (d := package_dir(name)) is not None}
    found: dict[str, Path] = {}
    pending = set(names)
    while pending:
        parts = pending.pop().split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
            module = ".".join(parts[:i])
            if module in found:
                continue
            path = module_file(module, roots)
            if path is None:
                continue
            found[module] = path
            pending |= imports_in_source(path.read_text(encoding="utf-8"), module,
                                         is_package=path.name == "__init__.py",
                                         filename=str(path)) - set(found)
    return dict(sorted(found.items()))


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
    return tree


@lru_cache(maxsize=512)
def _normalised(path: str, mtime_ns: int, size: int, docstrings: bool) -> str:
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)
    if not docstrings:
        tree = _strip_docstrings(tree)
    return ast.unparse(tree)


def normalised_source(path: Path, *, docstrings: bool = True) -> str:
    """The module's code as :func:`ast.unparse` writes it: no comments, one layout; without its
    docstrings when ``docstrings`` is false."""
    stat = path.stat()
    return _normalised(str(path), stat.st_mtime_ns, stat.st_size, docstrings)


def module_digests(modules: dict[str, Path], *, docstrings: bool = True) -> dict[str, str]:
    """A short digest of each module's normalised source."""
    return {name: hashlib.sha256(normalised_source(path, docstrings=docstrings).encode())
            .hexdigest()[:16] for name, path in modules.items()}


def code_digest(names: Iterable[str], *, docstrings: bool = False) -> str:
    """One digest of the normalised source of the import closure of ``names``."""
    digests = module_digests(closure(names), docstrings=docstrings)
    blob = "\n".join(f"{name} {digest}" for name, digest in digests.items())
    return hashlib.sha256(blob.encode()).hexdigest()
