"""The definitions a page can reach: the finer grain of a page's execution fingerprint.

A page's kernel runs its cells, and through them only the library definitions the cells name,
and the definitions those name, and so on. A page's fingerprint
(:mod:`nnbook.book.sphinxext.fingerprints`) therefore holds, for each ``nnbook`` module the page
imports (its import closure, :func:`nnbook.engine.sources.closure`), the normalised source
(:func:`ast.unparse`: no comments, one layout) of

- the module's statements that run for their effect when it is imported: expressions, ``if``,
  ``try``, ``for`` and ``with`` blocks, assignments to anything but a plain name, to a dunder name
  (``__all__``) or of a value that calls something (but ``int``, ``len``, ``min`` and other
  builtins that only compute), dunder functions (a module ``__getattr__``),
  definitions under a decorator that may register them, star imports;
- the top-level definitions reached from the page's cells: functions and classes whole
  (decorators, default values, every method), assignments and annotated assignments, and the
  import statements that bind a reached name. Every name a reached statement uses is followed:
  to the statements of the same module that bind it, and through ``from nnbook.x import f`` to
  ``f`` in ``nnbook.x``; ``m.f`` where ``m`` is an ``nnbook`` module follows ``f`` alone;
- whether each name that an import run by the page takes from the module is there (an import of
  a name that is gone fails, even where the name is never used).

So adding a function no page uses changes no page's fingerprint, and changing a function
re-executes exactly the pages that can call it. Where the text cannot say what is used, the whole
module counts (each of its names followed): a module used other than as ``m.name`` (passed on,
``getattr(m, ...)``, ``dir(m)``), ``import nnbook.x`` without ``as``, a star import, and a module
that looks names up itself (``globals()``, ``vars()``, ``eval``, ``exec``, ``__import__``,
``import_module``, ``sys.modules``). Missing a dependency would serve a stale page, which is worse
than re-executing one, so names are followed wherever they appear in a statement (a local
variable that shares a module-level name pulls that definition in).

What this cannot see: a name used only inside a string (an annotation written as a string, which
only ``typing.get_type_hints`` would read), and a class that registers its subclasses through
``__init_subclass__`` (the book has none). Training run keys stay on whole modules
(:mod:`nnbook.engine.runs`): a run's key must stay conservative.
"""

from __future__ import annotations

import ast
import copy
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nnbook.engine import sources
from nnbook.engine.sources import (closure, imported_module, module_file, source_as_run,
                                   strip_docstrings)

# Decorators that return the function or a wrapper and register nothing.
PURE_DECORATORS = {"dataclass", "property", "staticmethod", "classmethod", "no_grad",
                   "inference_mode", "enable_grad", "contextmanager", "lru_cache", "cache",
                   "cached_property", "wraps", "total_ordering", "overload", "abstractmethod"}
# Builtins that compute a value and touch nothing: a constant computed with them runs for no effect.
PURE_CALLS = {"int", "float", "str", "bool", "dict", "list", "tuple", "set", "frozenset", "range",
              "len", "min", "max", "abs", "round", "sum", "sorted"}
DYNAMIC_CALLS = {"globals", "vars", "eval", "exec", "__import__", "import_module"}

# An import target: ("from", module, name) for ``from module import name``, ("as", module) for
# ``import module as m``, ("import", module) for ``import module``, which binds its top package.
Target = tuple


@dataclass
class Statement:
    text: str  # normalised source
    uses: dict[str, set[str] | None]  # name -> the attributes taken of it; None: used bare
    bindings: dict[str, list[Target]]  # names its module-scope imports bind, with their targets
    nested: list[tuple[Target, str]]  # imports inside functions and classes, with their name


@dataclass
class Module:
    name: str
    statements: list[Statement]
    defines: dict[str, list[int]] = field(default_factory=dict)  # name -> statements binding it
    always: list[int] = field(default_factory=list)  # statements that run for their effect
    dynamic: bool = False  # looks names up itself: the whole module counts


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _uses(node: ast.AST) -> dict[str, set[str] | None]:
    """Every name ``node`` uses (loads, stores, ``global`` declarations), with the attributes
    taken of it; None where it is also used bare."""
    uses: dict[str, set[str] | None] = {}
    inner: set[int] = set()  # Name nodes seen as the value of an attribute
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
            inner.add(id(child.value))
            found = uses.setdefault(child.value.id, set())
            if found is not None:
                found.add(child.attr)
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and id(child) not in inner:
            uses[child.id] = None
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            for name in child.names:
                uses[name] = None
    return uses


