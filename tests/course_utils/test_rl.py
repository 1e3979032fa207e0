"""course_utils.rl: value iteration, Q-learning, REINFORCE on CartPole, evaluation and drawing."""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import rl


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # gymnasium's checker must stay silent on the way we use it
        yield
    plt.close("all")


def _lake(slippery=False):
    env = rl.make_frozen_lake(is_slippery=slippery)
    return env, *rl.tabular_model(env)


def test_tabular_model_of_frozen_lake():
    env, P, R, terminal = _lake()
    assert P.shape == (16, 4, 16) and R.shape == (16, 4)
    assert np.allclose(P.sum(axis=2), 1.0)
    assert terminal.tolist() == [c in "HG" for c in "SFFFFHFHFFFHHFFG"]
    assert R[14, 2] == 1.0 and R.sum() == 1.0  # only one move earns a reward: into the goal from its left
    _, P_slip, _, _ = _lake(True)
    assert np.allclose(P_slip[0, 1, [0, 4, 1]], 1 / 3)  # "down" from the start slips to either side


def test_value_iteration_solves_the_bellman_equation():
    _, P, R, terminal = _lake()
    V, Q, policy = rl.value_iteration(P, R, terminal, gamma=0.9)
    assert np.allclose(Q, R + 0.9 * P @ np.where(terminal, 0, V))  # a fixed point
    assert V[14] == pytest.approx(1.0) and V[0] == pytest.approx(0.9**5)  # 6 steps from start to goal
    assert np.all(V[terminal] == 0)
    _, P_slip, R_slip, _ = _lake(True)
    V_slip, _, _ = rl.value_iteration(P_slip, R_slip, terminal, gamma=0.9)
    assert V_slip[0] < V[0]  # slipping makes every state worth less


def test_q_update_bootstraps_unless_terminated():
    Q = np.arange(8.0).reshape(2, 4)
    out = rl.q_update(Q.copy(), 0, 1, 1.0, 1, False, False, alpha=0.5, gamma=0.9)
    assert out[0, 1] == pytest.approx(1 + 0.5 * (1 + 0.9 * 7 - 1))
    assert rl.q_update(Q.copy(), 0, 1, 1.0, 1, True, False, 0.5, 0.9)[0, 1] == pytest.approx(1.0)
    assert rl.q_update(Q.copy(), 0, 1, 1.0, 1, False, True, 0.5, 0.9)[0, 1] == pytest.approx(out[0, 1])


def test_epsilon_greedy_breaks_ties_and_explores():
    rng = np.random.default_rng(0)
    picks = [rl.epsilon_greedy(np.zeros(4), 0.0, rng) for _ in range(200)]
    assert set(picks) == {0, 1, 2, 3}
    assert {rl.epsilon_greedy(np.array([0, 5.0, 0, 0]), 0.0, rng) for _ in range(50)} == {1}
    explored = [rl.epsilon_greedy(np.array([0, 5.0, 0, 0]), 1.0, rng) for _ in range(400)]
    assert 0.15 < np.mean(np.array(explored) == 0) < 0.35


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_q_learning_agrees_with_value_iteration(seed):
    env, P, R, terminal = _lake()
    _, Q_star, _ = rl.value_iteration(P, R, terminal, gamma=0.95)
    Q, returns = rl.q_learning(env, seed=seed)
    optimal = rl.optimal_actions(Q_star, tol=1e-6)
    assert optimal[np.arange(16), Q.argmax(axis=1)][~terminal].all()
    assert np.abs(Q - Q_star)[~terminal].max() < 0.01
    states, total = rl.run_greedy_tabular(env, Q.argmax(axis=1))
    assert total == 1.0 and states[-1] == 15 and len(states) == 7
    assert returns.shape == (4000,)


def test_reward_to_go():
    assert np.allclose(rl.reward_to_go([1, 1, 1], 0.5), [1.75, 1.5, 1.0])
    two = rl.reward_to_go(np.array([[1.0, 2.0], [1.0, 0.0]]), 0.9)  # (T, N) = (2, 2)
    assert np.allclose(two, [[1.9, 2.0], [1.0, 0.0]])


def test_reinforce_loss_gradient_and_detached_baseline():
    logits = torch.zeros(2, 2, requires_grad=True)
    baseline = torch.tensor([1.0, 1.0], requires_grad=True)
    loss = rl.reinforce_loss(logits, torch.tensor([0, 1]), torch.tensor([3.0, 0.0]), baseline)
    loss.backward()
    assert loss.item() == pytest.approx(-(np.log(0.5) * 2 + np.log(0.5) * -1) / 2)
    assert logits.grad[0, 0] < 0 and logits.grad[1, 1] > 0  # good action pushed up, bad one down
    assert baseline.grad is None


