"""The JavaScript the site's pages load, fetched from the npm registry at build time.

Sphinx and MyST-NB load MathJax, require.js and the widget manager from CDNs by default; the
course's pages must work without the internet, so the build takes them from npm instead
(``npm pack``: one tarball per package, no dependency tree), checks each tarball against the
integrity hash pinned here, and lays out the files the pages need under
``build/site-vendor/static/``, which ``conf.py`` adds to ``html_static_path``:

* ``mathjax/``: MathJax 3's ``es5`` components (``tex-mml-chtml.js`` with its fonts and the
  extensions it loads on demand), for Sphinx's ``mathjax_path``;
* ``require.js``: RequireJS, which the widget manager's AMD bundle needs;
* ``widgets/``: ``@jupyter-widgets/html-manager``'s ``embed-amd.js`` (the ipywidgets 8 widget
  manager with the built-in controls) and the icon fonts next to it (it loads them relative
  to its own URL), for MyST-NB's ``nb_ipywidgets_js``.

Nothing in ``build/`` is committed. Run ``python docs/vendor.py`` to fetch them on their own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENDOR_DIR = REPO / "build" / "site-vendor"
STATIC_DIR = VENDOR_DIR / "static"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's dist.integrity (sha512 of the tarball)
    target: str  # folder or file under STATIC_DIR
    files: tuple[str, ...]  # paths inside the tarball's package/ folder; a trailing / takes a folder


PACKAGES = (
    Package(
        "mathjax",
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "mathjax",
        # the combined component and what it loads lazily (TeX extensions, fonts, the menu,
        # the accessibility tools and their speech rules); not the other combined bundles
        (
            "es5/tex-mml-chtml.js",
            "es5/input/",
            "es5/output/",
            "es5/a11y/",
            "es5/ui/",
            "es5/adaptors/",
            "es5/sre/",
            "LICENSE",
        ),
    ),
    Package(
        "requirejs",
        "2.3.8",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        "require.js",
        ("require.js",),
    ),
    Package(
        "@jupyter-widgets/html-manager",
        "1.0.15",  # the ipywidgets 8.1 line (widget protocol 2)
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        "widgets",
        # the bundle and the Font Awesome files it loads relative to itself
        ("dist/embed-amd.js", "dist/*.woff2", "dist/*.woff", "dist/*.ttf", "dist/*.eot", "dist/*.svg"),
    ),
)
STAMP = STATIC_DIR / "versions.json"
# axe-core, the accessibility audit the site's browser test runs on every page: a test tool, kept
# out of STATIC_DIR (the site does not ship it).
AUDIT = Package(
    "axe-core",
    "4.14.1",
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
    "axe.min.js",
    ("axe.min.js",),
)


def _wanted() -> dict[str, str]:
    return {p.name: p.version for p in PACKAGES}


def is_current() -> bool:
    """The files under STATIC_DIR come from exactly the pinned versions."""
    try:
        return json.loads(STAMP.read_text()) == _wanted()
    except (OSError, ValueError):
        return False


def _check_integrity(tarball: Path, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise RuntimeError(f"{tarball.name}: {algorithm} {digest} does not match the pinned {expected}")


def _npm_pack(package: Package) -> Path:
    """The package's tarball in VENDOR_DIR, downloaded with `npm pack` unless already there."""
    spec = f"{package.name}@{package.version}"
    tarball = VENDOR_DIR / f"{package.name.lstrip('@').replace('/', '-')}-{package.version}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm not found: it is needed once to fetch {spec} (Debian: apt-get install npm)")
        subprocess.run(
            [npm, "pack", "--silent", "--pack-destination", str(VENDOR_DIR), spec],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    _check_integrity(tarball, package.integrity)
    return tarball


def _matches(member: str, pattern: str) -> bool:
    if pattern.endswith("/"):
        return member.startswith(pattern)
    return Path(member).match(pattern) if "*" in pattern else member == pattern


def _extract(package: Package, tarball: Path) -> int:
    """Copy the package's wanted files under STATIC_DIR/target; the number of files."""
    target = STATIC_DIR / package.target
    count = 0
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            inner = member.name.removeprefix("package/")
            pattern = next((p for p in package.files if _matches(inner, p)), None)
            if pattern is None:
                continue
            if len(package.files) == 1 and not pattern.endswith("/"):
                dest = target  # a single file: target is its name
            else:
                # es5/input/tex.js -> mathjax/input/tex.js; dist/x.woff -> widgets/x.woff
                top = pattern.split("/")[0] + "/" if "/" in pattern else ""
                dest = target / inner.removeprefix(top)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src:
                dest.write_bytes(src.read())
            count += 1
    if not count:
        raise RuntimeError(f"{tarball.name} held none of {package.files}")
    return count


def audit_script() -> Path:
    """axe-core's ``axe.min.js`` (pinned, checked), fetched from npm once into VENDOR_DIR/audit/."""
    dest = VENDOR_DIR / "audit" / f"axe-{AUDIT.version}.min.js"
    if not dest.exists():
        VENDOR_DIR.mkdir(parents=True, exist_ok=True)
        with tarfile.open(_npm_pack(AUDIT)) as tar, tar.extractfile("package/axe.min.js") as src:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(src.read())
    return dest


def vendor(force: bool = False) -> Path:
    """Make STATIC_DIR hold the pinned packages' files; returns STATIC_DIR."""
    if is_current() and not force:
        return STATIC_DIR
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    if STATIC_DIR.exists():
        shutil.rmtree(STATIC_DIR)
    for package in PACKAGES:
        count = _extract(package, _npm_pack(package))
        print(f"vendored {package.name}@{package.version}: {count} files -> {STATIC_DIR / package.target}")
    STAMP.write_text(json.dumps(_wanted(), indent=1) + "\n")
    return STATIC_DIR


if __name__ == "__main__":
    vendor(force="--force" in sys.argv[1:])
