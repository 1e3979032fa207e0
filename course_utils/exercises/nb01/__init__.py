"""Exercises and self-check questions of notebook 01 (linear models).

Shapes: ``X`` is (N, d) with N samples in rows, ``y`` is (N,), a weight vector is (d,).
Where a bias column is needed it is a column of ones, *last* (``course_utils.linear.add_bias``).

* 01.1 ``fit_least_squares(X, y)`` - least squares in closed form, bias trick included;
* 01.2 ``gd_step(w, X, y, eta)`` - one vectorised gradient-descent step on the MSE (with the 1/2);
* 01.3 ``adam_step(w, g, m, v, t, ...)`` - one Adam update, as ``torch.optim.Adam`` does it;
* 01.4 ``log_loss_grad(w, X, y)`` - the gradient of the mean log loss of logistic regression;
* 01.5 ``huber_grad(w, X, y, delta)`` - the gradient of the mean Huber loss, then a fit with an outlier;
* 01.6 ``sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol)`` - the whole mini-batch SGD loop (a fresh
  order from ``rng`` each epoch, one full-data loss per epoch, the step stopping rule); the notebook trains
  SGD with it once :func:`accepted`, with :func:`sgd_train_reference` until then.

Each is declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, so a
hard-coded answer does not pass, the reference, and each typical mistake as the code a student
would write (with the notebook's ``np`` and ``lin``), with its hint. 01.6's check is code (its
diagnosis runs the loop on several problems and watches the rng it is given); its typical mistakes are
whole cells in ``STEPWISE``. The self-check questions are in ``nb01.toml``. The closed form (01.1) is in
:mod:`~course_utils.exercises.nb01.closed_form`, the gradients and steps (01.2 to 01.5) in
:mod:`~course_utils.exercises.nb01.gradients`, the SGD loop (01.6) in
:mod:`~course_utils.exercises.nb01.training_loop`, the notebook's names and shared hints in
:mod:`~course_utils.exercises.nb01.common`; this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from .closed_form import check_normal_equations
from .common import NOTEBOOK
from .gradients import check_adam_step, check_gd_step, check_huber_grad, check_log_loss_grad
from .training_loop import SGD_REFERENCE, STEPWISE, check_sgd_train, sgd_train_reference

EXERCISES = [check_normal_equations, check_gd_step, check_adam_step, check_log_loss_grad, check_huber_grad]

QUIZZES, quiz = notebook_quizzes(__name__)