def test_rollout_masks_finished_episodes():
    env = rl.make_cartpole_vec(5)
    torch.manual_seed(0)
    batch = rl.rollout(env, rl.mlp(), np.random.default_rng(0))
    T, N = batch.actions.shape
    assert batch.obs.shape == (T, N, 4) and N == 5 and batch.mask[0].all()
    assert T == batch.lengths.max() and np.all(batch.rewards[~batch.mask] == 0)
    assert np.all(batch.rewards.sum(axis=0) == batch.lengths)
    assert np.all(np.diff(batch.mask.astype(int), axis=0) <= 0)  # once over, an episode stays over


def test_random_policy_and_evaluation():
    returns = rl.evaluate_policy(rl.random_policy(0), 200, seed=0)
    assert returns.shape == (200,) and 18 < returns.mean() < 27
    always_right = rl.evaluate_policy(lambda obs: np.ones(len(obs), dtype=np.int64), 5, seed=0)
    assert always_right.max() < 15


def test_reinforce_solves_cartpole_on_two_seeds():
    torch.set_num_threads(1)
    for seed in (0, 1):  # how long it takes is reported by the notebook, never asserted (shared, noisy machines)
        policy, value, history = rl.train_reinforce(seed, progress=False)
        scores = rl.evaluate_policy(rl.greedy_policy(policy), 20, seed=1234)
        assert history.solved_at is not None and scores.mean() >= 475, (seed, history.evals, scores)
        assert len(history.mean_return) == history.solved_at
        assert value(torch.zeros(3, 4)).shape == (3, 1)


def test_record_episode_and_drawing():
    ep = rl.record_episode(rl.random_policy(1), seed=3)
    T = len(ep["actions"])
    assert ep["states"].shape == (T + 1, 4) and ep["rewards"].sum() == T
    assert ep["terminated"] and not ep["truncated"]
    fig = rl.draw_cartpole([0.5, 0, 0.1, 0], action=1, title="one state")
    ax = fig.axes[0]
    assert ax.get_title() == "one state" and ax.get_xlabel() and ax.get_ylabel()
    pole = ax.lines[-1]
    assert np.allclose(pole.get_xdata(), [0.5, 0.5 + np.sin(0.1)])
    fig = rl.render_episodes({"trained": ep, "random": ep}, t=5)
    assert len(fig.axes) == 2 and fig.shown_steps == {"trained": 5, "random": 5}
    assert "step 5 of" in fig.axes[0].get_title() and "pole angle" in fig.alt_text
    late = rl.render_episodes({"random": ep}, t=10_000)
    assert late.shown_steps["random"] == T and "fell after" in late.axes[0].get_title()
    with pytest.raises(ValueError):
        rl.render_episodes({}, t=0)


def test_plot_grid_policy():
    env, P, R, terminal = _lake()
    V, _, policy = rl.value_iteration(P, R, terminal)
    fig = rl.plot_grid_policy(env.unwrapped.desc, policy, V, title="VI", mark=np.eye(16, dtype=bool)[0])
    ax = fig.axes[0]
    assert ax.get_title() == "VI" and ax.get_xlabel() == "column"
    assert sum(t.get_text() in rl.ARROWS.values() for t in ax.texts) == (~terminal).sum()


def test_gradient_samples_and_the_bandit_estimator():
    torch.manual_seed(0)
    policy = rl.mlp()
    batch = rl.rollout(rl.make_cartpole_vec(6), policy, np.random.default_rng(0))
    g0 = rl.gradient_samples(policy, batch, None)
    n_params = sum(p.numel() for p in policy.parameters())
    assert g0.shape == (6, n_params)
    assert np.allclose(rl.gradient_samples(policy, batch, np.zeros_like(batch.rewards)), g0, atol=1e-6)
    theta, acts = np.array([0.0, np.log(3.0)]), np.array([0, 1])
    g = rl.score_function_gradients(theta, acts, np.array([2.0, 2.0]), 1.0)
    assert np.allclose(g, [[0.75, -0.75], [-0.25, 0.25]])
    assert np.allclose(rl.score_function_gradients(theta, acts, np.array([1.0, 1.0]), 1.0), 0)


def test_fit_value_fits_the_reward_to_go():
    torch.manual_seed(0)
    batch = rl.rollout(rl.make_cartpole_vec(8), rl.mlp(), np.random.default_rng(0))
    obs = torch.as_tensor(batch.obs[batch.mask])  # (B, 4)
    G = torch.as_tensor(rl.reward_to_go(batch.rewards, 0.99)[batch.mask], dtype=torch.float32)  # (B,)

    def mse(value):
        with torch.no_grad():
            return ((value(obs).squeeze(1) - G) ** 2).mean().item()

    value = rl.fit_value(batch, steps=200, seed=1)
    assert not value.training and value(obs).shape == (len(obs), 1)
    assert mse(value) < 0.1 * mse(rl.fit_value(batch, steps=1, seed=1))
    assert mse(value) == mse(rl.fit_value(batch, steps=200, seed=1))  # seeded
