"""The code a result depends on: the book's modules a piece of Python imports, followed
transitively, and their source in a normalised form.

Both caches of the book key on this. A training run's key holds the normalised source of every
``nnbook`` module in the import closure of its model and its training function
(:mod:`nnbook.engine.runs`); a page's execution fingerprint holds that of every module the page's
cells import (:mod:`nnbook.book.sphinxext.fingerprints`). Normalising through :mod:`ast` drops
comments and formatting, so that editing a comment retrains nothing; a run's key also drops
docstrings, which cannot change a trained model.

Imports inside ``if TYPE_CHECKING:`` blocks are skipped: they never run. Source that does not
parse is an error, never an empty set of imports.

**The code as imported.** A process runs the modules it imported, not the files on disk: a module
edited while a kernel or a build runs has two versions. :func:`record_imports` (called when
``nnbook`` is imported) keeps the source each ``nnbook`` module was executed from, and
``closure(..., as_imported=True)`` and ``code_digest(..., as_imported=True)`` read that source for
every module already imported, the files only for the others. A training run's key is taken that
way (:mod:`nnbook.engine.runs`), so a run is stored under the key of the code that trained it;
:func:`changed_since_import` names the modules whose files differ, for the build log. A page's
fingerprint reads the files: its kernel is a fresh process.

**A module executed twice.** ``importlib.reload`` executes a module again, from its file as it is
now, in the same namespace: the module's names then hold the new code, while a function or class
created before (a model class a notebook kept, a ``partial`` of a factory) still runs the code it
was created from. The recorder keeps every version a module was executed from, with its code
objects, and :func:`defining_sources` tells which version created an object (a function by its
code, a class by its methods'), so that a run is keyed on the code that runs, not on the newest
source imported.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import importlib.util
import inspect
import sys
import types
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE = "nnbook"


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def imported_module(node: ast.ImportFrom, current: str | None, is_package: bool) -> str:
    """The absolute name of the module ``from ... import`` reads in module ``current`` (a
    package's ``__init__`` when ``is_package``): ``from .b import x`` in ``a.c`` reads ``a.b``."""
    base = node.module or ""
    if not node.level:
        return base
    if not current:
        raise ImportError(f"relative import 'from {'.' * node.level}{base} import ...' outside "
                          "a module")
    parts = current.split(".")
    if not is_package:
        parts = parts[:-1]  # a module's package is its parent
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([base] if base else []))


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
        base = imported_module(node, self.current, self.is_package)
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


# --- the source each module was imported from ------------------------------------------------------

_imported: dict[str, tuple[str, str]] = {}  # module -> (its file, the source it was executed from)
# module -> every (source, code) it was executed from, oldest first: the code objects are kept so
# that their identities stay theirs, and tell which execution created a function or a class.
_versions: dict[str, list[tuple[str, types.CodeType]]] = {}


class _RecordingLoader(importlib.machinery.SourceFileLoader):
    """Executes a module from the source it reads, and keeps that source: never a cached bytecode
    file, which may have been compiled from another version of the file."""

    def get_code(self, fullname: str):
        data = self.get_data(self.path)
        text = importlib.util.decode_source(data)
        code = self.source_to_code(data, self.path)
        _imported[fullname] = (self.path, text)
        _versions.setdefault(fullname, []).append((text, code))
        return code


class _RecordingFinder:
    """A meta path finder for the submodules of ``packages``: the usual path finder's spec, loaded
    by :class:`_RecordingLoader`."""

    def __init__(self, packages: frozenset[str]):
        self.packages = packages

    def find_spec(self, fullname: str, path=None, target=None):
        if "." not in fullname or fullname.split(".")[0] not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _RecordingLoader(fullname, spec.origin)
        return spec


def record_imports(package: str = PACKAGE) -> None:
    """Keep the source of every module of ``package`` as it is imported from now on (modules
    imported before, such as the package itself, are read from their files now). Idempotent."""
    if not any(isinstance(f, _RecordingFinder) and package in f.packages for f in sys.meta_path):
        sys.meta_path.insert(0, _RecordingFinder(frozenset({package})))
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == package and name not in _imported:
            origin = getattr(getattr(module, "__spec__", None), "origin", None)
            if origin and origin.endswith(".py") and Path(origin).is_file():
                _imported[name] = (origin, Path(origin).read_text(encoding="utf-8"))


def imported_source(module: str, path: Path | None = None) -> str | None:
    """The source ``module`` was executed from in this process, if it is imported (from ``path``,
    where given) and was recorded (see :func:`record_imports`); None otherwise."""
    entry = _imported.get(module)
    loaded = sys.modules.get(module)
    if entry is None or loaded is None or getattr(loaded, "__file__", None) != entry[0]:
        return None
    if path is not None and Path(entry[0]) != Path(path):
        return None
    return entry[1]


def _nested_code_ids(code: types.CodeType) -> set[int]:
    """The identities of ``code`` and of every code object compiled within it (functions,
    classes' bodies and their methods, lambdas, comprehensions)."""
    ids = {id(code)}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            ids |= _nested_code_ids(const)
    return ids


# id of a module's code (kept alive in _versions, so the id is its own) -> _nested_code_ids. Not
# an lru_cache: code objects compare equal by content, and two executions of one source are
# equal code with other identities.
_version_ids: dict[int, set[int]] = {}


def _member_codes(value: Any) -> list[types.CodeType]:
    """The code objects a class member runs: a function's (through ``functools.wraps``), a
    static or class method's, a property's accessors'."""
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        return [c for f in (value.fget, value.fset, value.fdel) for c in _member_codes(f)]
    value = inspect.unwrap(value) if callable(value) else value
    return [value.__code__] if isinstance(value, types.FunctionType) else []


