"""nnbook: the tested library behind the book's chapters.

Each module holds one concept (toy data, decision surfaces, backpropagation, training, ...).
Importing the package has no side effects: nothing is seeded, downloaded or configured here.
"""

__version__ = "1.0.0"
