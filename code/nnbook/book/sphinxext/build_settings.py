"""The settings a build runs under, made definite once, when it starts (``config-inited``), before
any page's kernel starts.

A relative ``NNBOOK_CACHE`` or ``NNBOOK_DATA`` names a folder under the directory the build was
started in (where ``make`` ran), as it does for ``make doctor`` and ``python -m nnbook cache``. A
page's kernel runs in the page's folder (``book/``) and would read it from there: a second run
store that the doctor and ``cache prune`` never see. So the build makes them absolute in its own
environment, which every kernel inherits (:func:`nnbook.engine.settings.make_paths_absolute`),
and says so in the build log.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.util import logging

from nnbook.engine import settings

logger = logging.getLogger(__name__)


def on_config_inited(app: Sphinx, config) -> None:
    for name, value in settings.make_paths_absolute().items():
        logger.info(f"{name} is a relative path: the build and its pages' kernels use {value}")


def setup(app: Sphinx) -> None:
    # Before every other handler, so that whatever they start sees the absolute folders.
    app.connect("config-inited", on_config_inited, priority=100)
