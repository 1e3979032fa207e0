"""Notebook 09's exercises beyond their declarations (test_exercises_declared.py): other right answers are accepted,
hard-coded and malformed answers get their hints, each typical mistake's hint is given for that mistake only, and
the claims the self-checks, the checks and the notebook's prose make are true."""

import contextlib
import io
import random

import numpy as np
import pytest
import torch

from course_utils import rl
from course_utils.exercises import CORRECT, HINT
from course_utils.exercises import nb09 as ex
from course_utils.exercises.nb09 import value_based


def _taken(logits, actions, returns, baseline):  # the loss of each step, not yet averaged
    return -(torch.log_softmax(logits, 1)[torch.arange(len(actions)), actions] * (returns - baseline).detach())


@pytest.mark.parametrize(
    "check, answer, said",
    [
        (ex.check_reward_to_go, lambda r, g: list(rl.reward_to_go(r, g)), CORRECT),  # a list of the right numbers
        (ex.check_reinforce_loss, rl.reinforce_loss, CORRECT),  # .gather instead of indexing
        (ex.check_score_function_gradients, lambda *a: torch.tensor(rl.score_function_gradients(*a)), CORRECT),
        (ex.check_reward_to_go, lambda r, g: np.ones(len(r)), HINT),  # hard-coded
        (ex.check_reward_to_go, lambda r, g: np.r_[rl.reward_to_go(r, g), 0.0], "drop the extra entry after the end"),
        (ex.check_q_update, lambda *args: 0.5, "return the whole table Q (S, A), updated in place."),
        (ex.check_reinforce_loss, lambda *a: rl.reinforce_loss(*a).item(), "return a torch tensor (so that .backward"),
        (ex.check_reinforce_loss, _taken, "the loss must be one number, got shape (8,): take the mean over the batch"),
        (ex.check_reinforce_loss, lambda *a: rl.reinforce_loss(*a).detach(), "the loss has no gradient"),
        (ex.check_reinforce_loss, lambda *a: rl.reinforce_loss(*a) + 1.0, "the gradient is right but the value"),
        (ex.check_reinforce_loss, lambda *a: 2 * rl.reinforce_loss(*a), "`d loss / d logits (on a batch of 8)`"),
    ],
)
def test_other_answers(capsys, check, answer, said):
    check(answer)
    out = capsys.readouterr().out
    assert out.startswith(f"[{check.eid}] {CORRECT if said == CORRECT else HINT}") and said in out, out


def test_the_self_checks_claims():
    # 09.q2: rewards 1, 1, 1 with gamma = 0.9 give G_0 = 2.71
    assert ex.QUIZZES["09.q2"].answer == pytest.approx(rl.reward_to_go([1.0, 1.0, 1.0], 0.9)[0])
    # 09.q3 and 09.4's confirmation: onehot(a) - pi has mean zero under pi, so a baseline adds no bias
    theta = np.array([0.3, -1.2, 2.0, 0.0])
    rows = rl.score_function_gradients(theta, np.arange(4), np.full(4, 7.0), 0.0)
    np.testing.assert_allclose(np.exp(theta) / np.exp(theta).sum() @ rows, 0.0, atol=1e-12)
    assert ex.QUIZZES["09.q3"].answer == "b"


# ------------------------------------------------------------------------ 09.5, 09.6 and the in-place promise of 09.2


def _sweep_with_arrays(V, P, gamma):  # Q table first, a list back, (1 - done) instead of a test
    Q = np.zeros((len(V), len(P[0])))
    for s in range(len(V)):
        for a in range(len(P[s])):
            Q[s, a] = sum(p * (r + gamma * V[s2] * (1 - done)) for p, s2, r, done in P[s][a])
    return list(Q.max(axis=1))


def _sweep_on_a_copy(V, P, gamma):  # a copy of V filled from the OLD V: still synchronous
    V_new = V.copy()
    for s in P:
        V_new[s] = max(sum(p * (r + (not done) * gamma * V[s2]) for p, s2, r, done in P[s][a]) for a in P[s])
    return torch.tensor(V_new)


def _eps_uniform(Q_row, epsilon, rng):  # rng.uniform, rng.choice over the range, np.int64 back, isclose ties
    if rng.uniform(0, 1) < epsilon:
        return rng.choice(len(Q_row))
    return rng.choice(np.flatnonzero(np.isclose(Q_row, np.max(Q_row))))


