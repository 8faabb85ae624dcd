"""visualize.present: what graphc shows where its users look, a notebook and a browser.

Registered in pyproject.toml under the entry-point group ``graphc.present``, which
``graphc.display`` looks up on first use; graphc itself never imports this package.
"""

from .notebook import bundle  # noqa: F401  (graphc.display.bundle calls it)
from .report import Report, report  # noqa: F401  (gc.report, through graphc.display)
