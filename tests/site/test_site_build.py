"""How the site is built: warnings are errors, and Sphinx executes nothing.

* the built site records that Sphinx ran with warnings as errors (``build/site/build-info.json``)
  and its warnings log is empty;
* the same command, with the site's own configuration, fails on a page with a broken link;
* ``conf.py`` turns MyST-NB's execution off: the notebooks arrive executed.
"""

from __future__ import annotations

import json
import subprocess

import build_site
import conf
import pytest

pytestmark = pytest.mark.site


def test_the_site_was_built_with_warnings_as_errors_and_none(site_html):
    info = json.loads((site_html.parent / "build-info.json").read_text())
    assert info["warnings_as_errors"] and "-W" in info["sphinx_command"]
    assert (site_html.parent / "warnings.log").read_text().strip() == ""


def test_a_warning_fails_the_build(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "index.md").write_text("# A page\n\nA [link to nowhere](missing.md).\n")
    warnings = tmp_path / "warnings.log"
    command = build_site.sphinx_command(src, tmp_path / "html", tmp_path / "doctrees", warnings)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "missing.md" in warnings.read_text()


def test_sphinx_executes_no_notebook():
    assert conf.nb_execution_mode == "off"