def _eps_index(Q_row, epsilon, rng):  # greedy first, exploring decided after; ties by an index draw
    best = np.flatnonzero(Q_row == Q_row.max())
    greedy = best[rng.integers(len(best))]
    return int(rng.integers(len(Q_row))) if rng.random() < epsilon else int(greedy)


def _eps_uneven_ties(Q_row, epsilon, rng):  # ties shared 30/70, not evenly: the frequencies against the right ones
    if rng.random() < epsilon:
        return int(rng.integers(len(Q_row)))
    best = np.flatnonzero(Q_row == Q_row.max())
    return int(best[-1] if rng.random() < 0.7 else best[0])


def _eps_permuted(Q_row, epsilon, rng):  # ties broken by argmax over a random permutation of the actions
    if rng.random() < epsilon:
        return int(rng.choice(len(Q_row)))
    order = rng.permutation(len(Q_row))
    return int(order[np.argmax(Q_row[order])])


def _ce_loss(logits, actions, returns, baseline):  # cross_entropy is -log pi of the action taken
    nll = torch.nn.functional.cross_entropy(logits, actions, reduction="none")
    return (nll * (returns - baseline).detach()).mean()


def _eps_forgot_return(Q_row, epsilon, rng):
    if rng.random() < epsilon:
        int(rng.integers(len(Q_row)))
    else:
        return int(rng.choice(np.flatnonzero(Q_row == Q_row.max())))


def _q_blend(Q, s, a, r, s_next, terminated, truncated, alpha, gamma):  # (1 - alpha) Q + alpha target, in place
    target = r if terminated else r + gamma * np.max(Q[s_next])
    Q[s, a] = (1 - alpha) * Q[s, a] + alpha * target
    return Q


@pytest.mark.parametrize(
    "check, answer, said",
    [
        (ex.check_value_iteration_sweep, _sweep_with_arrays, CORRECT),
        (ex.check_value_iteration_sweep, _sweep_on_a_copy, CORRECT),
        (ex.check_value_iteration_sweep, lambda V, P, g: np.zeros((len(V), 4)), "one value per state"),
        (ex.check_value_iteration_sweep, lambda V, P, g: V, "`V_new after one sweep from a random V on the slip"),
        (ex.check_epsilon_greedy, rl.epsilon_greedy, CORRECT),
        (ex.check_epsilon_greedy, _eps_uniform, CORRECT),
        (ex.check_epsilon_greedy, _eps_index, CORRECT),
        (ex.check_epsilon_greedy, _eps_forgot_return, "some calls returned None: every path"),
        (ex.check_epsilon_greedy, lambda Q, e, rng: -1 if rng.random() < 2 else 0, "the action -1 is not one of 0..3"),
        (ex.check_epsilon_greedy, lambda Q, e, rng: [int(rng.integers(4))], "return one action, an int"),
        (ex.check_epsilon_greedy, lambda Q, e, rng: rng.integers(4) + 0.5, "return an int action"),
        (ex.check_epsilon_greedy, lambda Q, e, rng: int(rng.integers(4)), "expected about [0.075, 0.775"),
        (  # ties to the LAST best action: the unique-best row is right, so only the ties are blamed
            ex.check_epsilon_greedy,
            lambda Q, e, rng: int(rng.integers(4)) if rng.random() < e else int(3 - np.argmax(Q[::-1])),
            "your greedy choice between the tied actions 1 and 2 is always action 2, so the tie is never broken",
        ),
        (ex.check_epsilon_greedy, _eps_uneven_ties, "actions 1 and 2 tie for the best"),  # shared, not evenly
        (ex.check_epsilon_greedy, _eps_permuted, CORRECT),
        (ex.check_reinforce_loss, _ce_loss, CORRECT),
        (  # a loss that never reaches the logits: the logits' gradient is zero, not "not attempted"
            ex.check_reinforce_loss,
            lambda lo, a, G, b: ((G - b) ** 2).mean(),
            "`d loss / d logits (on a batch of 8)` is wrong in 24 of 24 entries",
        ),
        (ex.check_q_update, _q_blend, CORRECT),
        (ex.check_q_update, lambda *args: rl.q_update(*args).copy(), CORRECT),  # in place, a copy returned: fine
        (ex.check_q_update, lambda *args: [rl.q_update(*args), None][1], "updated Q in place but returned None"),
        (  # the policy factor's sign flipped: the hint blames neither factor in particular
            ex.check_score_function_gradients,
            lambda th, a, r, b: (np.exp(th) / np.exp(th).sum() - np.eye(len(th))[a]) * (r - b)[:, None],
            "One of the two differences is the wrong way round",
        ),
        (  # the advantage's sign flipped, the leading minus right: the same neutral hint
            ex.check_reinforce_loss,
            lambda lo, a, G, b: -(torch.log_softmax(lo, 1)[torch.arange(len(a)), a] * (b - G).detach()).mean(),
            "Either the leading minus is missing or the advantage is written b - G",
        ),
    ],
)
def test_more_answers(capsys, check, answer, said):
    check(answer)
    out = capsys.readouterr().out
    assert out.startswith(f"[{check.eid}] {CORRECT if said == CORRECT else HINT}") and said in out, out


