"""The book's Sphinx extension is laid out like MyST-NB's: its entry point only registers, and
each feature is a module that registers itself."""

from __future__ import annotations

import ast
from pathlib import Path
from unittest.mock import MagicMock

import nnbook.book.sphinxext as extension


def test_the_entry_point_defines_nothing_but_setup():
    tree = ast.parse(Path(extension.__file__).read_text(encoding="utf-8"))
    defined = [node.name for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
    assert defined == ["setup"]


def test_setup_registers_every_feature_module():
    app = MagicMock()
    extension.setup(app)
    registered = {getattr(call.args[1], "__module__", None)
                  for call in app.connect.call_args_list}
    registered |= {call.args[0].__module__ for call in app.add_env_collector.call_args_list}
    registered |= {call.args[0].__module__ for call in app.add_post_transform.call_args_list}
    registered |= {call.args[1].__module__ for call in app.add_directive.call_args_list}
    features = {feature.__name__ for feature in extension.FEATURES}
    assert {"nnbook.book.sphinxext.fingerprints", "nnbook.book.sphinxext.provenance",
            "nnbook.book.sphinxext.execution_report", "nnbook.book.sphinxext.assets",
            "nnbook.book.sphinxext.downloads", "nnbook.book.sphinxext.latex",
            "nnbook.book.sphinxext.book_map"} <= features
    # Every feature but plotly's (an environment variable for the kernels) registers something.
    assert features - {"nnbook.book.sphinxext.plotly_render"} <= registered


def test_every_module_of_the_extension_with_a_setup_is_registered_by_it():
    # One extension: a feature module is set up by the entry point, none is listed on its own in
    # _config.yml, and every myst-nb renderer is an entry point of pyproject.toml.
    import tomllib
    from pathlib import Path

    import yaml

    folder = Path(extension.__file__).parent
    with_setup = {f"nnbook.book.sphinxext.{path.stem}" for path in folder.glob("*.py")
                  if path.stem != "__init__" and "\ndef setup(" in path.read_text()}
    assert with_setup == {feature.__name__ for feature in extension.FEATURES}
    root = folder.parents[3]
    config = yaml.safe_load((root / "_config.yml").read_text())
    listed = config["sphinx"]["extra_extensions"]
    assert [e for e in listed if e.startswith("nnbook")] == ["nnbook.book.sphinxext"]
    renderers = tomllib.loads((root / "pyproject.toml").read_text())["project"]["entry-points"][
        "myst_nb.mime_renderers"]
    assert all(target.startswith("nnbook.book.sphinxext.") for target in renderers.values())
