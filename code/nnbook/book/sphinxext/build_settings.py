"""The settings a build runs under, made definite once, when it starts (``config-inited``), before
any page's kernel starts.

* **Folders.** A relative ``NNBOOK_CACHE`` or ``NNBOOK_DATA`` names a folder under the directory
  the build was started in (where ``make`` ran), as it does for ``make doctor`` and
  ``python -m nnbook cache``. A page's kernel runs in the page's folder (``book/``) and would
  read it from there: a second run store that the doctor and ``cache prune`` never see. So the
  build makes them absolute in its own environment, which every kernel inherits
  (:func:`nnbook.engine.settings.make_paths_absolute`), and says so in the build log.
* **Values.** The device and every setting with a fixed set of values are checked now, all of them
  (``NNBOOK_PROGRESS`` is otherwise read only when a run trains, pages later, in a kernel). A
  wrong value stops the build with its message alone: jupyter-book turns an exception raised
  here into a RuntimeError of its own, whose traceback and its cause's (about 45 lines) bury the
  message, so the build exits (:class:`SystemExit`) with the message and a non-zero status.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.util import logging

from nnbook.engine import settings

logger = logging.getLogger(__name__)


def problems() -> list[str]:
    """What is wrong with the settings the build would run under, each with its fix: the
    doctor's checks of the device and of the settings, in the doctor's words."""
    from nnbook.book.tools.doctor import check_device, check_settings

    return [check.detail + (f"\nFix: {check.fix}." if check.fix else "")
            for check in (check_device(), check_settings()) if not check.ok]


def stop(found: list[str]) -> None:
    """End the build now, printing ``found`` and nothing else (exit status 1)."""
    raise SystemExit("The book cannot be built with these settings:\n"
                     + "\n".join(f"- {problem}" for problem in found))


def on_config_inited(app: Sphinx, config) -> None:
    for name, value in settings.make_paths_absolute().items():
        logger.info(f"{name} is a relative path: the build and its pages' kernels use {value}")
    found = problems()
    if found:
        stop(found)


def setup(app: Sphinx) -> None:
    # Before every other handler: the fingerprints read the device and the planning mode.
    app.connect("config-inited", on_config_inited, priority=100)
