"""What the pages import and run in their kernels: ``glue`` and ``claim`` for numbers and
sentences, the self-check's ``MultipleChoice``, the lessons' shown errors, the live widgets'
export and the record of what computed a page. Nothing here needs Sphinx or docutils."""
