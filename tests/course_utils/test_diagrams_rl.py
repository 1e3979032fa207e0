"""The agent-environment loop and the deep-RL map of notebook 09."""

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE, figure_html
from course_utils.diagrams.rl import DEEP_RL_BOXES, LOOP_BOXES, agent_environment_loop, deep_rl_map

SAFE = {c.upper() for c in PALETTE.values()}


def _patches(ax, kind):
    return [p for p in ax.patches if isinstance(p, kind)]


def test_loop_is_a_titled_figure_with_alt_text_boxes_and_arrows():
    fig = agent_environment_loop()
    try:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_title() == "The reinforcement-learning loop"
        for words in ("agent", "env.step", "terminated", "truncated", "env.reset", "return"):
            assert words in fig.alt_text
        assert len(_patches(ax, FancyBboxPatch)) == len(LOOP_BOXES) == 2
        assert len(_patches(ax, FancyArrowPatch)) == 3  # action, observation/reward, reset
        texts = " ".join(t.get_text() for t in ax.texts)
        assert "env.step(action)" in texts and "terminated, truncated" in texts and "env.reset()" in texts
        colours = {matplotlib.colors.to_hex(p.get_facecolor()[:3]).upper() for p in _patches(ax, FancyBboxPatch)}
        assert colours <= SAFE
        assert 'alt="Diagram of the reinforcement-learning loop' in figure_html(fig)
    finally:
        plt.close(fig)


def test_deep_rl_map_has_dqn_and_alphago():
    fig = deep_rl_map(title="custom")
    try:
        ax = fig.axes[0]
        assert ax.get_title() == "custom"
        assert "DQN" in fig.alt_text and "AlphaGo" in fig.alt_text and "value network" in fig.alt_text
        assert len(_patches(ax, FancyBboxPatch)) == len(DEEP_RL_BOXES) == 7
        texts = [t.get_text() for t in ax.texts]
        for _, label, _, _ in DEEP_RL_BOXES:
            assert label in texts
        colours = {matplotlib.colors.to_hex(p.get_facecolor()[:3]).upper() for p in _patches(ax, FancyBboxPatch)}
        assert colours <= SAFE
    finally:
        plt.close(fig)
