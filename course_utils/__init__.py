"""course_utils: the small helper package behind the neural-networks course.

Modules (flat, one job each):

* :mod:`course_utils.runtime`  - ``device()`` and ``seed_everything()``
* :mod:`course_utils.datasets` - toy 2-D sets, 8x8 digits, a photo, sequences, text, MNIST
* :mod:`course_utils.plots`    - every picture the notebooks draw, in one style
* :mod:`course_utils.training` - the fit/evaluate loop with a progress bar
* :mod:`course_utils.widgets`  - interactive explorers built on plain, tested functions
"""

from .runtime import device, seed_everything

__all__ = ["device", "seed_everything"]
__version__ = "0.1.0"
