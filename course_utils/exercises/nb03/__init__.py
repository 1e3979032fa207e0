"""Exercises and self-check questions of notebook 03 (backpropagation).

* 03.1 ``value_tanh(self)`` - tanh as an operation of the notebook's scalar autodiff engine ``Value``;
* 03.2 ``sigmoid_backward(dout, s)`` - the sigmoid layer's backward pass from its cached output;
* 03.3 ``affine_backward(dout, cache)`` - ``(dx, dw, db)`` of ``out = x @ w + b``;
* 03.4 ``softmax(z)`` - the row-wise softmax, stable for large logits;
* 03.5 ``softmax_cross_entropy(scores, y)`` - the mean cross-entropy and its gradient, as torch's autograd;
* 03.6 ``loss_and_grads(params, X, y)`` - the whole two-layer network (affine, ReLU, affine, softmax
  cross-entropy): its loss and the gradient of every parameter, as torch's autograd in float64;
* 03.7 ``gradient_check(loss_and_grads, params, X, y)`` - central differences and the relative error per
  parameter; a check written as code (:func:`~course_utils.exercises.exercise`) that watches every call the
  student's loop makes, its mistakes in ``STEPWISE``.

Each is declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, the reference
and each typical mistake as the code a student would write (with the notebook's ``np``, ``math``,
``layers``, ``Value`` and, for 03.6, the student's ``affine_backward`` and ``softmax_cross_entropy``), with
its hint. The self-check questions are in ``nb03.toml``. The pieces (03.1 to 03.5) are in
:mod:`~course_utils.exercises.nb03.pieces`, the whole network (03.6) in :mod:`~course_utils.exercises.nb03.network`,
its gradient check (03.7) in :mod:`~course_utils.exercises.nb03.gradcheck`, the notebook's names in
:mod:`~course_utils.exercises.nb03.common`; this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from .common import NOTEBOOK, Value
from .gradcheck import STEPWISE, check_gradient_check, reference_gradient_check
from .network import NO_MASK, autograd_loss_and_grads, check_loss_and_grads, two_layer_loss_and_grads
from .pieces import (
    check_affine_backward,
    check_sigmoid_backward,
    check_softmax,
    check_softmax_cross_entropy,
    check_value_tanh,
)

EXERCISES = [
    check_value_tanh,
    check_sigmoid_backward,
    check_affine_backward,
    check_softmax,
    check_softmax_cross_entropy,
    check_loss_and_grads,
]

QUIZZES, quiz = notebook_quizzes(__name__)
