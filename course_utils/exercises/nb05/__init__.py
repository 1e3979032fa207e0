"""Checks for the exercises and self-check questions of ``notebooks/05_cnns.ipynb``.

* 05.1 ``DigitCNN``: a CNN for the 8x8 digits as an ``nn.Module``, (N, 1, 8, 8) -> (N, 10) logits;
* 05.2 ``train_one_epoch``: one pass of the training loop (zero_grad, forward, loss, backward, step);
* 05.3 ``inverted_dropout``: dropout that scales the survivors by 1 / (1 - p) during training;
* 05.4 ``transfer_model``: a frozen trained backbone with a new, trainable head;
* 05.5 ``batchnorm_forward``: the whole batch-norm layer's forward pass, training and evaluation mode,
  with the running statistics updated in place (a declared :class:`Exercise`, checked against
  ``torch.nn.BatchNorm2d``).

05.1-05.4 are checks written as code, as their diagnosis is step by step: a module's architecture
(05.1, 05.4), a training loop's effect on the parameters (05.2), a random mask's statistics (05.3).
Each builds its own small model and data (seeded, on the CPU). The typical mistakes are declared once,
in ``STEPWISE``, as the cell a student would write with (part of) its hint; where a check recognises a
mistake by its result (05.2, 05.3 at test time), it runs those cells. The questions are in ``nb05.toml``.
The modules (05.1, 05.4) are in :mod:`~course_utils.exercises.nb05.modules`, the training loop and dropout
(05.2, 05.3) in :mod:`~course_utils.exercises.nb05.training`, batch norm (05.5) in
:mod:`~course_utils.exercises.nb05.batchnorm`, each with its typical mistakes, the notebook's names in
:mod:`~course_utils.exercises.nb05.common`; this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from . import modules, training
from .batchnorm import check_batchnorm_forward
from .common import NOTEBOOK, PARAM_BUDGET
from .modules import check_digit_cnn, check_transfer_model
from .training import check_inverted_dropout, check_train_one_epoch

# eid: (the name the student's cell defines, [Typical(the whole cell, its hint or a part of it)]), in order
STEPWISE = dict(sorted({**modules.STEPWISE, **training.STEPWISE}.items()))

EXERCISES = [check_batchnorm_forward]

QUIZZES, quiz = notebook_quizzes(__name__)
