"""``python -m course_utils.validate NOTEBOOK ...``: nbgrader's validation, with an exit status.

``nbgrader validate`` prints "VALIDATION FAILED ON N CELL(S)!" and still exits 0, so a
script or CI job cannot tell. This runs the same validator (nbgrader's ``Validator``: the
notebook is executed as the autograder does, without the hidden tests) and exits

* 0 when every test cell passes,
* 1 when a test cell fails, a read-only cell was changed, or a cell's type was changed,
* 2 when a notebook is missing or cannot be read.

Students: ``python -m course_utils.validate backprop/backprop.ipynb`` before submitting
(the *Validate* button in JupyterLab runs the same check).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def validate(path: Path) -> dict:
    """nbgrader's validation results for one notebook, printed as ``nbgrader validate`` does:
    a dict with the keys ``failed``, ``changed``, ``type_changed`` (or ``passed`` ...)."""
    from nbgrader.validator import Validator

    class Recording(Validator):
        results: dict = {}

        def validate(self, filename):
            self.results = super().validate(filename)
            return self.results

    validator = Recording()
    validator.validate_and_print(str(path))
    return validator.results


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_utils.validate", description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="+", type=Path)
    a = p.parse_args(argv)
    status = 0
    for path in a.notebooks:
        if not path.is_file():
            print(f"{path}: no such notebook", file=sys.stderr)
            status = max(status, 2)
            continue
        try:
            results = validate(path)
        except Exception as e:  # noqa: BLE001 (nbformat/JSON errors: report and go on)
            print(f"{path}: cannot be validated: {type(e).__name__}: {e}", file=sys.stderr)
            status = max(status, 2)
            continue
        if any(results.get(k) for k in ("failed", "changed", "type_changed")):
            status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
