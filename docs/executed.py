"""The executed notebooks the site is built from: ``build/executed/<name>.ipynb``.

Each course notebook is executed once per CI run. nbval executes it for the tests and
``nbval_export.py`` saves that run here; ``build_site.py`` reuses it and executes with nbclient
only a notebook that is missing or stale. Either way the saved notebook carries a stamp in its
metadata (``course_site``) that says what it was executed from: the notebook's bytes and the
``course_utils`` package it imports. A stamp that no longer matches the checkout is stale.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
EXECUTED_DIR = REPO / "build" / "executed"
STAMP_KEY = "course_site"
CELL_TIMEOUT_S = 600  # as nbval's --nbval-cell-timeout in the Makefile


def _sha256_of_tree(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def stamp(source: Path, executed_by: str) -> dict:
    """What a notebook executed from ``source`` now is executed from."""
    return {
        "executed_by": executed_by,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "course_utils_sha256": _sha256_of_tree(REPO / "course_utils"),
    }


def read_stamp(executed: Path) -> dict:
    """The stamp of a saved notebook; {} when there is none (or no readable notebook)."""
    try:
        return dict(nbformat.read(executed, as_version=4).metadata.get(STAMP_KEY, {}))
    except (OSError, ValueError):
        return {}


def is_fresh(executed: Path, source: Path) -> bool:
    """``executed`` exists and was executed from ``source`` and course_utils as they are now."""
    saved = read_stamp(executed)
    now = stamp(source, "")
    return all(saved.get(key) == now[key] for key in ("source_sha256", "course_utils_sha256"))


def save(nb: nbformat.NotebookNode, source: Path, executed_by: str, out_dir: Path = EXECUTED_DIR) -> Path:
    """Write the executed ``nb`` as ``out_dir/<source name>`` with its stamp."""
    nb.metadata[STAMP_KEY] = stamp(source, executed_by)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / source.name
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)  # a reader never sees half a notebook
    return target


def _this_python_kernel_manager():
    """A kernel manager for this interpreter (like nbval's --nbval-current-env), whatever
    kernelspec named python3 the machine may have elsewhere."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (ipykernel)",
                language="python",
            )

    return KernelManager(kernel_spec_manager=ThisPython(), kernel_name="python3")


def execute(source: Path, out_dir: Path = EXECUTED_DIR) -> Path:
    """Execute ``source`` with nbclient in its own folder, widget state kept, and save it."""
    from nbclient import NotebookClient

    nb = nbformat.read(source, as_version=4)
    km = _this_python_kernel_manager()
    client = NotebookClient(
        nb,
        km=km,
        timeout=CELL_TIMEOUT_S,
        store_widget_state=True,
        record_timing=False,
        resources={"metadata": {"path": str(source.parent)}},
    )
    try:
        client.execute()
    finally:
        if km.has_kernel:  # nbclient leaves a kernel it was given running
            km.shutdown_kernel(now=True)
    return save(nb, source, "nbclient", out_dir)
