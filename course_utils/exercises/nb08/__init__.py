"""Exercises and self-check questions of notebook 08 (generative adversarial networks).

* 08.1 ``optimal_discriminator``: D*(x) = p_data(x) / (p_data(x) + p_g(x)) from given densities;
* 08.2 ``gan_losses``: the discriminator loss and the non-saturating generator loss from logits;
* 08.3 ``one_gan_step``: one round of the game with two optimisers (detach, zero_grad, step);
* 08.4 ``count_modes``: samples near each mode of the ring and the number of covered modes;
* 08.5 ``slerp``: spherical interpolation of two latent vectors, the path of the latent-walk widget.

08.1, 08.2, 08.4 and 08.5 are declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, the
reference, and each typical mistake as the code a student would write, with its hint (08.2's losses must
also be differentiable 0-d tensors that send gradients to their logits; 08.1 may not change its arguments). 08.3
is checked step by step: the order of the steps, where each backward pass reached, then the parameters after the
round; its typical mistakes are whole cells in :data:`STEPWISE`, and the check
reproduces each one to recognise it. The notebook goes on with the student's round (the ring GAN) and slerp
(the latent walk) once :func:`accepted` says their checks accept them, and with ``check_one_gan_step.solution``
and ``check_slerp.solution`` until then. The exercises are in :mod:`~course_utils.exercises.nb08.gans` (08.1 to
08.4) and :mod:`~course_utils.exercises.nb08.latent` (08.5), the self-check questions in ``nb08.toml``; this
package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from . import gans
from .common import NOTEBOOK
from .gans import check_count_modes, check_gan_losses, check_one_gan_step, check_optimal_discriminator
from .latent import check_slerp

# eid: (the name the student's cell defines, [Typical(the whole cell, its hint or a part of it)]), in order
STEPWISE = dict(sorted(gans.STEPWISE.items()))

EXERCISES = [check_optimal_discriminator, check_gan_losses, check_count_modes, check_slerp]

QUIZZES, quiz = notebook_quizzes(__name__)
