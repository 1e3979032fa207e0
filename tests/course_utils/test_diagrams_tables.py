"""The diagrams drawn from a table of boxes ``(key, label, centre, colour)``: the variational autoencoder
(notebook 07), the GAN's two-player loop (08), the agent-environment loop and the deep-RL map (09) and style
transfer (10). Each has one box per row, its arrows, its title and alt text; what one diagram says besides
is tested after."""

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE, figure_html
from course_utils.diagrams.gan import GAN_BOXES, gan_loop
from course_utils.diagrams.rl import DEEP_RL_BOXES, LOOP_BOXES, agent_environment_loop, deep_rl_map
from course_utils.diagrams.style import STYLE_BOXES, style_transfer_loop
from course_utils.diagrams.vae import VAE_BOXES, vae_diagram

SAFE = {c.upper() for c in PALETTE.values()}  # the colour-blind-safe palette

# the function, its table, how many boxes, its default title, how many arrows, phrases of its alt text
DIAGRAMS = [
    pytest.param(
        vae_diagram,
        VAE_BOXES,
        8,
        "The variational autoencoder",
        10,  # x->enc, enc->mu, enc->logvar, mu->z, logvar->z, eps->z, z->dec, dec->x_hat, 2 losses
        ("encoder", "log-variance", "epsilon", "decoder", "KL divergence", "reconstruction error"),
        id="vae",
    ),
    pytest.param(
        gan_loop,
        GAN_BOXES,
        6,
        "One round of the GAN game",
        8,  # z->G, G->x~, x~->D, x->D, D->prob, the D loss, the G loss (two segments)
        ("generator G", "discriminator D", "back through D into G"),
        id="gan",
    ),
    pytest.param(
        agent_environment_loop,
        LOOP_BOXES,
        2,
        "The reinforcement-learning loop",
        3,  # action, observation/reward, reset
        ("agent", "env.step", "terminated", "truncated", "env.reset", "return"),
        id="rl-loop",
    ),
    pytest.param(
        deep_rl_map,
        DEEP_RL_BOXES,
        7,
        "Where this leads: deep networks inside RL agents",
        8,
        ("DQN", "AlphaGo", "value network"),
        id="deep-rl",
    ),
    pytest.param(
        style_transfer_loop,
        STYLE_BOXES,
        7,
        "Style transfer: optimise the pixels, not the network",
        11,  # 3 images in, features and Grams out, 2 into the total, the gradient (4 pieces)
        ("Gram matrices", "pixels of x", "never changes"),
        id="style",
    ),
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def patches(ax, kind) -> list:
    return [p for p in ax.patches if isinstance(p, kind)]


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


@pytest.mark.parametrize("draw, table, n_boxes, title, arrows, phrases", DIAGRAMS)
def test_a_box_diagram_has_its_title_boxes_arrows_and_alt_text(draw, table, n_boxes, title, arrows, phrases):
    assert len(table) == n_boxes
    for fig, shown_title in ((draw(), title), (draw(title="custom"), "custom")):
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_title() == shown_title
        boxes = patches(ax, FancyBboxPatch)
        assert len(boxes) == n_boxes and len(patches(ax, FancyArrowPatch)) == arrows
        drawn = texts(fig)
        for _, label, _, _ in table:
            assert label in drawn
        assert {to_hex(p.get_facecolor()[:3]).upper() for p in boxes} <= SAFE
        for words in phrases:
            assert words in fig.alt_text, words


@pytest.mark.parametrize(
    "draw, colours",
    [(vae_diagram, ("vermillion", "purple")), (gan_loop, ("blue", "vermillion"))],
    ids=["vae", "gan"],
)
def test_the_two_losses_have_their_own_colours(draw, colours):
    ax = draw().axes[0]
    losses = {to_hex(t.get_color()).upper() for t in ax.texts if "loss" in t.get_text() or "KL" in t.get_text()}
    assert losses == {PALETTE[c].upper() for c in colours}


def test_vae_diagram_names_its_two_losses():
    drawn = texts(vae_diagram())
    assert any(t.startswith("reconstruction loss") for t in drawn) and any("KL" in t for t in drawn)


def test_gan_loop_names_its_losses_and_the_labels_of_real_and_fake():
    drawn = texts(gan_loop())
    assert any(t.startswith("D loss") for t in drawn) and any(t.startswith("G loss") for t in drawn)
    assert "real: label 1" in drawn and "fake: label 0" in drawn


def test_rl_loop_shows_the_gymnasium_calls_and_its_alt_text():
    fig = agent_environment_loop()
    drawn = " ".join(texts(fig))
    assert "env.step(action)" in drawn and "terminated, truncated" in drawn and "env.reset()" in drawn
    assert 'alt="Diagram of the reinforcement-learning loop' in figure_html(fig)
