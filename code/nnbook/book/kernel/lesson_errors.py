"""Errors a page raises on purpose, shown as the lesson: the reader's line and the message.

A cell tagged ``raises-exception`` shows an error the reader will meet (shapes that do not fit,
float64 data in a float32 layer). IPython's traceback of it runs through torch's internals and
names files of the machine that built the page. :func:`show_lesson_errors`, called once in a
page's hidden setup cell, has IPython show such an error in two parts::

    Cell In[5], line 9: slides_net(torch.zeros(1, 3))
    RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x4 and 3x5)

Only a cell that is allowed to raise is trimmed. nbclient, which executes the pages, asks the
kernel not to stop at an error (``stop_on_error`` false) exactly for a cell tagged
``raises-exception``; every other error keeps IPython's full traceback, so an unexpected failure
still stops the strict build with everything needed to find it. The error itself is reported as
before (status ``error``, its type and message), so the tagged cell still counts as raising.
"""

from __future__ import annotations

import linecache
import traceback
from types import TracebackType
from typing import Any


def lesson_traceback(shell: Any, etype: type[BaseException], value: BaseException,
                     tb: TracebackType | None) -> list[str]:
    """The error in two parts: the line of the reader's cell that raised it (the innermost
    frame that is a cell of ``shell``, not a library's file), then its type and message."""
    lines = []
    cell_frames = [(frame.f_code.co_filename, lineno) for frame, lineno in traceback.walk_tb(tb)
                   if shell.compile.format_code_name(frame.f_code.co_filename) is not None]
    if cell_frames:
        filename, lineno = cell_frames[-1]
        kind, name = shell.compile.format_code_name(filename)  # "Cell", "In[5]"
        lines.append(f"{kind} {name}, line {lineno}: {linecache.getline(filename, lineno).strip()}")
    message = str(value)
    lines.append(f"{etype.__name__}: {message}" if message else etype.__name__)
    return lines


def cell_may_raise(shell: Any) -> bool:
    """Whether the cell running now was sent with ``stop_on_error`` false, as nbclient sends a
    cell tagged ``raises-exception``. False outside a kernel (a terminal, a test's shell)."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent"):
        return False
    request = kernel.get_parent("shell") or {}
    return (request.get("header", {}).get("msg_type") == "execute_request"
            and request.get("content", {}).get("stop_on_error", True) is False)


def show_lesson_errors(shell: Any = None, may_raise=cell_may_raise) -> None:
    """Have ``shell`` (the running IPython) show an error as :func:`lesson_traceback` does when
    ``may_raise(shell)``, and as IPython always does otherwise."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()

    def handler(shell, etype, value, tb, tb_offset=None):
        # IPython leaves the showing to the handler: what it returns is not displayed.
        if may_raise(shell):
            shell._showtraceback(etype, value, lesson_traceback(shell, etype, value, tb))
        else:  # exactly what IPython does without a handler
            shell.showtraceback((etype, value, tb), running_compiled_code=True)

    shell.set_custom_exc((Exception,), handler)
