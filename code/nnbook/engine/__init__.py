"""What trains and stores: settings, the device, data sets, the training loop and the run store.

Concept modules may call into the engine; the engine never imports a concept module or
:mod:`nnbook.book`.
"""
