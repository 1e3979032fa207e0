"""Fixtures for the checks of the course's static website (``docs/``, built into build/site/html).

* Every test module here is marked ``site`` (``pytestmark``; ``-m site`` / ``-m 'not site'``).
* ``site_html``: the built site. ``$COURSE_SITE_HTML`` when set (it must hold a built site);
  otherwise ``build/site/html``, built first with ``python docs/build_site.py`` when it has no
  index.html (which executes the notebooks unless nbval saved them: minutes).
* ``site_server``: ``site_html`` served by Python's http.server on a free port of 127.0.0.1.
* ``browser``: Debian's Chromium (``$CHROMIUM``, default /usr/bin/chromium) driven by Playwright.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SITE_DIR = REPO / "docs"
# The site's modules (settings, leaks, assemble, ...): docs/ is a folder of scripts, not a package
# (`site` is a standard-library module).
sys.path.insert(0, str(SITE_DIR))
# Chromium as the JupyterLab browser test launches it (no background traffic; --no-sandbox as root).
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import settings  # noqa: E402
from labdriver import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


@pytest.fixture(scope="session")
def site_html() -> Path:
    given = os.environ.get("COURSE_SITE_HTML")
    html = Path(given) if given else settings.HTML_DIR
    if not (html / "index.html").is_file():
        if given:
            pytest.fail(f"COURSE_SITE_HTML={given} holds no built site (no index.html)")
        subprocess.run([sys.executable, str(SITE_DIR / "build_site.py")], check=True, cwd=REPO)
    return html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def site_server(site_html):
    """The base URL (``http://127.0.0.1:<port>/``) of a local server of the built site."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=site_html))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`apt-get install chromium`)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