def _imports(node: ast.AST, current: str, is_package: bool, module_scope: bool,
             ) -> list[tuple[str, Target]]:
    """The imports in ``node`` as (bound name, target): those at module scope (``module_scope``)
    or those inside functions and classes."""
    found = []

    def visit(child: ast.AST, in_scope: bool) -> None:
        if isinstance(child, ast.Import) and in_scope == module_scope:
            for alias in child.names:
                if alias.asname:
                    found.append((alias.asname, ("as", alias.name)))
                else:
                    found.append((alias.name.split(".")[0], ("import", alias.name)))
        elif isinstance(child, ast.ImportFrom) and in_scope == module_scope:
            base = imported_module(child, current, is_package)
            for alias in child.names:
                found.append((alias.asname or alias.name, ("from", base, alias.name)))
        scope = in_scope and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                    ast.ClassDef, ast.Lambda))
        for grandchild in ast.iter_child_nodes(child):
            visit(grandchild, scope)

    visit(node, True)
    return found


def _is_dynamic(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in DYNAMIC_CALLS - {"vars"}:
                return True
            if isinstance(func, ast.Name) and func.id == "vars" and not node.args:
                return True
            if isinstance(func, ast.Attribute) and func.attr == "import_module":
                return True
        if (isinstance(node, ast.Attribute) and node.attr == "modules"
                and isinstance(node.value, ast.Name) and node.value.id == "sys"):
            return True
    return False


def _runs_for_effect(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (_is_dunder(node.name)
                or any(_decorator_name(d) not in PURE_DECORATORS for d in node.decorator_list))
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any(alias.name == "*" for alias in node.names)
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not all(isinstance(t, ast.Name) and not _is_dunder(t.id) for t in targets):
            return True
        return node.value is not None and any(
            isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name)
                                             and n.func.id in PURE_CALLS)
            for n in ast.walk(node.value))
    return True  # expressions, if/try/for/while/with blocks, del, assert, ...


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)  # defined inside an if or try block
    return names


def analyse(tree: ast.Module, name: str, is_package: bool = False, *,
            effects_only: bool = False, docstrings: bool = True) -> Module:
    """The statements of a module's source tree with what they bind and use. With
    ``effects_only`` (a page's cells) every statement runs for its effect; without
    ``docstrings``, a statement's text leaves its functions' and classes' docstrings out (what a
    run's key holds: a docstring cannot change a trained model)."""
    module = Module(name, [], dynamic=_is_dynamic(tree))
    for i, node in enumerate(tree.body):
        scoped = _imports(node, name, is_package, module_scope=True)
        bindings: dict[str, list[Target]] = {}
        for bound, target in scoped:
            bindings.setdefault(bound, []).append(target)
        nested = [(target, bound) for bound, target in
                  _imports(node, name, is_package, module_scope=False)]
        docstring = (i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                     and isinstance(node.value.value, str))
        if docstrings:
            text = ast.unparse(node)
        else:  # the module's docstring is "", its functions' and classes' are dropped
            text = "" if docstring else ast.unparse(strip_docstrings(copy.deepcopy(node)))
        module.statements.append(Statement(text, _uses(node), bindings, nested))
        for bound in (_bound_names(node) | set(bindings) | ({"__doc__"} if docstring else set())):
            module.defines.setdefault(bound, []).append(i)
        if effects_only or (_runs_for_effect(node) and not docstring):
            module.always.append(i)
    return module


@lru_cache(maxsize=512)
def _analysed(module: str, path: str, mtime_ns: int, size: int, docstrings: bool) -> Module:
    return _analysed_text(module, Path(path).read_text(encoding="utf-8"), path, docstrings)


