"""Exercises and self-check questions of notebook 07 (autoencoders and the variational autoencoder).

* 07.1 ``pca_code_and_reconstruction``: PCA as the linear autoencoder, code and reconstruction;
* 07.2 ``DigitAutoencoder`` and ``train_step``: the autoencoder as an ``nn.Module`` and its training step;
* 07.3 ``reparameterize``: z = mu + exp(logvar / 2) * eps with eps drawn by the generator passed in (values,
  gradients and the generator's use are checked);
* 07.4 ``kl_to_standard_normal``: the closed-form KL to N(0, I), summed over the code, averaged over the batch;
* 07.5 ``vae_loss``: reconstruction (binary cross-entropy) + beta * KL.

07.1, 07.3, 07.4 and 07.5 are declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs,
the reference, and each typical mistake as the code a student would write, with its hint. 07.2 is checked step
by step: the model's shapes, hidden layers, sizes, nonlinearity, last layers and output range, then one training
step on a copy with left-over gradients, then a short training run against the reference's. Its typical mistakes
are whole cells in :data:`STEPWISE`, and the check reproduces each one to recognise it. The self-check questions are in
``nb07.toml``. The exercises are in :mod:`~course_utils.exercises.nb07.autoencoders` and
:mod:`~course_utils.exercises.nb07.vae`, the notebook's names in :mod:`~course_utils.exercises.nb07.common`;
this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from . import autoencoders, vae
from .autoencoders import check_autoencoder, check_pca_code_and_reconstruction
from .common import NOTEBOOK
from .vae import check_kl_to_standard_normal, check_reparameterize, check_vae_loss

# eid: (the name the student's cell defines, [Typical(the whole cell, its hint or a part of it)]), in order
STEPWISE = dict(sorted(autoencoders.STEPWISE.items()))

EXERCISES = [check_pca_code_and_reconstruction, check_reparameterize, check_kl_to_standard_normal, check_vae_loss]

QUIZZES, quiz = notebook_quizzes(__name__)
