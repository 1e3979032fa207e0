"""Exercises and self-check questions of notebook 06 (recurrent networks).

* 06.1 ``rnn_step``: one step of the vanilla recurrent cell;
* 06.2 ``rnn_unroll``: the vanilla RNN over a whole batch of sequences, every hidden state returned;
* 06.3 ``rnn_bptt``: back-propagation through time by hand, checked against torch autograd (float64);
* 06.4 ``clip_by_norm``: gradient clipping by the global norm;
* 06.5 ``lstm_update``: the LSTM's gates, cell update and new state from the pre-activations;
* 06.6 ``sample_with_temperature``: draw the next character from softmax(logits / T).

06.1 to 06.5 are declared once (:class:`~course_utils.exercises.Exercise`), each typical mistake as the code
a student would write, with its hint. 06.6 judges a random sampler by the frequencies of its draws: its check
is code, its typical mistakes are in ``STEPWISE``. The self-check questions are in ``nb06.toml``.

The notebook runs the student's ``rnn_unroll`` once :func:`accepted` says its check would confirm it, and
``check_rnn_unroll.solution`` (the reference) until then. The vanilla RNN (06.1 to 06.3) is in
:mod:`~course_utils.exercises.nb06.rnn`, gradient clipping and the LSTM (06.4, 06.5) in
:mod:`~course_utils.exercises.nb06.long_sequences`, sampling with a temperature (06.6) in
:mod:`~course_utils.exercises.nb06.sampling`, the notebook's names in :mod:`~course_utils.exercises.nb06.common`;
this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from .common import NOTEBOOK
from .long_sequences import check_clip_by_norm, check_lstm_update
from .rnn import check_rnn_bptt, check_rnn_step, check_rnn_unroll, rnn_bptt_autograd
from .sampling import STEPWISE, check_sample_with_temperature

EXERCISES = [check_rnn_step, check_rnn_unroll, check_rnn_bptt, check_clip_by_norm, check_lstm_update]

QUIZZES, quiz = notebook_quizzes(__name__)
