"""``python -m classroom.validate NOTEBOOK ...``: nbgrader's validation, with an exit status.

``nbgrader validate`` prints "VALIDATION FAILED ON N CELL(S)!" and still exits 0, so a
script or CI job cannot tell. This runs the same validator (nbgrader's ``Validator``: the
notebook is executed as the autograder does, without the hidden tests) and exits

* 0 when every test cell passes,
* 1 when a test cell fails, a read-only cell was changed, or a cell's type was changed,
* 2 when a notebook is missing or cannot be read.

Each failure is printed whole, wrapped at nbgrader's line width (90), where ``nbgrader validate``
cuts every line at that width and loses the end of a long message, the hint that says what is
wrong ("Likely cause: ...").

Students: ``python -m classroom.validate backprop/backprop.ipynb`` before submitting
(the *Validate* button in JupyterLab runs the same check).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def wrap_lines(text: str, indent: str = "    ", width: int = 90) -> str:
    """``text`` indented by ``indent``, each line longer than ``width`` wrapped (never cut); a
    continuation keeps the line's own indentation plus two spaces. Colour codes are removed."""
    out = []
    for line in ANSI_ESCAPE.sub("", text).split("\n"):
        body = line.rstrip()
        own = indent + body[: len(body) - len(body.lstrip())]
        out.extend(
            textwrap.wrap(
                body.lstrip(),
                width=width,
                initial_indent=own,
                subsequent_indent=own + "  ",
                break_long_words=True,
                break_on_hyphens=False,
            )
            or [indent.rstrip()]
        )
    return "\n".join(out)


def validate(path: Path) -> dict:
    """nbgrader's validation results for one notebook, printed as ``nbgrader validate`` does:
    a dict with the keys ``failed``, ``changed``, ``type_changed`` (or ``passed`` ...)."""
    from nbgrader.validator import Validator

    class Recording(Validator):
        results: dict = {}

        def _indent(self, val: str) -> str:  # nbgrader's cuts each line at `width`: wrap instead
            return wrap_lines(val, self.indent, self.width)

        def validate(self, filename):
            self.results = super().validate(filename)
            return self.results

    validator = Recording()
    validator.validate_and_print(str(path))
    return validator.results


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m classroom.validate", description=__doc__.split("\n")[0])
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
