"""Sphinx configuration of the course's website (MyST-NB + sphinx-book-theme).

The source folder is ``build/site-src``, laid out by ``build_site.py`` (see ``assemble.py``);
this folder holds only the configuration and the build scripts. Build with
``python docs/build_site.py``; ``docs/README.md`` explains the pieces and the settings.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import settings  # noqa: E402 (this folder, put on the path just above)
import vendor  # noqa: E402

project = "Neural networks, hands on"
author = "the course's authors"
copyright = "the course's authors, MIT licence"

extensions = ["myst_nb", "sphinx_design"]
exclude_patterns = ["**/.ipynb_checkpoints"]

# MyST: $...$ and $$...$$ math, ::: directives (the solutions' dropdowns), GitHub-style anchors
# for headings, so that a link such as GRADING.md#section keeps working on the site.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# The notebooks arrive executed (build_site.py); Sphinx never runs a kernel.
nb_execution_mode = "off"
nb_merge_streams = True

# Everything a page loads comes from the site itself (vendor.py takes it from npm at build time):
# MathJax 3, and for pages with widgets RequireJS and the ipywidgets 8 HTML manager.
# _static/course-widgets.js tells the widget manager where its fonts are and lets it typeset with
# MathJax 3.
html_static_path = ["_static", str(vendor.STATIC_DIR)]
mathjax_path = "mathjax/tex-mml-chtml.js"
nb_ipywidgets_js = {"require.js": {}, "course-widgets.js": {}, "widgets/embed-amd.js": {}}
html_css_files = ["course-site.css"]  # progress bars in a narrow column
# the search button's and the widget sliders' accessible names (found by the axe-core audit)
html_js_files = ["course-a11y.js"]

html_theme = "sphinx_book_theme"
html_title = project
# light by default: the figures are drawn on white (a reader can still switch to dark)
html_context = {"default_mode": "light"}
html_theme_options = {
    "repository_url": settings.REPOSITORY_URL,
    "repository_branch": settings.REPOSITORY_BRANCH,
    "path_to_docs": "",  # a page's path in build/site-src is the notebook's path in the repository
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": True,
    "launch_buttons": {
        "notebook_interface": "jupyterlab",
        "binderhub_url": settings.BINDERHUB_URL,
        "jupyterhub_url": settings.JUPYTERHUB_URL,
    },
    "show_toc_level": 2,
}


def _no_launch_buttons_on_assignments(app, pagename, templatename, context, doctree):
    """An assignment page shows the student version, which is not a file of the repository:
    a launch link would open nothing (or, worse, the instructor's source)."""
    if pagename.startswith("assignments/") and "header_buttons" in context:
        context["header_buttons"] = [b for b in context["header_buttons"] if b.get("label") != "launch-buttons"]


def setup(app):
    if not vendor.is_current():
        raise RuntimeError(f"{vendor.STATIC_DIR} is missing or out of date: run `python docs/build_site.py`")
    # after sphinx-book-theme's own handler (priority 500), which adds the launch buttons
    app.connect("html-page-context", _no_launch_buttons_on_assignments, priority=900)
