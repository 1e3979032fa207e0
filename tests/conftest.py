"""Set-up shared by every test under tests/ (pytest loads this before any test module).

* matplotlib draws with the non-interactive Agg back-end: no window, no display needed,
  the same pixels on every machine. It is chosen here, before any test imports pyplot.
* Under pytest-xdist's ``--dist loadfile`` (``make test-unit``, ``make test-site``) the tests of one
  file stay on one worker, so a file's module fixture (the nbgrader course, a batch-graded class)
  is built once; but the tests of the files in :data:`SPREAD` go one by one to whichever worker
  is free: each is long, independent and shares no fixture (a notebook's solved run, a page in
  Chromium), and one worker running them all kept the other idle for minutes. (xdist's own
  ``--dist loadgroup`` ignores the ``xdist_group`` marks with this pytest: pytest-xdist#1295.)
"""

import matplotlib
import pytest

matplotlib.use("Agg")

SPREAD = {"tests/notebooks/test_exercises_solved.py", "tests/site/test_site_browser.py"}


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent under -p no:xdist (TEST_JOBS=0)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        """``--dist loadfile``, but each test of a :data:`SPREAD` file is a unit of its own."""

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in SPREAD else path

    return FileScheduling(config, log)
