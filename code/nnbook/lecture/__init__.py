"""The lectures' own code, written out in plain PyTorch, NumPy and plotly.

Where a page calls the library, a "The lecture's code" tab beside it shows the lecture's idiom
from one of these modules. Each imports nothing from ``nnbook``, so what the tab shows runs on its
own. The book's build runs each on the page's data and checks with a claim that it gives the
library's result; ``tests/unit/lecture/test_lecture_code.py`` does the same on small data.
"""
