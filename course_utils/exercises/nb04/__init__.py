"""Exercises and self-check questions of notebook 04 (convolutions).

* 04.1 ``cross_correlate(image, kernel)`` - valid cross-correlation with loops;
* 04.2 ``conv2d_loops(image, kernel, stride, padding)`` - the same with stride and zero padding;
* 04.3 ``same_padding(k, dilation)`` - the padding that keeps the size at stride 1;
* 04.4 ``max_pool(x, size)`` - non-overlapping max pooling of a (C, H, W) stack;
* 04.5 ``avg_pool_as_conv(size)`` - average pooling written as a convolution (kernel, stride);
* 04.6 ``conv_layer(x, w, b, stride, padding)`` - the whole layer: a batch, several input and output channels,
  a bias per filter, checked against ``F.conv2d``; section 6 of the notebook runs it once :func:`accepted`.

Each is declared once (:class:`~course_utils.exercises.Exercise`): seeded inputs plus the decks' worked
examples, the reference (:mod:`course_utils.conv`, which the rest of the notebook uses), and each typical
mistake as the code a student would write (with the notebook's ``np``, ``torch``, ``F`` and ``conv``),
with its hint. The cases are chosen so that, on the first case where a mistake's output differs from
the reference (the case the check diagnoses it on), no other typical mistake gives the same output: each hint
names the mistake made (``test_exercises_nb04.py`` checks it). The self-check questions are in ``nb04.toml``.
The loops (04.1 to 04.3) are in :mod:`~course_utils.exercises.nb04.convolution`, pooling (04.4, 04.5) in
:mod:`~course_utils.exercises.nb04.pooling`, the whole layer (04.6) in
:mod:`~course_utils.exercises.nb04.whole_layer`, the notebook's names, deck 004's examples and the hints
shared by 04.2 and 04.6 in :mod:`~course_utils.exercises.nb04.common`; this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes  # the notebook runs the student's layer (04.6) once it is accepted
from .common import FLIPPED, FLOAT_SIZE, INDEX_PAST_THE_END, NOTEBOOK, PAST_THE_EDGE
from .convolution import check_conv2d_loops, check_cross_correlate, check_same_padding
from .pooling import ARGMAX, check_avg_pool_as_conv, check_max_pool
from .whole_layer import check_conv_layer

EXERCISES = [
    check_cross_correlate,
    check_conv2d_loops,
    check_same_padding,
    check_max_pool,
    check_avg_pool_as_conv,
    check_conv_layer,
]

QUIZZES, quiz = notebook_quizzes(__name__)
