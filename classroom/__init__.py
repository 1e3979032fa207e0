"""classroom: the students' side of a class server, a distribution of its own.

* :mod:`classroom.exchange` - the ``submit`` and ``fetch_feedback`` steps of nbgrader's exchange
  that the students' config selects: a submission in the student's own name that nobody else can
  read, and feedback looked for in their own submissions only;
* :mod:`classroom.validate` - ``python -m classroom.validate NOTEBOOK``: nbgrader's validation with
  an exit status and every failure printed whole.

Installed where students run (the shared course environment of ``make shared-env``, the z2jh
image) next to :mod:`course_utils`, which the notebooks import and which needs none of this. The
instructor's steps of the exchange are in the grader (:mod:`grader.exchange`).
"""

__version__ = "0.1.0"