@lru_cache(maxsize=512)
def _analysed_text(module: str, text: str, path: str, docstrings: bool) -> Module:
    return analyse(ast.parse(text, filename=path), module, Path(path).name == "__init__.py",
                   docstrings=docstrings)


class Reach:
    """The statements reached from a page's cells (or a run's code), module by module. With
    ``as_imported``, a module this process imported is read from the source it was executed
    from, and a module in ``pinned`` from the source given there
    (:func:`nnbook.engine.sources.defining_sources`): what a run in this process actually runs."""

    def __init__(self, packages: Iterable[str], *, as_imported: bool = False,
                 pinned: Mapping[str, str] | None = None, docstrings: bool = True):
        self.roots = {name: d for name in packages
                      if (d := sources.package_dir(name)) is not None}
        self.as_imported, self.pinned, self.docstrings = as_imported, pinned, docstrings
        self.modules: dict[str, Module | None] = {}
        self.reached: dict[str, set[int]] = {}
        self.seen: set[tuple] = set()
        self.required: dict[str, set[str]] = {}  # module -> names its importers take from it

    def require(self, module: Module) -> None:
        """Note the names ``module``'s own imports take from other modules: an import of a name
        that is not there fails, so whether it is there counts, even where it is never used."""
        for statement in module.statements:
            for targets in statement.bindings.values():
                for target in targets:
                    if target[0] == "from" and target[2] != "*":
                        self.required.setdefault(target[1], set()).add(target[2])

    def module(self, name: str) -> Module | None:
        if name not in self.modules:
            path = module_file(name, self.roots)
            if path is None:
                self.modules[name] = None
            else:
                text = (source_as_run(name, path, self.as_imported, self.pinned)
                        if self.as_imported or self.pinned else None)
                if text is None:
                    stat = path.stat()
                    self.modules[name] = _analysed(name, str(path), stat.st_mtime_ns,
                                                   stat.st_size, self.docstrings)
                else:
                    self.modules[name] = _analysed_text(name, text, str(path), self.docstrings)
                self.load(name)
        return self.modules[name]

    def load(self, name: str) -> None:
        """What importing ``name`` runs: its statements run for effect (its parents' too, through
        :meth:`module`); a module that looks names up itself counts whole."""
        module = self.modules[name]
        parent = name.rpartition(".")[0]
        if parent:
            self.module(parent)
        self.reached.setdefault(name, set())
        self.require(module)
        if module.dynamic:
            self.whole(name)
        for i in module.always:
            self.statement(module, i)

    def whole(self, name: str) -> None:
        module = self.module(name)
        if module is None or ("whole", name) in self.seen:
            return
        self.seen.add(("whole", name))
        for bound in list(module.defines):
            self.name(module, bound, None)

    def statement(self, module: Module, i: int) -> None:
        if i in self.reached.setdefault(module.name, set()):
            return
        self.reached[module.name].add(i)
        statement = module.statements[i]
        for used, attributes in statement.uses.items():
            self.name(module, used, attributes)
        for target, bound in statement.nested:
            self.target(target, statement.uses.get(bound))
        for target in statement.bindings.get("*", ()):  # any of its names may be used
            self.whole(target[1])

    def name(self, module: Module, name: str, attributes: set[str] | None) -> None:
        """Reach what ``name`` is bound to in ``module``; of a module, the ``attributes`` taken
        (all of it where None)."""
        key = (module.name, name, None if attributes is None else frozenset(attributes))
        if key in self.seen:
            return
        self.seen.add(key)
        for i in module.defines.get(name, ()):
            self.statement(module, i)
            for target in module.statements[i].bindings.get(name, ()):
                self.target(target, attributes)

    def target(self, target: Target, attributes: set[str] | None) -> None:
        if target[0] == "import":  # import a.b.c binds a: a, a.b and a.b.c count whole
            parts = target[1].split(".")
            for k in range(1, len(parts) + 1):
                self.whole(".".join(parts[:k]))
        elif target[0] == "as":
            self.attributes(target[1], attributes)
        else:
            _, base, name = target
            if name == "*":
                self.whole(base)
                return
            module = self.module(base)
            if module is not None:
                self.name(module, name, attributes)
            if module_file(f"{base}.{name}", self.roots) is not None:
                self.attributes(f"{base}.{name}", attributes)

    def attributes(self, name: str, attributes: set[str] | None) -> None:
        """Reach ``name.a`` for each attribute ``a`` taken of module ``name`` (all of it where
        None)."""
        module = self.module(name)
        if module is None:
            return
        if attributes is None:
            self.whole(name)
            return
        for attribute in attributes:
            self.name(module, attribute, None)
            if module_file(f"{name}.{attribute}", self.roots) is not None:
                self.whole(f"{name}.{attribute}")

    def digests(self, modules: Iterable[str]) -> dict[str, str]:
        """A short digest per module of the statements reached in it, in source order."""
        for name in modules:
            self.module(name)  # loading one may reach statements in another: all first
        digests = {}
        for name in sorted(m for m, module in self.modules.items()
                           if module is not None and not m.startswith("<")):
            module = self.modules[name]
            lines = [module.statements[i].text for i in sorted(self.reached[name])]
            for imported in sorted(self.required.get(name, ())):
                there = (imported in module.defines
                         or module_file(f"{name}.{imported}", self.roots) is not None)
                lines.append(f"# {'has' if there else 'lacks'} {imported}")
            text = "\n".join(lines)
            digests[name] = hashlib.sha256(text.encode()).hexdigest()[:16]
        return digests


