"""Errors shown on purpose are trimmed to the lesson; every other error keeps its full traceback.

First with a real IPython shell (what the trimmed error reads like), then through nbclient and a
real kernel, as the book build runs a page: a cell tagged ``raises-exception`` shows two lines and
still counts as raising, and an untagged cell that raises still stops the run, with the whole
traceback in the error."""

import re

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nnbook.book.kernel.lesson_errors import show_lesson_errors

READER_CELL = """\
import torch

layer = torch.nn.Linear(2, 4)  # float32 weights
X = torch.zeros(5, 3)
layer(X)
"""
MESSAGE = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (5x3 and 2x4)"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))  # the shell's history stays in tmp_path
    shell = InteractiveShell.instance()
    yield shell
    shell.set_custom_exc((), None)  # the next test's shell shows errors as IPython does


def run(shell, source):
    with capture_output() as captured:
        result = shell.run_cell(source, store_history=True)
    return result, ANSI.sub("", captured.stdout + captured.stderr)


def test_an_error_shown_on_purpose_is_the_readers_line_and_the_message(shell):
    show_lesson_errors(shell, may_raise=lambda shell: True)
    result, shown = run(shell, READER_CELL)
    lines = shown.strip().splitlines()
    assert lines == [f"Cell In[{result.execution_count}], line 5: layer(X)", MESSAGE]
    assert "site-packages" not in shown and "/" not in shown  # no path of the building machine
    # The cell still raised: the kernel reports it as an error, which the tag allows.
    assert isinstance(result.error_in_exec, RuntimeError) and not result.success


def test_any_other_error_keeps_ipythons_whole_traceback(shell):
    show_lesson_errors(shell)  # outside a kernel no cell is allowed to raise
    result, shown = run(shell, READER_CELL)
    assert "Traceback (most recent call last)" in shown and "torch/nn/modules" in shown
    assert shown.strip().endswith(MESSAGE) and len(shown.splitlines()) > 10
    assert isinstance(result.error_in_exec, RuntimeError)


def test_through_a_kernel_only_a_tagged_cell_is_trimmed():
    setup = "from nnbook.book.kernel.lesson_errors import show_lesson_errors\nshow_lesson_errors()"
    on_purpose = 'import json\njson.loads("{")'
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell(on_purpose, metadata={"tags": ["raises-exception"]}),
        nbformat.v4.new_code_cell("print('still running')"),
        nbformat.v4.new_code_cell(on_purpose),  # an unexpected error
    ])
    with pytest.raises(CellExecutionError) as failure:
        NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
    [error] = notebook.cells[1].outputs
    assert error.output_type == "error" and error.ename == "JSONDecodeError"
    assert error.traceback == [
        "Cell In[2], line 2: json.loads(\"{\")",
        "JSONDecodeError: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)"]
    assert notebook.cells[2].outputs[0].text == "still running\n"
    # The unexpected error stopped the run, and its report holds the whole traceback.
    full = ANSI.sub("", str(failure.value))
    assert "json/decoder.py" in full and "Traceback (most recent call last)" in full
