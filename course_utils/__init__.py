"""course_utils: the small helper package behind the neural-networks course.

Modules (flat, one job each):

* :mod:`course_utils.runtime`  - ``device()``, ``seed_everything()`` and ``set_cpu_threads()``
* :mod:`course_utils.datasets` - toy 2-D sets, 8x8 digits, a photo, sequences, text
* :mod:`course_utils.plots`    - every picture the notebooks draw, in one style
* :mod:`course_utils.training` - the fit/evaluate loop with a progress bar
* :mod:`course_utils.widgets`  - interactive explorers built on plain, tested functions
* :mod:`course_utils.linear`, :mod:`~course_utils.activations`, :mod:`~course_utils.layers`,
  :mod:`~course_utils.conv`, :mod:`~course_utils.models`, :mod:`~course_utils.recurrent`,
  :mod:`~course_utils.text`, :mod:`~course_utils.generative`, :mod:`~course_utils.rl` - each
  notebook's reference code
* :mod:`course_utils.exercises` - the notebooks' exercises and self-checks (one module per notebook)
* :mod:`course_utils.catalog`   - the notebooks, read from their folder (the welcome notebook's table)
* :mod:`course_utils.diagrams`  - drawn diagrams of each notebook's central structure, with alt text
* :mod:`course_utils.grading`   - the comparisons behind the exercises and the graded assignments
The instructor's batch grader (``grader/``, the ``grader`` extra) and the students' side of a class
server (``classroom/``: the exchange's submit step and validate, the ``classroom`` extra) are
distributions of their own: nothing here imports them.
"""

from .runtime import device, seed_everything, set_cpu_threads

__all__ = ["device", "seed_everything", "set_cpu_threads"]
__version__ = "0.1.0"
