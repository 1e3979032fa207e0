"""Exercises and self-check questions of notebook 02 (perceptron and XOR).

* 02.1 ``perceptron_epoch(X, y, w, b, lr)``: one epoch of Rosenblatt's rule;
* 02.2 ``xor_by_hand(X)``: XOR from three step neurons (hidden OR and NAND, output AND);
* 02.3 ``collapse(W1, b1, W2, b2)``: the one linear layer equal to two stacked ones;
* 02.4 ``forward_221(X, W1, b1, W2, b2)``: the forward pass of the 2-2-1 tanh network;
* 02.5 ``sigmoid_tanh_derivatives(x)``: two rows of deck 002's activation table;
* 02.6 ``train_xor(W1, b1, W2, b2, X, y, lr, steps)``: the whole model, gradient descent on the
  2-2-1 sigmoid network with the backward pass written by hand, checked against ``torch.autograd``
  on the same weights (:func:`autograd_train_xor`, also what the notebook runs until
  :func:`accepted` says the student's loop is right).

Each is declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, the
reference, and each typical mistake as the code a student would write (with the notebook's ``np``
and its step ``neuron``), with its hint. Every answer is a tuple, compared part by part when it
matches no typical mistake. The docstrings' promises are checked too: 02.1 and 02.6 leave the
caller's arrays unchanged (:class:`KeepsInputs` records which ones a function changed), and 02.2's
output is computed from its hidden layer (away from the corners, where a hard-coded XOR of the
inputs gives itself away). The self-check questions are in ``nb02.toml``.
The step neurons (02.1, 02.2) are in :mod:`~course_utils.exercises.nb02.perceptron`, the 2-2-1 network's
pieces (02.3 to 02.5) in :mod:`~course_utils.exercises.nb02.network`, its training loop (02.6) in
:mod:`~course_utils.exercises.nb02.training`, the notebook's names and the helpers they share in
:mod:`~course_utils.exercises.nb02.common`; this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from .common import NOTEBOOK, KeepsInputs
from .network import check_collapse, check_forward_221, check_sigmoid_tanh_derivatives
from .perceptron import check_perceptron_epoch, check_xor_by_hand
from .training import autograd_train_xor, check_train_xor

EXERCISES = [
    check_perceptron_epoch,
    check_xor_by_hand,
    check_collapse,
    check_forward_221,
    check_sigmoid_tanh_derivatives,
    check_train_xor,
]

QUIZZES, quiz = notebook_quizzes(__name__)
