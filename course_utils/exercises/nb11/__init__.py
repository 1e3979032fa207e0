"""Exercises and self-check questions of notebook 11 (image captioning with soft attention).

* 11.1 ``attention_weights``: additive attention scores over the feature grid, softmax over the locations;
* 11.2 ``context_vector``: the attention-weighted sum of the feature vectors;
* 11.3 ``decoder_step``: one step of the LSTM decoder (attend, update, score the words);
* 11.4 ``greedy_decode``: the caption, one most likely word at a time, fed back in;
* 11.5 ``masked_loss``: the cross-entropy over the real words, padding left out;
* 11.6 ``teacher_forced``: the decoder assembled for training, the true previous word as input.

All are declared once (:class:`~course_utils.exercises.Exercise`), each typical mistake as the code a student
would write, with its hint. The notebook builds its captioner from the student's pieces once :func:`accepted`
says each check would confirm it, and from the references (``check_*.solution``) until then. The self-check
questions are in ``nb11.toml``.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from .attention import check_attention_weights, check_context_vector, check_decoder_step
from .common import NOTEBOOK
from .decoding import check_greedy_decode, check_masked_loss, check_teacher_forced

EXERCISES = [
    check_attention_weights,
    check_context_vector,
    check_decoder_step,
    check_greedy_decode,
    check_masked_loss,
    check_teacher_forced,
]

QUIZZES, quiz = notebook_quizzes(__name__)