def _reach(sources: Iterable[str], packages: list[str], *, as_imported: bool,
           pinned: Mapping[str, str] | None, docstrings: bool) -> tuple[Reach, dict]:
    """What ``sources`` reach, and the import closure of ``packages``' modules they import."""
    trees = [ast.parse(source) for source in sources]
    page = analyse(ast.Module(body=[node for tree in trees for node in tree.body],
                              type_ignores=[]), "<page>", effects_only=True)
    reach = Reach(packages, as_imported=as_imported, pinned=pinned, docstrings=docstrings)
    reach.modules[page.name] = page
    reach.require(page)
    for i in page.always:
        reach.statement(page, i)
    imported = {target[1] for statement in page.statements
                for targets in statement.bindings.values() for target in targets}
    imported |= {f"{t[1]}.{t[2]}" for s in page.statements for ts in s.bindings.values()
                 for t in ts if t[0] == "from"}
    return reach, closure(imported, packages, as_imported=as_imported, pinned=pinned)


def reached_digests(sources: Iterable[str], packages: Iterable[str] = ("nnbook",), *,
                    as_imported: bool = False, pinned: Mapping[str, str] | None = None,
                    docstrings: bool = True) -> dict[str, str]:
    """For the Python ``sources`` a page runs (its cells, in order), a digest per module of its
    import closure in ``packages`` of the statements the page can reach there (see the module's
    docstring; :class:`Reach` for ``as_imported`` and ``pinned``, :func:`analyse` for
    ``docstrings``). Raises :class:`SyntaxError` for a source that does not parse."""
    reach, modules = _reach(sources, list(packages), as_imported=as_imported, pinned=pinned,
                            docstrings=docstrings)
    return reach.digests(modules)


def reached_names(sources: Iterable[str], packages: Iterable[str] = ("nnbook",)
                  ) -> dict[str, list[str]]:
    """For each module of the closure that ``sources`` reach into, the names its reached
    statements define, in source order (what a reader calls the definitions reached: imports and
    private names left out); a module whose import runs only imports shows none."""
    reach, modules = _reach(sources, list(packages), as_imported=True, pinned=None,
                            docstrings=True)
    reach.digests(modules)  # loads every module of the closure, as a digest does
    names: dict[str, list[str]] = {}
    for module_name in sorted(modules):
        module = reach.modules.get(module_name)
        if module is None:
            continue
        bound = {i: name for name, statements in module.defines.items() for i in statements
                 if not name.startswith("_")
                 and name not in module.statements[i].bindings}  # no import, no docstring
        names[module_name] = [bound[i] for i in sorted(reach.reached.get(module_name, ()))
                              if i in bound]
    return names