def _codes_of(obj: Any) -> list[types.CodeType]:
    """What identifies the execution that created ``obj``: a function's code; a class's methods'
    (or, for a class with none, those of the first class of its module it inherits from)."""
    if isinstance(obj, types.FunctionType):
        return _member_codes(obj)
    if inspect.isclass(obj):
        for klass in obj.__mro__:
            if klass.__module__ == obj.__module__:
                codes = [c for value in vars(klass).values() for c in _member_codes(value)]
                if codes:
                    return codes
    return []


def defining_sources(objs: Iterable[Any]) -> dict[str, str]:
    """For each function or class in ``objs`` that an earlier execution of its module created
    than the one the module now holds (it was reloaded since), the module and the source of that
    execution. Objects of the module's latest execution, or whose execution is unknown, add
    nothing: their module's imported source is theirs."""
    found: dict[str, str] = {}
    for obj in objs:
        module = getattr(obj, "__module__", None)
        versions = _versions.get(module or "", [])
        if len(versions) < 2 or module in found:
            continue
        wanted = {id(code) for code in _codes_of(obj)}
        for text, code in reversed(versions):  # the newest first: most objects are of it
            if id(code) not in _version_ids:
                _version_ids[id(code)] = _nested_code_ids(code)
            if wanted & _version_ids[id(code)]:
                if text != versions[-1][0]:
                    found[module] = text
                break
    return found


def source_as_run(module: str, path: Path, as_imported: bool,
                  pinned: Mapping[str, str] | None = None) -> str | None:
    """The source of ``module`` as this process runs it: the one given in ``pinned``, or with
    ``as_imported`` the one it was executed from; None where the file is the source."""
    if pinned and module in pinned:
        return pinned[module]
    return imported_source(module, path) if as_imported else None


def _source(module: str, path: Path, as_imported: bool,
            pinned: Mapping[str, str] | None = None) -> str:
    text = source_as_run(module, path, as_imported, pinned)
    return text if text is not None else path.read_text(encoding="utf-8")


def changed_since_import(modules: Iterable[str]) -> list[str]:
    """Those of ``modules`` whose file's code (comments and layout aside) is no longer the code this
    process imported: edited, or deleted, while it ran."""
    changed = []
    for module in modules:
        text = imported_source(module)
        if text is None:
            continue
        path = Path(_imported[module][0])
        try:
            on_disk = normalised_source(path)
        except (OSError, SyntaxError, UnicodeDecodeError):
            changed.append(module)
            continue
        if _normalised_text(text, True) != on_disk:
            changed.append(module)
    return changed


def closure(names: Iterable[str], packages: Iterable[str] = (PACKAGE,), *,
            as_imported: bool = False, pinned: Mapping[str, str] | None = None,
            ) -> dict[str, Path]:
    """Every module of ``packages`` that importing ``names`` runs, directly or through other
    modules (parents' ``__init__`` included), sorted by name. With ``as_imported``, an imported
    module's imports are read from the source it was executed from; a module in ``pinned``'s are
    read from the source given there (:func:`defining_sources`)."""
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
            pending |= imports_in_source(_source(module, path, as_imported, pinned), module,
                                         is_package=path.name == "__init__.py",
                                         filename=str(path)) - set(found)
    return dict(sorted(found.items()))


def strip_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` with the docstrings of its modules, classes and functions removed (in place)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
    return tree


@lru_cache(maxsize=512)
def _normalised(path: str, mtime_ns: int, size: int, docstrings: bool) -> str:
    return _normalised_text(Path(path).read_text(encoding="utf-8"), docstrings, path)


@lru_cache(maxsize=512)
def _normalised_text(text: str, docstrings: bool, filename: str = "<source>") -> str:
    tree = ast.parse(text, filename=filename)
    if not docstrings:
        tree = strip_docstrings(tree)
    return ast.unparse(tree)


def normalised_source(path: Path, *, docstrings: bool = True) -> str:
    """The module's code as :func:`ast.unparse` writes it: no comments, one layout; without its
    docstrings when ``docstrings`` is false."""
    stat = path.stat()
    return _normalised(str(path), stat.st_mtime_ns, stat.st_size, docstrings)


def module_digests(modules: dict[str, Path], *, docstrings: bool = True,
                   as_imported: bool = False, pinned: Mapping[str, str] | None = None,
                   ) -> dict[str, str]:
    """A short digest of each module's normalised source (with ``as_imported``, of the source an
    imported module was executed from; for a module in ``pinned``, of the source given there)."""
    def normalised(name: str, path: Path) -> str:
        if pinned and name in pinned:
            return _normalised_text(pinned[name], docstrings, str(path))
        text = imported_source(name, path) if as_imported else None
        if text is None:
            return normalised_source(path, docstrings=docstrings)
        return _normalised_text(text, docstrings, str(path))

    return {name: hashlib.sha256(normalised(name, path).encode()).hexdigest()[:16]
            for name, path in modules.items()}


def code_digest(names: Iterable[str], *, docstrings: bool = False,
                as_imported: bool = False, pinned: Mapping[str, str] | None = None) -> str:
    """One digest of the normalised source of the import closure of ``names`` (see
    :func:`closure` for ``as_imported`` and ``pinned``)."""
    digests = module_digests(closure(names, as_imported=as_imported, pinned=pinned),
                             docstrings=docstrings, as_imported=as_imported, pinned=pinned)
    blob = "\n".join(f"{name} {digest}" for name, digest in digests.items())
    return hashlib.sha256(blob.encode()).hexdigest()
