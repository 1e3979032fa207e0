"""grader: the instructor's batch grader for the course's nbgrader assignments.

Run it as ``python -m grader ASSIGNMENT SUBMISSIONS`` (or ``make grade``); see
``assignments/GRADING.md``. It is a package of its own, installed with the course's
``grader`` extra (``pip install -e '.[grader]'``), so a student environment
(``pip install -e .``) contains none of it.

Modules, one job each:

* :mod:`grader.batch`    - the coordinator: finds submissions, schedules workers, writes the
  gradebook (its only writer), resumes an interrupted run;
* :mod:`grader.worker`   - the pre-forked zygote and the per-student worker (trusted);
* :mod:`grader.bubblewrap` - the worker pool's namespaces (read-only file system, no network);
* :mod:`grader.sandbox`  - the student's process: limits, isolation, the code it runs;
* :mod:`grader.codec`    - the messages between the two: student values cross by copy only;
* :mod:`grader.messages` - the statuses and message types, in one place;
* :mod:`grader.check`    - the trusted side: plans the notebook, runs the hidden tests on copies;
* :mod:`grader.feedback` - what a feedback page may show (never a hidden test);
* :mod:`grader.exchange` - the instructor's steps of nbgrader's exchange, each with one rule added;
* :mod:`grader.late`     - the late-submission policy (an nbgrader plugin, also used by the batch grader);
* :mod:`grader.export`   - grades out as CSV files readable by the instructor only, nbgrader's
  layout and Canvas's and Moodle's (nbgrader export plugins);
* :mod:`grader.privacy`  - the instructor's course folder made private before any command writes in it.
"""

__version__ = "0.1.0"
