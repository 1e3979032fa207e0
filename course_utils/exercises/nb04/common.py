"""What notebook 04's cells have: the notebook's names (``NOTEBOOK``), deck 004's examples, shared hints."""

from __future__ import annotations

import functools
import re

import numpy as np
import torch
import torch.nn.functional as F

from ... import conv
from .. import Exercise

# what the notebook has imported when the student's cell runs
NOTEBOOK = {"np": np, "torch": torch, "F": F, "conv": conv}

FLIPPED = (
    "You flipped the kernel (kernel[::-1, ::-1]): that is the convolution of signal processing. "
    "Deep learning's conv (F.conv2d) is cross-correlation: multiply each pixel by the kernel entry "
    "at the same offset, kernel[u, v] * image[i + u, j + v], without flipping."
)
# deck 004's examples: the binary image of cross-correlation, the 6x6 feature map of pooling (one channel)
DECK_IMAGE = np.array([[0, 0, 1, 1, 0], [0, 1, 0, 1, 0], [0, 0, 1, 1, 0], [0, 1, 0, 0, 0], [0, 1, 1, 1, 0]], float)
DECK_MAP = np.array(
    [
        [2, 4, 5, 7, 3, -2],
        [-2, 0, 0, 4, 9, 9],
        [1, 0, -1, 2, 1, 1],
        [1, 1, 6, 3, 7, 2],
        [3, 4, 0, -2, 3, 0],
        [3, 0, 5, 1, 0, 0],
    ],
    dtype=np.float64,
)[None]


NotebookExercise = functools.partial(Exercise, namespace=NOTEBOOK, result="")  # the case labels are the calls


def is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


# a window or an index past the edge of the array: the errors in words of the loops of 04.2 and 04.6
PAST_THE_EDGE = (
    "Your loops ask for more windows than fit in your padded image: the last ones run past its bottom and right "
    "edges. The padded image must have n + 2p pixels per axis (p zeros on EACH side), and floor((n + 2p - k) / s) "
    "+ 1 windows fit, with n the unpadded size (padded.shape already includes the 2p)."
)
FLOAT_SIZE = (
    "A size came out as a float (/ divides exactly: 7 / 2 = 3.5), and np.zeros and range need ints: use floor "
    "division // in the size formula, floor((n + 2p - k) / s) + 1."
)


def window_past_the_edge(error: Exception) -> bool:
    """NumPy's error for a window cut short by the edge: the slice broadcast against the kernel is smaller than it
    along the last two axes and equal along the others (any other shape error is no such sign)."""
    shapes = [tuple(int(v) for v in re.findall(r"\d+", t)) for t in re.findall(r"\(([\d,]*)\)", str(error))]
    if not isinstance(error, ValueError) or "broadcast" not in str(error) or len(shapes) != 2:
        return False
    window, kernel = shapes
    return (
        len(window) == len(kernel) >= 2
        and window[:-2] == kernel[:-2]
        and all(a <= b for a, b in zip(window[-2:], kernel[-2:]))
        and window != kernel
    )


def index_past_the_end(error: Exception) -> bool:
    return isinstance(error, IndexError) and "out of bounds" in str(error)


INDEX_PAST_THE_END = (
    "an index ran past the end of an array: compare your loops' ranges with the sizes of the arrays they index "
    "(out has floor((n + 2p - k) / s) + 1 rows and columns)."
)


def loop_errors(array: str = "image") -> dict:
    """The ``on_error`` of the loops of 04.2 and 04.6: a window or an index past the edge of the ``array`` they
    slide over, in words."""
    return {window_past_the_edge: PAST_THE_EDGE.replace("image", array), index_past_the_end: INDEX_PAST_THE_END}
