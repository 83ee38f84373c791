"""nnbook: the tested library behind the book's chapters.

Each module holds one concept (toy data, decision surfaces, backpropagation, training, ...).
Importing the package seeds, downloads and configures nothing. It does one thing: it keeps the
source each ``nnbook`` module is executed from (:func:`nnbook.engine.sources.record_imports`), so
that a training run is keyed on the code that ran, even when a file is edited while a kernel runs.
"""

from nnbook.engine.sources import record_imports as _record_imports

__version__ = "1.0.0"

_record_imports()
