"""grader: the instructor's batch grader for the course's nbgrader assignments.

Run it as ``python -m grader ASSIGNMENT SUBMISSIONS`` (or ``make grade``); see
``assignments/GRADING.md``. It is a package of its own, installed with the course's
``grader`` extra (``pip install -e '.[grader]'``), so a student environment
(``pip install -e .``) contains none of it.

Modules, one job each:

* :mod:`grader.batch`       - the coordinator: finds submissions, schedules workers, resumes an
  interrupted run, writes ``grades.csv``;
* :mod:`grader.submissions` - the class's submissions found in a folder or a zip (safely extracted);
* :mod:`grader.gradebook`   - nbgrader's gradebook (the coordinator is its only writer) and each
  submission's ``timestamp.txt``/``submission_secret.txt``;
* :mod:`grader.worker`      - the pre-forked zygote and the per-student worker (trusted);
* :mod:`grader.bubblewrap`  - the worker pool's namespaces (read-only file system, no network);
* :mod:`grader.probe`       - what this machine lets the grader enforce (the run's "enforced:" line);
* :mod:`grader.sandbox`     - starts the student's process and confines it, in order;
* :mod:`grader.limits`      - the per-student limits, and the rlimits that hold them per process;
* :mod:`grader.cgroups`     - the slots' memory and pids cgroups (v1 or v2), and killing a slot's processes;
* :mod:`grader.landlock`    - the student process's file system under Landlock;
* :mod:`grader.privileges`  - who the student process runs as: a slot uid, or root without capabilities;
* :mod:`grader.server`      - inside the student process: runs the cells, answers the checker;
* :mod:`grader.codec`       - the messages between the two: student values (arrays, tensors) cross by copy only;
* :mod:`grader.channel`     - the checker's end of the socket, and its handles to student objects;
* :mod:`grader.messages`    - the statuses and message types, in one place;
* :mod:`grader.plan`        - the trusted side reads a submission and rebuilds it around the genuine tests;
* :mod:`grader.scan`        - cell code read without running it: names, imports, forbidden modules;
* :mod:`grader.checker`     - the trusted side runs the plan, the hidden tests on copies, and scores;
* :mod:`grader.feedback_page` - the student's feedback page (and its late penalty);
* :mod:`grader.feedback`    - what a feedback page may show (never a hidden test);
* :mod:`grader.exchange`    - the instructor's steps of nbgrader's exchange, each with one rule added;
* :mod:`grader.late`        - the late-submission policy (an nbgrader plugin, also used by the batch grader);
* :mod:`grader.export`      - grades out as CSV files readable by the instructor only, nbgrader's
  layout and Canvas's and Moodle's (nbgrader export plugins);
* :mod:`grader.privacy`     - the instructor's course folder made private before any command writes in it.
"""

__version__ = "0.1.0"
