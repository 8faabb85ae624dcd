"""graphc.present: what graphc shows where its users look, a notebook and a browser.

The application layer beside the command line: it may draw (``visualize``) and use every
consumer. ``graphc.display`` imports it by name on first use; nothing else in graphc does.
"""

from .notebook import bundle  # noqa: F401  (graphc.display.bundle calls it)
from .report import Report, report  # noqa: F401  (gc.report, through graphc.display)
