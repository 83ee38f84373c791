"""Run the site's widget JS in Node, for parity tests against PyTorch and Python (unit tests
load the source files, book tests the copies in the built site's _static/widgets/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from nnbook.book.sphinxext.assets import STATIC

WIDGETS = STATIC / "widgets"


def node_eval(body: str, data, folder: Path = WIDGETS) -> object:
    """Run ``body`` in Node with ``NNLib`` (nnlib.js), ``load(name)`` (a widgets/*.js module of
    ``folder``) and ``data`` (sent as JSON) in scope; ``body`` returns the JSON-able result, or
    a promise of it."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed")
    script = (f"const NNLib = require({json.dumps(str(folder / 'nnlib.js'))});\n"
              f"const load = (name) => require({json.dumps(str(folder))} + '/' + name);\n"
              "const data = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
              f"const result = (() => {{ {body} }})();\n"
              "Promise.resolve(result).then((value) => "
              "process.stdout.write(JSON.stringify(value)));\n")
    result = subprocess.run([node, "-e", script], input=json.dumps(data), capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)
