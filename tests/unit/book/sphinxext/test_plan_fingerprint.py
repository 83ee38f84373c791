"""The planning mode (NNBOOK_PLAN) is part of the fingerprint of every page that trains, as the
device is: a build with NNBOOK_PLAN=fixed re-executes the pages that train,
and only those."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sphinx.errors import ExtensionError

from nnbook.book.sphinxext.fingerprints import FINGERPRINT_MARK, build_plan_mode, on_source_read
from test_fingerprints import FRONT_MATTER  # the pages' front matter, as there

TRAINS = FRONT_MATTER + "\n# Trains\n\n```{code-cell} ipython3\nfrom nnbook.models import FashionCNN\n```\n"
DRAWS = FRONT_MATTER + "\n# Draws\n\n```{code-cell} ipython3\nfrom nnbook.plotting import style\n```\n"


def fingerprint(text: str, plan_mode: str, tmp_path) -> str:
    """The fingerprint cell the build appends to ``text`` under ``plan_mode``."""
    env = SimpleNamespace(doc2path=lambda name: str(tmp_path / f"{name}.md"), myst_config=None,
                          note_dependency=lambda path: None)
    config = SimpleNamespace(nnbook_tracked_packages=["nnbook"], nnbook_device_type="cpu",
                             nnbook_plan_mode=plan_mode, nnbook_torch_version="2.14.1",
                             nnbook_data={})
    app = SimpleNamespace(env=env, config=config, srcdir=str(tmp_path))
    source = [text]
    on_source_read(app, "page", source)
    cell = source[0][source[0].index(FINGERPRINT_MARK):]
    return cell[:cell.index("```")]


def test_a_page_that_trains_re_executes_under_another_plan_mode(tmp_path):
    auto, fixed = (fingerprint(TRAINS, mode, tmp_path) for mode in ("auto", "fixed"))
    assert auto != fixed
    assert "# plan fixed" in fixed and "# plan auto" in auto


def test_a_page_that_only_draws_does_not(tmp_path):
    assert fingerprint(DRAWS, "auto", tmp_path) == fingerprint(DRAWS, "fixed", tmp_path)
    assert "# plan" not in fingerprint(DRAWS, "auto", tmp_path)


def test_the_build_reads_the_plan_mode_and_refuses_a_wrong_one(monkeypatch):
    monkeypatch.setenv("NNBOOK_PLAN", "fixed")
    assert build_plan_mode() == "fixed"
    monkeypatch.setenv("NNBOOK_PLAN", "sometimes")
    with pytest.raises(ExtensionError, match="NNBOOK_PLAN.*auto, fixed, measure"):
        build_plan_mode()
