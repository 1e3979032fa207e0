"""The course's late-submission policy, as an nbgrader late-submission plugin.

Part of :mod:`grader`. The policy (``assignments/README.md``, *Deadlines*):

* a submission up to ``grace_minutes`` (default 5) after the due date counts as on time: a
  student who pressed Submit at the deadline should not lose marks to a slow upload;
* after that, each **started day** late costs ``percent_per_day`` (default 10) percent of the
  score the notebook earned, so 1 minute to 24 hours late keeps 90 %, a day and a minute 80 %;
* from ``percent_per_day`` x days >= 100 (10 days by default) the score is 0.

nbgrader applies it in ``nbgrader autograde`` (``c.AssignLatePenalties.plugin_class``, set in
``assignments/nbgrader_config.py``); the batch grader applies the same plugin, with the same
configuration read from that file (:func:`late_penalty`), and records the penalty in the
gradebook, so ``nbgrader export`` and the LMS export (:mod:`grader.export`) show it.
"""

from __future__ import annotations

import math
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float
from traitlets.config import Config

DAY_S = 24 * 3600


class DailyPenalty(LateSubmissionPlugin):
    """``percent_per_day`` percent of the earned score per started day late, after a grace period."""

    percent_per_day = Float(10.0, min=0.0, max=100.0, help="Percent of the score lost per started day late.").tag(
        config=True
    )
    grace_minutes = Float(5.0, min=0.0, help="Minutes after the due date that still count as on time.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        """The points to subtract from ``score`` (0 <= penalty <= score)."""
        late = float(total_seconds_late) - 60.0 * self.grace_minutes
        if late <= 0 or score <= 0:
            return 0.0
        days = math.ceil(late / DAY_S)
        fraction = min(1.0, days * self.percent_per_day / 100.0)
        penalty = round(score * fraction, 6)
        self.log.info("%s: %.0f s late (%d started days): penalty %g of %g", student_id, late, days, penalty, score)
        return penalty


def course_config(course: Path) -> Config:
    """The course's nbgrader configuration (``<course>/nbgrader_config.py``), or an empty one."""
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(course) / "nbgrader_config.py"
    if not path.is_file():
        return Config()
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def late_penalty(config: Config, student: str, score: float, seconds_late: float) -> float:
    """The penalty the course's configured plugin gives (``c.AssignLatePenalties.plugin_class``,
    :class:`DailyPenalty` when none is set), clamped to ``[0, score]`` as nbgrader does."""
    from traitlets.utils.importstring import import_item

    plugin = config.get("AssignLatePenalties", {}).get("plugin_class", DailyPenalty)
    if isinstance(plugin, str):
        plugin = import_item(plugin)
    if seconds_late <= 0:
        return 0.0
    penalty = plugin(config=config).late_submission_penalty(student, score, seconds_late)
    return 0.0 if penalty is None else min(max(float(penalty), 0.0), float(score))
