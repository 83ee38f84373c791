"""The import closure of the book's modules and their normalised source (nnbook.engine.sources),
on a small package written for each test (the ``tinylib`` fixture of tests/conftest.py)."""

from __future__ import annotations

import pytest

from nnbook.engine.sources import closure, imports_in_source, module_digests


def test_closure_follows_imports_transitively(tinylib):
    names = imports_in_source("from tinylib.alpha import MESSAGE\nimport numpy")
    assert list(closure(names, ["tinylib"])) == ["tinylib", "tinylib.alpha", "tinylib.beta"]


def test_closure_handles_relative_imports_and_from_package_import(tinylib):
    assert "tinylib.beta" in closure(["tinylib.gamma"], ["tinylib"])
    assert "tinylib.gamma" in closure(imports_in_source("from tinylib import gamma"), ["tinylib"])
    assert closure(imports_in_source("import os"), ["tinylib"]) == {}


def test_imports_under_type_checking_are_not_followed(tinylib):
    found = closure(["tinylib.typed"], ["tinylib"])
    assert "tinylib.delta" not in found  # never imported when the code runs
    assert "tinylib.epsilon" in found  # the else branch does run


def test_a_parenthesised_import_over_several_lines_is_read_whole():
    source = "from nnbook.engine.fit import (TrainConfig,\n    fit)\nimport nnbook.gan"
    assert imports_in_source(source) == {"nnbook.engine.fit", "nnbook.engine.fit.TrainConfig",
                                         "nnbook.engine.fit.fit", "nnbook.gan"}


def test_source_that_does_not_parse_is_an_error_not_an_empty_set():
    # The former line scan recursed on this about 500 times and returned set().
    with pytest.raises(SyntaxError):
        imports_in_source("from x import (a,")


def test_a_comment_edit_keeps_the_digest_and_a_code_edit_changes_it(tinylib):
    modules = closure(["tinylib.alpha"], ["tinylib"])
    first = module_digests(modules, docstrings=True)
    first_code = module_digests(modules, docstrings=False)
    beta = tinylib / "beta.py"
    beta.write_text("# the message the pages print\nMESSAGE  =  'first'  # for now\n")
    assert module_digests(modules, docstrings=True) == first
    # A docstring shows in a page (help(), literalinclude) but cannot change a trained run.
    beta.write_text('"""What the pages print."""\nMESSAGE = \'first\'\n')
    assert module_digests(modules, docstrings=True)["tinylib.beta"] != first["tinylib.beta"]
    assert module_digests(modules, docstrings=False) == first_code
    beta.write_text("MESSAGE = 'second'\n")
    changed = module_digests(modules, docstrings=True)
    assert changed["tinylib.beta"] != first["tinylib.beta"]
    assert changed["tinylib.alpha"] == first["tinylib.alpha"]
