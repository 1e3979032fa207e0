"""The notebook harness itself: a cell that writes to stderr fails, and times are reported."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]


def run_nbval(tmp_path, source):
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    nb = new_notebook(
        cells=[new_code_cell(source)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = probe_dir / "probe.ipynb"
    nbformat.write(nb, path)
    env = dict(os.environ, NOTEBOOK_REPORT=str(tmp_path / "times.md"), PYTHONPATH=str(ROOT))
    # The repository's conftest.py (the harness plugin) loaded by name, outside the repository:
    # the probe writes nothing into the checkout.
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conftest",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_stderr_output_fails_the_cell(tmp_path):
    result = run_nbval(tmp_path, "import warnings\nwarnings.warn('noisy')")
    assert result.returncode != 0, result.stdout
    assert "cell wrote to stderr" in result.stdout and "noisy" in result.stdout


def test_clean_notebook_passes_and_its_time_is_reported(tmp_path):
    result = run_nbval(tmp_path, "print('hello')")
    assert result.returncode == 0, result.stdout
    assert "Notebook wall times" in result.stdout and "probe.ipynb" in result.stdout
    assert "probe.ipynb" in (tmp_path / "times.md").read_text()
