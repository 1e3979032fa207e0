"""Set-up shared by every test under tests/ (pytest loads this before any test module).

* matplotlib draws with the non-interactive Agg back-end: no window, no display needed,
  the same pixels on every machine. It is chosen here, before any test imports pyplot.
"""

import matplotlib

matplotlib.use("Agg")