def _outputs():
    """Every typical mistake of the notebook, (eid, its hint, what its check printed)."""
    rows = []
    for declared in ex.EXERCISES:
        for typical in declared.typical:
            namespace = dict(declared.namespace)
            exec(typical.source(declared.signature), namespace)  # noqa: S102 - the course's own mistakes
            rows.append((declared.eid, typical.hint, _printed(declared, namespace[declared.name])))
    for eid, (name, typicals) in ex.STEPWISE.items():
        (check,) = [f for n, f in vars(ex).items() if n.startswith("check_") and getattr(f, "eid", None) == eid]
        for typical in typicals:
            namespace = dict(ex.NOTEBOOK)
            exec(typical.body, namespace)  # noqa: S102
            rows.append((eid, typical.hint, _printed(check, namespace[name])))
    return rows


def _printed(check, fn) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check(fn)
    return out.getvalue()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_each_hint_is_given_for_its_own_mistake_only():
    rows = _outputs()
    for k, (eid, hint, out) in enumerate(rows):
        assert out.startswith(f"[{eid}] {HINT}") and hint in out, (hint, out)
        others = [h for j, (e, h, _) in enumerate(rows) if e == eid and j != k and h in out]
        assert not others, (out, others)


def test_epsilon_greedy_check_leaves_the_global_generators_as_they_were():
    np.random.seed(5)
    random.seed(5)
    before = np.random.get_state()[1].copy(), random.getstate()
    namespace = dict(ex.NOTEBOOK)
    exec(ex.STEPWISE["09.6"][1][0].body, namespace)  # noqa: S102 - the mistake that draws from np.random
    with contextlib.redirect_stdout(io.StringIO()):
        ex.check_epsilon_greedy(namespace["epsilon_greedy"])
    assert np.array_equal(np.random.get_state()[1], before[0]) and random.getstate() == before[1]
    assert ex.check_epsilon_greedy.solution is rl.epsilon_greedy


def test_the_sweep_repeated_is_value_iteration():
    # 09.5's fixed-point case compares with what the reference sweep reaches: that is rl.value_iteration's V*
    for slippery in (False, True):
        lake = rl.make_frozen_lake(is_slippery=slippery)
        V_star, _, _ = rl.value_iteration(*rl.tabular_model(lake), gamma=0.95)
        reached = value_based._Iterated("", (lake.unwrapped.P, 0.95)).call(ex.check_value_iteration_sweep.solution)
        np.testing.assert_allclose(reached, V_star, atol=1e-10)


def test_dividing_the_advantages_by_sigma_only_rescales_the_gradient_estimates():
    # the notebook's claim on rl.reinforce_step's standardisation, on an untrained policy
    torch.manual_seed(0)
    policy = rl.mlp(hidden=8)
    batch = rl.rollout(rl.make_cartpole_vec(8), policy, np.random.default_rng(0))
    G = rl.reward_to_go(batch.rewards, 0.99)
    sigma = G[batch.mask].std()
    plain = rl.gradient_samples(policy, batch, np.zeros_like(G))
    scaled = rl.gradient_samples(policy, batch, np.where(batch.mask, G - G / sigma, 0.0))
    np.testing.assert_allclose(scaled, plain / sigma, rtol=1e-4, atol=1e-6 * np.abs(plain / sigma).max())
