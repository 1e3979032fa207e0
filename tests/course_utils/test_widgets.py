import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from course_utils.widgets import explorer


def test_explorer_renders_default_state_and_follows_controls():
    calls = []

    def render(freq, label):
        calls.append((freq, label))
        fig, ax = plt.subplots()
        ax.set_title(f"{label} {freq}")
        return fig

    slider = widgets.IntSlider(value=2, min=1, max=5)
    box = explorer(render, freq=slider, label=widgets.Text(value="sin"))
    assert calls == [(2, "sin")]  # default drawn at once, no interaction needed
    assert box.values() == {"freq": 2, "label": "sin"}
    slider.value = 4
    assert calls[-1] == (4, "sin")
    assert box.last_result.axes[0].get_title() == "sin 4"
    assert not plt.get_fignums()  # figures are closed after display


def test_explorer_bad_controls():
    with pytest.raises(ValueError):
        explorer(lambda: None)
    with pytest.raises(ValueError):
        explorer(lambda x: None, x=widgets.Button())
