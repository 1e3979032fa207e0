"""Reinforcement learning (notebook 09): the agent-environment loop, and where deep RL goes from there."""

from __future__ import annotations

from . import PALETTE, arrow, canvas, draw_boxes

__all__ = ["agent_environment_loop", "LOOP_BOXES", "deep_rl_map", "DEEP_RL_BOXES"]

# (key, label, centre, colour) of the loop diagram's boxes.
LOOP_BOXES = [
    ("agent", "agent\npolicy $\\pi(a \\mid s)$", (2.2, 2.5), PALETTE["orange"]),
    ("env", "environment\n$p(s', r \\mid s, a)$", (7.8, 2.5), PALETTE["sky"]),
]


def agent_environment_loop(title: str = "The reinforcement-learning loop"):
    """Agent and environment exchanging action, next state and reward, with the gymnasium calls.

    Returns the Figure (``fig.alt_text`` describes it; show it with :func:`course_utils.diagrams.show`).
    """
    alt = (
        "Diagram of the reinforcement-learning loop. The agent, holding a policy pi of a given s, sends an "
        "action a_t to the environment, which gymnasium calls env.step(action). The environment answers "
        "with the next state s_t+1, the reward r_t+1 and two flags: terminated, when the episode reached a "
        "terminal state, and truncated, when a time limit cut it. env.reset() starts an episode with the "
        "first state s_0. The agent's goal is to maximise the return G_t, the discounted sum of future "
        "rewards r_t+1 + gamma r_t+2 + gamma squared r_t+3 and so on."
    )
    fig, ax = canvas(title, alt, size=(9.0, 4.4), xlim=(0, 10), ylim=(-0.4, 5.0))
    centre = draw_boxes(ax, LOOP_BOXES, width=2.6, height=1.2, fontsize=10)
    (ax_, ay), (ex, ey) = centre["agent"], centre["env"]
    arrow(
        ax,
        (ax_ + 0.6, ay + 0.7),
        (ex - 0.6, ey + 0.7),
        "action $a_t$\nenv.step(action)",
        rad=-0.35,
        color=PALETTE["orange"],
        fontsize=9,
        offset=(0.0, 0.75),
    )
    arrow(
        ax,
        (ex - 0.6, ey - 0.7),
        (ax_ + 0.6, ay - 0.7),
        "next state $s_{t+1}$, reward $r_{t+1}$,\nterminated, truncated",
        rad=-0.35,
        color=PALETTE["blue"],
        fontsize=9,
        offset=(0.0, -1.35),
    )
    arrow(
        ax,
        (ex, 4.75),
        (ex, ey + 0.65),
        "env.reset() $\\to s_0$",
        color=PALETTE["green"],
        fontsize=9,
        offset=(1.1, -0.2),
    )
    ax.text(
        5.0,
        -0.3,
        "goal: maximise the return $G_t = r_{t+1} + \\gamma r_{t+2} + \\gamma^2 r_{t+3} + \\dots$",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    return fig


# (key, label, centre, colour) of the "where this leads" diagram's boxes.
DEEP_RL_BOXES = [
    ("frames", "Atari screen\n(last 4 frames)", (1.3, 4.1), PALETTE["sky"]),
    ("qnet", "CNN\n(Q-network)", (4.1, 4.1), PALETTE["orange"]),
    ("q", "$Q(s, a)$ for each\njoystick action", (7.1, 4.1), PALETTE["yellow"]),
    ("board", "Go board\n+ features", (1.3, 1.3), PALETTE["sky"]),
    ("policy", "policy network\n$p(a \\mid s)$: next move", (4.4, 2.0), PALETTE["orange"]),
    ("value", "value network\n$v(s)$: P(win)", (4.4, 0.6), PALETTE["green"]),
    ("mcts", "tree search (MCTS)\npolicy: moves to try\nvalue: judge positions", (7.5, 1.3), PALETTE["purple"]),
]


def deep_rl_map(title: str = "Where this leads: deep networks inside RL agents"):
    """DQN (top: a CNN maps Atari frames to one Q-value per action, trained with the Q-learning
    target) and AlphaGo (bottom: policy and value CNNs guiding a Monte Carlo tree search).
    Returns the Figure with ``fig.alt_text``."""
    alt = (
        "Two pipelines. Top, DQN (DeepMind, 2015): the last four frames of an Atari screen go into a "
        "convolutional Q-network that outputs one value Q(s, a) per joystick action; the agent plays the "
        "action with the largest value, and the network is trained towards the Q-learning target "
        "r + gamma max Q(s', a'). Bottom, AlphaGo (2016): the Go board with extra features goes into two "
        "convolutional networks, a policy network that proposes likely next moves and a value network "
        "that predicts the probability of winning; a Monte Carlo tree search uses the policy to choose "
        "which moves to explore and the value to judge positions, then plays the move it explored most."
    )
    fig, ax = canvas(title, alt, size=(9.4, 5.2), xlim=(0, 9.4), ylim=(-0.3, 5.5))
    centre = draw_boxes(ax, DEEP_RL_BOXES, width=2.3, height=0.95, heights={"mcts": 1.2})
    ax.text(0.1, 5.2, "DQN on Atari (Mnih et al., 2015)", fontsize=10, fontweight="bold")
    ax.text(0.1, 2.65, "AlphaGo (Silver et al., 2016)", fontsize=10, fontweight="bold")
    h = 1.2
    arrow(ax, (centre["frames"][0] + h, 4.1), (centre["qnet"][0] - h, 4.1))
    arrow(ax, (centre["qnet"][0] + h, 4.1), (centre["q"][0] - h, 4.1))
    ax.text(8.3, 4.75, "act: argmax$_a$", fontsize=8, ha="center")
    arrow(
        ax, (centre["q"][0], 3.6), (centre["qnet"][0] + 0.5, 3.6), color=PALETTE["vermillion"], linestyle="--", rad=-0.5
    )
    ax.text(
        5.85,
        2.68,
        "train towards $r + \\gamma \\max_{a'} Q(s', a')$",
        ha="center",
        fontsize=8,
        color=PALETTE["vermillion"],
    )
    arrow(ax, (centre["board"][0] + h, 1.5), (centre["policy"][0] - h, 2.0))
    arrow(ax, (centre["board"][0] + h, 1.1), (centre["value"][0] - h, 0.6))
    arrow(ax, (centre["policy"][0] + h, 2.0), (centre["mcts"][0] - h, 1.5))
    arrow(ax, (centre["value"][0] + h, 0.6), (centre["mcts"][0] - h, 1.1))
    arrow(ax, (centre["mcts"][0] + h, 1.3), (9.38, 1.3))
    ax.text(9.0, 0.5, "play the\nmove", fontsize=8, ha="center")
    return fig
