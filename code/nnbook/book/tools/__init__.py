"""The book's command-line tools (``python -m nnbook ...``): slides, notebooks and hand-outs from
the built site, the formatter, the run store's ``cache`` command, the doctor and ``execute``."""
