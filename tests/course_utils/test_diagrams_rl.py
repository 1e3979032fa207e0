"""The agent-environment loop and the deep-RL map of notebook 09."""

import matplotlib.pyplot as plt
from diagram_checks import assert_box_diagram

from course_utils.diagrams import figure_html
from course_utils.diagrams.rl import DEEP_RL_BOXES, LOOP_BOXES, agent_environment_loop, deep_rl_map


def test_loop_is_a_titled_figure_with_alt_text_boxes_and_arrows():
    fig = agent_environment_loop()
    try:
        # action, observation/reward, reset
        ax = assert_box_diagram(fig, LOOP_BOXES, "The reinforcement-learning loop", arrows=3)
        assert len(LOOP_BOXES) == 2
        for words in ("agent", "env.step", "terminated", "truncated", "env.reset", "return"):
            assert words in fig.alt_text
        texts = " ".join(t.get_text() for t in ax.texts)
        assert "env.step(action)" in texts and "terminated, truncated" in texts and "env.reset()" in texts
        assert 'alt="Diagram of the reinforcement-learning loop' in figure_html(fig)
    finally:
        plt.close(fig)


def test_deep_rl_map_has_dqn_and_alphago():
    fig = deep_rl_map(title="custom")
    try:
        assert_box_diagram(fig, DEEP_RL_BOXES, "custom", arrows=8)
        assert len(DEEP_RL_BOXES) == 7
        assert "DQN" in fig.alt_text and "AlphaGo" in fig.alt_text and "value network" in fig.alt_text
    finally:
        plt.close(fig)
