"""Where the site is built, and the addresses its launch buttons and links point to.

Every address can be changed with an environment variable at build time:

``COURSE_REPOSITORY_URL``
    the course's public GitHub repository (the repository button, Binder and nbgitpuller
    links, links to repository files that are not pages of the site). The GitHub workflow
    sets it to the repository it runs in; the default is a placeholder.
``COURSE_REPOSITORY_BRANCH``
    the branch Binder and nbgitpuller check out (default ``main``).
``COURSE_BINDERHUB_URL``
    the BinderHub that builds the repository's ``environment.yml`` with repo2docker
    (default ``https://mybinder.org``; empty: no Binder button).
``COURSE_JUPYTERHUB_URL``
    the class's JupyterHub, with nbgitpuller installed. The default is a placeholder address
    that an instructor replaces by the hub's own (empty: no JupyterHub button). The link is
    ``<hub>/hub/user-redirect/git-pull?repo=<repository>&urlpath=lab/tree/<repo>/notebooks/...``.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build"
SITE_SRC = BUILD / "site-src"  # the Sphinx source, assembled by build_site.py (never edited by hand)
SITE_OUT = BUILD / "site"
HTML_DIR = SITE_OUT / "html"
DOCTREES = SITE_OUT / "doctrees"
WARNINGS_LOG = SITE_OUT / "warnings.log"
BUILD_INFO = SITE_OUT / "build-info.json"

REPOSITORY_URL = os.environ.get("COURSE_REPOSITORY_URL", "https://github.com/your-org/nn-course").rstrip("/")
REPOSITORY_BRANCH = os.environ.get("COURSE_REPOSITORY_BRANCH", "main")
BINDERHUB_URL = os.environ.get("COURSE_BINDERHUB_URL", "https://mybinder.org")
JUPYTERHUB_URL = os.environ.get("COURSE_JUPYTERHUB_URL", "https://your-hub.example.org")
