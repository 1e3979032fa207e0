"""Links of the built site, checked offline by reading its files.

* Every relative ``href``/``src`` of every HTML page points to a file of the site, and every
  ``#anchor`` to an element with that id (or name) on the target page.
* No page loads anything from another host: no ``<script src>``, ``<link href>`` (stylesheets,
  icons, preloads), ``<img>``, ``<iframe>``, ``<source>``, ``<video>``/``<audio>``,
  ``<object>`` or ``<embed>`` with a URL of another host, no ``<style>`` and no stylesheet of
  the site that fetches a font or image (``url(...)``, ``@import``) from one.
Links to other sites (``<a href="https://...">``: the repository, Binder, nbgitpuller, nbgrader's
documentation) are allowed: a reader follows them, the page does not load them.
Each check is also run on a small fake site with the faults it must find.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.site

REPO = Path(__file__).resolve().parents[2]
# tag -> attributes whose URL the browser loads by itself, without a click
LOADED = {
    "script": ["src"],
    "link": ["href"],
    "img": ["src", "srcset"],
    "iframe": ["src"],
    "source": ["src", "srcset"],
    "video": ["src", "poster"],
    "audio": ["src"],
    "object": ["data"],
    "embed": ["src"],
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


def _is_external(url: str) -> bool:
    """Not a path inside the site: another host, or a data:, javascript:, mailto: URL."""
    return url.startswith("//") or bool(urlsplit(url).scheme)


def _remote(url: str) -> bool:
    """Fetched from another host (a data: or blob: URL is part of the page)."""
    return _is_external(url) and urlsplit(url).scheme not in ("data", "blob")


def _urls(tag, attr: str) -> list[str]:
    value = tag.get(attr)
    if not value:
        return []
    if attr == "srcset":
        return [part.strip().split()[0] for part in value.split(",") if part.strip()]
    return [value.strip()]


class Site:
    """The HTML pages of a built site, each parsed once."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        # Sphinx's HTML fragments under _static (theme macros) are templates, not pages
        self.pages = sorted(p for p in self.root.rglob("*.html") if "_static" not in p.relative_to(self.root).parts)
        self._soups: dict[Path, BeautifulSoup] = {}
        self._ids: dict[Path, set[str]] = {}

    def soup(self, page: Path) -> BeautifulSoup:
        if page not in self._soups:
            self._soups[page] = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        return self._soups[page]

    def ids(self, page: Path) -> set[str]:
        if page not in self._ids:
            soup = self.soup(page)
            self._ids[page] = {t["id"] for t in soup.find_all(id=True)} | {
                t["name"] for t in soup.find_all("a", attrs={"name": True})
            }
        return self._ids[page]

    def broken_links(self) -> list[str]:
        broken = []
        for page in self.pages:
            rel = page.relative_to(self.root).as_posix()
            for tag in self.soup(page).find_all(True):
                for attr in ("href", "src", "srcset", "poster", "data"):
                    for url in _urls(tag, attr):
                        if _is_external(url):
                            continue
                        parts = urlsplit(url)
                        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
                        if target.is_dir():
                            target = target / "index.html"
                        if self.root not in target.parents:
                            broken.append(f"{rel}: {url} points outside the site")
                        elif not target.is_file():
                            broken.append(f"{rel}: {url} (no file {target.relative_to(self.root)})")
                        elif (
                            parts.fragment
                            and target.suffix == ".html"
                            and unquote(parts.fragment) not in self.ids(target)
                        ):
                            broken.append(f"{rel}: {url} (no id {parts.fragment!r} there)")
        return broken

    def remote_loads(self) -> list[str]:
        found = []
        for page in self.pages:
            rel = page.relative_to(self.root).as_posix()
            soup = self.soup(page)
            for tag_name, attrs in LOADED.items():
                for tag in soup.find_all(tag_name):
                    for attr in attrs:
                        found += [f"{rel}: <{tag_name} {attr}={url}>" for url in _urls(tag, attr) if _remote(url)]
            for style in soup.find_all("style"):
                urls = [u for m in CSS_URL.finditer(style.get_text()) for u in m.groups() if u]
                found += [f"{rel}: <style> {u}" for u in urls if _remote(u)]
        for css in sorted(self.root.rglob("*.css")):
            text = css.read_text(encoding="utf-8", errors="replace")
            urls = [u for m in CSS_URL.finditer(text) for u in m.groups() if u]
            found += [f"{css.relative_to(self.root)}: {u}" for u in urls if _remote(u)]
        return found


@pytest.fixture(scope="module")
def site(site_html) -> Site:
    return Site(site_html)


def test_site_has_the_course_pages(site):
    names = {p.relative_to(site.root).as_posix() for p in site.pages}
    expected = {"index.html", "instructors/assignments.html", "instructors/grading.html"}
    expected |= {f"notebooks/{nb.stem}.html" for nb in (REPO / "notebooks").glob("*.ipynb")}
    expected |= {f"assignments/{d.name}.html" for d in (REPO / "assignments" / "source").iterdir() if d.is_dir()}
    assert expected <= names, f"missing pages: {sorted(expected - names)}"


def test_internal_links_resolve(site):
    broken = site.broken_links()
    assert broken == [], f"{len(broken)} broken links:\n" + "\n".join(broken[:100])


def test_pages_load_nothing_from_other_hosts(site):
    remote = site.remote_loads()
    assert remote == [], "the site loads from other hosts:\n" + "\n".join(remote[:100])


FAKE_PAGE = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="_static/ok.css"><link rel="stylesheet" href="https://cdn.example/x.css">
<script src="//cdn.example/x.js"></script><style>@import "https://fonts.example/f.css";</style>
</head><body id="top">
<a href="#top">ok</a> <a href="other.html#there">ok</a> <a href="https://example.org/">a link, not a load</a>
<a href="missing.html">broken</a> <a href="other.html#nowhere">broken anchor</a> <a href="#nothere">broken</a>
<img src="data:image/png;base64,AA"> <img src="_images/gone.png"> <img src="https://img.example/a.png">
</body></html>"""


def test_the_checks_find_what_they_look_for(tmp_path):
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "ok.css").write_text("@font-face { src: url(https://fonts.example/a.woff2); }")
    (tmp_path / "other.html").write_text('<html><body><p id="there">x</p></body></html>')
    (tmp_path / "index.html").write_text(FAKE_PAGE)
    fake = Site(tmp_path)
    broken = fake.broken_links()
    assert [b.split(": ", 1)[1].split(" ")[0] for b in broken] == [
        "missing.html",
        "other.html#nowhere",
        "#nothere",
        "_images/gone.png",
    ], broken
    remote = fake.remote_loads()
    assert len(remote) == 5, remote  # the stylesheet, script, @import, image, and the font in ok.css


@pytest.mark.parametrize("url", ["https://cdn.example/x.js", "//cdn.example/x.js", "http://x/y.css"])
def test_urls_of_other_hosts_are_recognised(url):
    assert _remote(url)


@pytest.mark.parametrize("url", ["../_static/x.js", "x.html#a", "#top", "_images/a.png", "data:image/png;base64,AA"])
def test_urls_of_the_site_are_recognised(url):
    assert not _remote(url)
