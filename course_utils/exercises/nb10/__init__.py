"""Exercises and self-check questions of notebook 10 (neural style transfer).

* 10.1 ``gram_matrix``: the Gram matrices of a batch of feature maps, (B, C, C), averaged over positions;
* 10.2 ``content_loss``: the mean squared difference of two feature maps;
* 10.3 ``style_loss``: the weighted sum over layers of the mean squared difference of Gram matrices;
* 10.4 ``total_variation``: the mean squared difference of vertical and of horizontal neighbours;
* 10.5 ``transfer_step``: one optimisation step on the pixels (zero, backward, step, clamp in place);
* 10.6 ``style_transfer``: the whole loop of Gatys et al. from the pieces above, which the notebook then runs.

All six are declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, the reference,
and each typical mistake as the code a student would write, with its hint. The losses (10.2-10.4) must be
differentiable 0-d tensors. 10.3 and 10.6 call the student's own pieces from the notebook: when their answer
is wrong and a piece it calls is not accepted yet, the hint says which piece to fix first. The references are
:mod:`course_utils.style`'s; the self-check questions are in ``nb10.toml``. The pieces (10.1-10.4) are in
:mod:`.pieces`, the step and the loop (10.5, 10.6) in :mod:`.loop`, the shared checking code in :mod:`.common`.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from .common import NOTEBOOK
from .loop import LOOP, LOOP_SIGNATURE, check_style_transfer, check_transfer_step
from .pieces import STYLE, check_content_loss, check_gram_matrix, check_style_loss, check_total_variation

EXERCISES = [
    check_gram_matrix,
    check_content_loss,
    check_style_loss,
    check_total_variation,
    check_transfer_step,
    check_style_transfer,
]

QUIZZES, quiz = notebook_quizzes(__name__)
