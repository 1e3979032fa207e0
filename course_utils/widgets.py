"""Interactive explorers for the notebooks.

Pattern: the logic is a plain function (tested without a browser) that takes
the control values and returns a matplotlib Figure or text; :func:`explorer`
wires ipywidgets controls to it. The explorer draws its default state as soon
as it is built, so a notebook run non-interactively (nbval, CI) still shows
a picture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display


class Explorer(widgets.VBox):
    """A column of controls above an output area that shows ``render(**values)``.

    Attributes:
        controls: name -> widget, in the order shown.
        output: the ipywidgets Output holding the latest rendering.
        last_result: what ``render`` returned most recently (a Figure, text, ...).
    """

    def __init__(self, render: Callable, controls: Mapping[str, widgets.ValueWidget]):
        if not controls:
            raise ValueError("an explorer needs at least one control")
        for name, control in controls.items():
            if not hasattr(control, "value"):
                raise ValueError(f"control {name!r} is not a value widget: {control!r}")
        self.render = render
        self.controls = dict(controls)
        self.output = widgets.Output()
        self.last_result = None
        super().__init__([*self.controls.values(), self.output])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict:
        """Current value of every control, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def refresh(self):
        """Re-render with the current control values; returns what ``render`` returned."""
        result = self.render(**self.values())
        self.last_result = result
        with self.output:
            self.output.clear_output(wait=True)
            display(result)
        if isinstance(result, plt.Figure):
            plt.close(result)  # shown once, inside the output area only
        return result

    def _on_change(self, _change):
        self.refresh()


def explorer(render: Callable, **controls: widgets.ValueWidget) -> Explorer:
    """Build an :class:`Explorer`: ``explorer(draw, lr=FloatSlider(...), steps=IntSlider(...))``.

    ``render`` is called with one keyword argument per control and should return
    a matplotlib Figure (or anything IPython can display).
    """
    return Explorer(render, controls)
