"""The three rooms of the package: each imports only from the rooms below it, the concept modules
read no settings, and none of them needs the site's heavy packages."""

import ast
import subprocess
import sys

import pytest

from nnbook.engine import sources

ROOT = sources.package_dir()
CONCEPTS = sorted(p.stem for p in ROOT.glob("*.py") if p.stem not in ("__init__", "__main__"))
ENGINE = sorted(p.stem for p in (ROOT / "engine").glob("*.py") if p.stem != "__init__")


def room(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("engine", "book"):
        return parts[1]
    return "concepts"


def imports_of(path) -> set[str]:
    module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
    return {name for name in sources.imports_in_source(path.read_text(), module,
                                                       is_package=path.name == "__init__.py")
            if name.split(".")[0] == "nnbook"}


def test_the_rooms_exist():
    assert {"settings", "device", "data", "fit", "runs"} <= set(ENGINE)
    assert (ROOT / "book" / "sphinxext" / "__init__.py").is_file()
    assert {"toy_data", "linear", "backprop", "models", "autoencoders", "gan"} <= set(CONCEPTS)


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_room_imports_only_from_the_rooms_below(path):
    here = room(".".join(path.relative_to(ROOT.parent).with_suffix("").parts))
    if path.name == "__main__.py":
        return  # the command line dispatches to every room
    allowed = {"engine": {"engine"}, "concepts": {"concepts", "engine"},
               "book": {"book", "engine", "concepts"}}[here]
    wrong = sorted(name for name in imports_of(path)
                   if name != "nnbook" and room(name) not in allowed)
    assert not wrong, f"{path.name} ({here}) imports {wrong}"


@pytest.mark.parametrize("name", CONCEPTS)
def test_concept_modules_read_no_settings(name):
    text = (ROOT / f"{name}.py").read_text()
    assert "os.environ" not in text and "getenv" not in text and "engine.settings" not in text


def test_concept_modules_import_without_the_sites_packages():
    # A reader who installed nnbook without the book's extras can import every concept module.
    blocked = ["sphinx", "docutils", "nbformat", "myst_nb", "myst_parser", "jupyter_book"]
    script = (f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
              + "".join(f"import nnbook.{name}\n" for name in CONCEPTS)
              + "import nnbook.engine.runs, nnbook.engine.data\nprint('ok')")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_what_the_pages_kernels_import_needs_no_sphinx():
    # nnbook.book.kernel runs in every page's kernel and in a reader's notebook: the site
    # build's packages are not needed there.
    kernel = sorted(p.stem for p in (ROOT / "book" / "kernel").glob("*.py") if p.stem != "__init__")
    assert {"glue", "claims", "quiz", "widgets"} <= set(kernel)
    blocked = ["sphinx", "docutils", "nbformat", "myst_parser", "jupyter_book"]
    script = (f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
              + "".join(f"import nnbook.book.kernel.{name}\n" for name in kernel) + "print('ok')")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_pages_import_only_the_kernels_room_of_the_site_build():
    # A page's cells run in its kernel: of nnbook.book they may import nnbook.book.kernel only.
    from nnbook.book.page_source import page_cells

    pages = sorted((ROOT.parents[1] / "book").glob("*.md"))
    assert len(pages) >= 15
    wrong = []
    for page in pages:
        for cell in page_cells(page.read_text(), page):
            if cell.kind != "code" or cell.source.lstrip().startswith(("%", "!")):
                continue
            wrong += [f"{page.name}: {name}" for name in sources.imports_in_source(
                cell.source, "__page__") if name.startswith("nnbook.book")
                and not name.startswith("nnbook.book.kernel")]
    assert not wrong, wrong


# --- figures live apart from the code a stored run is keyed on ---------------------------------

FIGURE_LIBRARIES = ("plotly", "matplotlib", "graphviz", "torchviz")
# The drawing toolkit every chapter's figures share; every other drawing module is a *_figures.
DRAWING_TOOLKIT = {"plotting", "diagrams", "surfaces", "images"}
# The engine's entry points that train or store: a module importing one of them runs training.
TRAINING_NAMES = {"fit", "prepare", "train_step", "train_epoch", "train_cached", "RunStore",
                  "code_parts", "run_key"}


def concept_imports(name: str) -> set[str]:
    path = ROOT / f"{name}.py"
    return sources.imports_in_source(path.read_text(), f"nnbook.{name}")


def is_figure_module(module: str) -> bool:
    """A module that draws: it imports a plotting library, or is named ``*_figures``."""
    name = module.removeprefix("nnbook.")
    if name not in CONCEPTS:
        return False
    return name.endswith("_figures") or any(
        imported.split(".")[0] in FIGURE_LIBRARIES for imported in concept_imports(name))


def defines_model(name: str) -> bool:
    """Whether the module defines a ``torch.nn.Module`` subclass or builds a network (``nn.Sequential``)."""
    tree = ast.parse((ROOT / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base).split(".")[-1] in ("Module", "Sequential") for base in node.bases):
            return True
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("nn.Sequential"):
            return True
    return False


def trains(name: str) -> bool:
    """Whether the module calls the engine's training or its run store."""
    return any(len(parts) == 4 and parts[:2] == ["nnbook", "engine"] and parts[3] in TRAINING_NAMES
               for parts in (imported.split(".") for imported in concept_imports(name)))


@pytest.mark.parametrize("name", CONCEPTS)
def test_models_and_training_import_no_figure_module(name):
    # A stored run's key hashes the import closure of its model's module: a figure there would
    # retrain every run of that model when a margin changes (README, Layout).
    if not (defines_model(name) or trains(name)):
        return
    drawing = sorted(m for m in sources.closure([f"nnbook.{name}"]) if is_figure_module(m))
    assert not drawing, f"{name} defines a model or trains, and its imports reach {drawing}"


def test_the_figure_rule_sees_what_it_must():
    # The rule's own parts against modules known to be on either side.
    assert is_figure_module("nnbook.plotting") and is_figure_module("nnbook.gan_figures")
    assert not is_figure_module("nnbook.networks") and not is_figure_module("nnbook.engine.fit")
    assert defines_model("gan") and defines_model("models") and defines_model("networks")
    assert trains("xor") and trains("models") and not trains("gan_figures")


@pytest.mark.parametrize("name", CONCEPTS)
def test_a_module_that_draws_is_named_for_its_figures(name):
    # A concept's drawing sits in its own *_figures module, so its computations can be imported,
    # tested and keyed without plotly; only the shared toolkit draws under another name.
    draws = sorted(m for m in concept_imports(name) if m.split(".")[0] in FIGURE_LIBRARIES)
    if name.endswith("_figures") or name in DRAWING_TOOLKIT:
        return
    assert not draws, f"{name} imports {draws}: move its figures into {name}_figures.py"


def test_the_drawing_toolkit_is_what_it_says():
    assert DRAWING_TOOLKIT <= set(CONCEPTS)
    assert all(is_figure_module(f"nnbook.{name}") for name in DRAWING_TOOLKIT)


@pytest.mark.parametrize("name", CONCEPTS)
def test_only_a_figure_module_imports_a_figure_module(name):
    # A concept imports no drawing: the figures of a concept sit in its *_figures module, which
    # imports the concept, never the other way round.
    if is_figure_module(f"nnbook.{name}"):
        return
    drawing = sorted(m for m in concept_imports(name)
                     if m.startswith("nnbook.") and is_figure_module(m))
    assert not drawing, f"{name} is not a figure module but imports {drawing}"


# --- the engine holds no chapter content ----------------------------------------------------------


@pytest.mark.parametrize("name", ENGINE)
def test_the_engine_holds_no_chapter_content(name):
    # What trains and stores serves every chapter: it imports no concept module (the rooms'
    # test), defines no model, and speaks of no lecture: a chapter's study (the training loop's
    # speed ladder, the lecture's loop) is a concept module that calls the engine.
    text = (ROOT / "engine" / f"{name}.py").read_text()
    tree = ast.parse(text)
    models = [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
              and any(ast.unparse(base).split(".")[-1] == "Module" for base in node.bases)]
    assert not models, f"engine.{name} defines the models {models}"
    assert "lecture" not in text.lower(), f"engine.{name} speaks of the lectures"


# --- the tests' own fixtures ------------------------------------------------------------------------

TESTS = ROOT.parents[1] / "tests"


def fixtures_in(path) -> set[str]:
    """The names of the pytest fixtures that a test file or conftest defines."""
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            and any("fixture" in ast.unparse(d) for d in node.decorator_list)}


