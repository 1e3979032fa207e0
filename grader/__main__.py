"""``python -m grader ASSIGNMENT SUBMISSIONS``: grade a whole class (see :mod:`grader.batch`)."""

import sys

from grader.batch import main

sys.exit(main())
