"""Exercises and self-check questions of notebook 07 (autoencoders and GANs).

* 07.1 ``pca_code_and_reconstruction``: PCA as the linear autoencoder, code and reconstruction;
* 07.2 ``DigitAutoencoder`` and ``train_step``: the autoencoder as an ``nn.Module`` and its training step;
* 07.3 ``optimal_discriminator``: D*(x) = p_data(x) / (p_data(x) + p_g(x)) from given densities;
* 07.4 ``gan_losses``: the discriminator loss and the non-saturating generator loss from logits;
* 07.5 ``one_gan_step``: one round of the game with two optimisers (detach, zero_grad, step);
* 07.6 ``count_modes``: samples near each mode of the ring and the number of covered modes.

07.1, 07.3, 07.4 and 07.6 are declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded
inputs, the reference, and each typical mistake as the code a student would write, with its hint (07.4's
losses must also be differentiable 0-d tensors). 07.2 and 07.5 are checked step by step: 07.2 the model's
shapes, hidden layers, nonlinearity and output range, then one training step on a copy with left-over
gradients, then a short training run against the reference's; 07.5 where D's backward pass reached, then the
parameters after the round. Their typical mistakes are whole cells in :data:`STEPWISE`, and the check
reproduces each one to recognise it. The self-check questions are in ``nb07.toml``. The autoencoders (07.1,
07.2) are in :mod:`~course_utils.exercises.nb07.autoencoders`, the GANs (07.3 to 07.6) in
:mod:`~course_utils.exercises.nb07.gans`, the notebook's names in :mod:`~course_utils.exercises.nb07.common`;
this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, quizzes, quizzes_of
from . import autoencoders, gans
from .autoencoders import check_autoencoder, check_pca_code_and_reconstruction
from .common import NOTEBOOK
from .gans import check_count_modes, check_gan_losses, check_one_gan_step, check_optimal_discriminator

__all__ = [
    "NOTEBOOK",
    "EXERCISES",
    "STEPWISE",
    "accepted",
    "check_pca_code_and_reconstruction",
    "check_autoencoder",
    "check_optimal_discriminator",
    "check_gan_losses",
    "check_one_gan_step",
    "check_count_modes",
    "quiz",
    "QUIZZES",
]

# eid: (the name the student's cell defines, [Typical(the whole cell, its hint or a part of it)]), in order
STEPWISE = dict(sorted({**autoencoders.STEPWISE, **gans.STEPWISE}.items()))

EXERCISES = [check_pca_code_and_reconstruction, check_optimal_discriminator, check_gan_losses, check_count_modes]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