@pytest.mark.parametrize("path", sorted(TESTS.rglob("test_*.py")), ids=lambda p: p.name)
def test_no_test_file_shadows_a_shared_fixture(path):
    # A fixture of the same name in a test file silently replaces the conftest's for that file.
    shared = set().union(*(fixtures_in(c) for c in TESTS.rglob("conftest.py")
                           if c.parent in path.parents))
    shadowed = sorted(fixtures_in(path) & shared)
    assert not shadowed, f"{path.name} redefines the shared fixtures {shadowed}"


def test_the_test_files_have_unique_names():
    names = [p.name for p in TESTS.rglob("test_*.py")]
    assert len(names) == len(set(names))


def test_the_unit_tests_sit_where_their_module_sits():
    # tests/unit mirrors the package: the tests of nnbook.engine.plan are in tests/unit/engine/,
    # those of nnbook.book.tools.slides in tests/unit/book/tools/, a concept's at the top.
    modules = {}
    for path in ROOT.rglob("*.py"):
        if path.stem not in ("__init__", "__main__"):
            modules.setdefault(path.stem, []).append(path.parent.relative_to(ROOT))
    unit = TESTS / "unit"
    misplaced = sorted(f"{test.relative_to(unit)} (its module is in {modules[name]})"
                       for test in unit.rglob("test_*.py")
                       if (name := test.stem.removeprefix("test_")) in modules
                       and test.parent.relative_to(unit) not in modules[name])
    assert not misplaced, misplaced
    folders = {test.parent.relative_to(unit) for test in unit.rglob("test_*.py")}
    packages = {path.parent.relative_to(ROOT) for path in ROOT.rglob("__init__.py")}
    assert folders <= packages, folders - packages
