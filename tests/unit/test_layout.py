"""The three rooms of the package: each imports only from the rooms below it, the concept modules
read no settings, and none of them needs the site's heavy packages."""

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
