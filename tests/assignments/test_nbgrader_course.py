"""The graded assignments and their grader, end to end with nbgrader's real CLI.

A module-scoped fixture copies the course (``assignments/``) into a temporary
directory and, there, does what an instructor does:

1. ``nbgrader generate_assignment`` for each assignment (the release);
2. makes the submissions: the reference solution typed into the release (student
   ``reference``), the untouched release (``blank``) and, per assignment, realistic
   mistakes made by text substitution on the reference (one student per mutant);
3. grades them the two ways the course documents: ``nbgrader autograde`` (both assignments
   at once, in two processes) on ``submitted/`` holding the reference, the blank release and
   the first mutants (:data:`BY_NBGRADER`), and the batch grader (``python -m grader``,
   ``assignments/GRADING.md``) on the other mutants, into the same gradebook: one kernel per
   submission in nbgrader took about 7 s each, and the batch grader grades the same notebooks
   to the same scores about six times faster, so the suite runs the mutants through it;
4. ``assignments/grade.sh`` (the instructor's wrapper: autograde - which now skips
   what is graded - generate_feedback, export).

The tests then read the gradebook and the generated files. A table of every
submission's score is written to ``$COURSE_REPORTS/assignment-grading.md`` (make test: reports/).
"""

from __future__ import annotations

import csv
import inspect
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader import batch as batch_grade
from grader.limits import Limits
from grader.privacy import GENERATED

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "assignments"
ASSIGNMENTS = ("backprop", "convolution")
# Written only when COURSE_REPORTS names a folder (the Makefile's test targets: reports/).
REPORT = Path(os.environ["COURSE_REPORTS"]) / "assignment-grading.md" if os.environ.get("COURSE_REPORTS") else None


@dataclass(frozen=True)
class Mutant:
    """A realistic mistake: text substitutions in one answer cell of the reference solution."""

    name: str
    cell: str  # grade_id of the answer cell
    edits: tuple  # (old, new) pairs; each old must occur exactly once
    loses: tuple  # grade_ids of the test cells that must lose points
    what: str = field(default="")  # the mistake, in words


MUTANTS = {
    "backprop": [
        Mutant(
            "numgrad_one_sided",
            "numerical_gradient",
            (
                ("x[i] = old - h\n        f_minus = f(x)", "x[i] = old\n        f_minus = f(x)"),
                ("(f_plus - f_minus) / (2 * h)", "(f_plus - f_minus) / h"),
            ),
            ("test_numerical_gradient",),
            "one-sided difference (f(x+h) - f(x)) / h",
        ),
        Mutant(
            "numgrad_divides_by_h",
            "numerical_gradient",
            (("(f_plus - f_minus) / (2 * h)", "(f_plus - f_minus) / h"),),
            ("test_numerical_gradient",),
            "central difference divided by h instead of 2h",
        ),
        Mutant(
            "numgrad_no_restore",
            "numerical_gradient",
            (("        x[i] = old\n", ""),),
            ("test_numerical_gradient",),
            "in-place change of the input: x[i] never restored",
        ),
        Mutant(
            "affine_no_bias",
            "affine_forward",
            (("    out = x @ w + b\n", "    out = x @ w\n"),),
            ("test_affine_forward",),
            "bias forgotten in the forward pass",
        ),
        Mutant(
            "affine_dw_transposed",
            "affine_backward",
            (("dw = x.T @ dout", "dw = dout.T @ x"),),
            ("test_affine_backward",),
            "transposed dw",
        ),
        Mutant(
            "affine_db_averaged",
            "affine_backward",
            (("db = dout.sum(axis=0)", "db = dout.mean(axis=0)"),),
            ("test_affine_backward",),
            "db averaged instead of summed over the batch",
        ),
        Mutant(
            "relu_inplace",
            "relu_forward",
            (("    out = np.maximum(x, 0.0)", "    x[x < 0] = 0.0\n    out = x"),),
            ("test_relu_forward",),
            "in-place change of the input (x[x < 0] = 0)",
        ),
        Mutant(
            "relu_no_mask",
            "relu_backward",
            (("dx = dout * (x > 0)", "dx = dout"),),
            ("test_relu_backward",),
            "missing ReLU mask in the backward pass",
        ),
        Mutant(
            "sigmoid_unstable",
            "sigmoid_forward",
            (
                (
                    "    out = np.empty_like(x, dtype=np.float64)\n    pos = x >= 0\n"
                    "    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))\n    e = np.exp(x[~pos])\n"
                    "    out[~pos] = e / (1.0 + e)\n",
                    "    out = 1.0 / (1.0 + np.exp(-x))\n",
                ),
            ),
            ("test_sigmoid_forward",),
            "naive sigmoid: exp(-x) overflows for x = -1000",
        ),
        Mutant(
            "sigmoid_grad_no_one_minus",
            "sigmoid_backward",
            (("dx = dout * out * (1.0 - out)", "dx = dout * out"),),
            ("test_sigmoid_backward",),
            "sigmoid derivative without (1 - s)",
        ),
        Mutant(
            "mse_not_averaged",
            "mse_loss",
            (
                ("loss = 0.5 * np.sum(diff ** 2) / N", "loss = 0.5 * np.sum(diff ** 2)"),
                ("dpred = diff / N", "dpred = diff"),
            ),
            ("test_mse_loss",),
            "MSE summed over the batch, not averaged",
        ),
        Mutant(
            "mse_grad_factor_two",
            "mse_loss",
            (("dpred = diff / N", "dpred = 2 * diff / N"),),
            ("test_mse_loss",),
            "MSE gradient forgets that the 1/2 cancels the 2",
        ),
        Mutant(
            "softmax_no_shift",
            "softmax_cross_entropy",
            (("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores"),),
            ("test_softmax_cross_entropy",),
            "softmax without the max-shift: overflow for large scores",
        ),
        Mutant(
            "softmax_grad_no_onehot",
            "softmax_cross_entropy",
            (("    dscores[np.arange(N), y] -= 1.0\n", ""),),
            ("test_softmax_cross_entropy",),
            "dscores = probs / N (true class not subtracted)",
        ),
        Mutant(
            "softmax_grad_not_averaged",
            "softmax_cross_entropy",
            (("    dscores /= N\n", ""),),
            ("test_softmax_cross_entropy",),
            "dscores not divided by N",
        ),
        Mutant(
            "net_no_relu",
            "two_layer_net",
            (
                ("a, cache_relu = relu_forward(h)", "a, cache_relu = h, None"),
                ("dh = relu_backward(da, cache_relu)", "dh = da"),
            ),
            ("test_two_layer_net_scores", "test_two_layer_net_grads"),
            "network without the ReLU",
        ),
        Mutant(
            "net_backward_skips_relu",
            "two_layer_net",
            (("dh = relu_backward(da, cache_relu)", "dh = da"),),
            ("test_two_layer_net_grads",),
            "backward pass skips the ReLU",
        ),
        Mutant(
            "train_gradient_ascent",
            "train_two_layer_net",
            (("params[name] - learning_rate * grads[name]", "params[name] + learning_rate * grads[name]"),),
            ("test_train_two_layer_net",),
            "SGD steps along the gradient (ascent)",
        ),
        Mutant(
            "train_zero_init",
            "train_two_layer_net",
            (
                ("rng.standard_normal((D, hidden_dim)) * np.sqrt(2.0 / D)", "np.zeros((D, hidden_dim))"),
                ("rng.standard_normal((hidden_dim, C)) * np.sqrt(1.0 / hidden_dim)", "np.zeros((hidden_dim, C))"),
            ),
            ("test_train_two_layer_net",),
            "all-zero initial weights (the network never learns)",
        ),
        Mutant(
            "train_global_rng",
            "train_two_layer_net",
            (
                ("rng.standard_normal((D, hidden_dim))", "np.random.standard_normal((D, hidden_dim))"),
                ("rng.standard_normal((hidden_dim, C))", "np.random.standard_normal((hidden_dim, C))"),
                ("order = rng.permutation(N)", "order = np.random.permutation(N)"),
            ),
            ("test_train_two_layer_net",),
            "numpy's global generator instead of default_rng(seed): the seed is ignored",
        ),
        Mutant(
            "net_relu_on_scores",
            "two_layer_net",
            (
                (
                    'scores, cache2 = affine_forward(a, params["W2"], params["b2"])',
                    'scores, cache2 = affine_forward(a, params["W2"], params["b2"])\n'
                    "    scores, cache3 = relu_forward(scores)",
                ),
                ("affine_backward(dscores, cache2)", "affine_backward(relu_backward(dscores, cache3), cache2)"),
            ),
            ("test_two_layer_net_scores", "test_two_layer_net_grads"),
            "a ReLU on the scores too (the last layer must have no activation)",
        ),
        Mutant(
            "affine_db_keepdims",
            "affine_backward",
            (("db = dout.sum(axis=0)", "db = dout.sum(axis=0, keepdims=True)"),),
            ("test_affine_backward",),
            "db summed with keepdims=True: shape (1, M) instead of (M,)",
        ),
        Mutant(
            "softmax_wrong_axis",
            "softmax_cross_entropy",
            (
                ("scores.max(axis=1, keepdims=True)", "scores.max(axis=0, keepdims=True)"),
                ("np.exp(shifted).sum(axis=1, keepdims=True)", "np.exp(shifted).sum(axis=0, keepdims=True)"),
            ),
            ("test_softmax_cross_entropy",),
            "softmax over the batch axis (axis=0) instead of each row",
        ),
    ],
    "convolution": [
        Mutant(
            "size_no_plus_one",
            "conv_output_size",
            ((") // stride + 1", ") // stride"),),
            ("test_conv_output_size",),
            "off-by-one output size (the + 1 forgotten)",
        ),
        Mutant(
            "size_padding_once",
            "conv_output_size",
            (("in_size + 2 * padding", "in_size + padding"),),
            ("test_conv_output_size",),
            "padding counted on one side only",
        ),
        Mutant(
            "size_ignores_dilation",
            "conv_output_size",
            (("- dilation * (kernel_size - 1) - 1", "- kernel_size"),),
            ("test_conv_output_size",),
            "output size ignores the dilation",
        ),
        Mutant(
            "size_true_division",
            "conv_output_size",
            ((") // stride + 1", ") / stride + 1"),),
            ("test_conv_output_size",),
            "true division: returns a float",
        ),
        Mutant(
            "conv_kernel_flipped",
            "conv2d_forward",
            (("x_pad[:, :, rows, cols], w[:, :, u, v])", "x_pad[:, :, rows, cols], w[:, :, KH - 1 - u, KW - 1 - v])"),),
            ("test_conv2d_forward", "test_conv2d_forward_stride_padding"),
            "kernel flipped (true convolution instead of cross-correlation)",
        ),
        Mutant(
            "conv_ignores_stride",
            "conv2d_forward",
            (
                ("rows = slice(u, u + stride * (H_out - 1) + 1, stride)", "rows = slice(u, u + H_out)"),
                ("cols = slice(v, v + stride * (W_out - 1) + 1, stride)", "cols = slice(v, v + W_out)"),
            ),
            ("test_conv2d_forward_stride_padding",),
            "windows taken at stride 1 whatever the stride",
        ),
        Mutant(
            "conv_pads_every_axis",
            "conv2d_forward",
            (("np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))", "np.pad(x, padding)"),),
            ("test_conv2d_forward_stride_padding",),
            "np.pad(x, padding) pads the batch and channel axes too",
        ),
        Mutant(
            "conv_no_bias",
            "conv2d_forward",
            (("    out += b[None, :, None, None]\n", ""),),
            ("test_conv2d_forward",),
            "bias forgotten",
        ),
        Mutant(
            "convback_dx_not_cropped",
            "conv2d_backward",
            (("dx = dx_pad[:, :, padding:padding + H, padding:padding + W]", "dx = dx_pad"),),
            ("test_conv2d_backward",),
            "dx keeps the padding",
        ),
        Mutant(
            "convback_dx_assigned",
            "conv2d_backward",
            (("dx_pad[:, :, rows, cols] += ", "dx_pad[:, :, rows, cols] = "),),
            ("test_conv2d_backward",),
            "dx assigned instead of accumulated over overlapping windows",
        ),
        Mutant(
            "convback_dw_first_image",
            "conv2d_backward",
            (
                (
                    'np.einsum("nfij,ncij->fc", dout, x_pad[:, :, rows, cols])',
                    'np.einsum("fij,cij->fc", dout[0], x_pad[0, :, rows, cols])',
                ),
            ),
            ("test_conv2d_backward",),
            "dw from the first image only (not summed over the batch)",
        ),
        Mutant(
            "convback_db_averaged",
            "conv2d_backward",
            (("db = dout.sum(axis=(0, 2, 3))", "db = dout.mean(axis=(0, 2, 3))"),),
            ("test_conv2d_backward",),
            "db averaged instead of summed",
        ),
        Mutant(
            "pool_stride_is_kernel",
            "maxpool2d_forward",
            (("k, s = kernel_size, stride", "k, s = kernel_size, kernel_size"),),
            ("test_maxpool2d_forward",),
            "stride assumed equal to the kernel size (overlap breaks)",
        ),
        Mutant(
            "poolback_every_element",
            "maxpool2d_backward",
            (("is_max = (x[:, :, rows, cols] == out) & ~routed", "is_max = np.ones(out.shape, dtype=bool)"),),
            ("test_maxpool2d_backward",),
            "gradient routed to every element of the window",
        ),
        Mutant(
            "poolback_assigned",
            "maxpool2d_backward",
            (("dx[:, :, rows, cols] += dout * is_max", "dx[:, :, rows, cols] = dout * is_max"),),
            ("test_maxpool2d_backward",),
            "gradient assigned, so overlapping windows overwrite each other",
        ),
        Mutant(
            "poolback_inplace",
            "maxpool2d_backward",
            (
                (
                    "is_max = (x[:, :, rows, cols] == out) & ~routed",
                    "window = x[:, :, rows, cols]\n            window -= out\n"
                    "            is_max = (window == 0) & ~routed",
                ),
            ),
            ("test_maxpool2d_backward",),
            "in-place change of the cached input (window -= out)",
        ),
        Mutant(
            "poolback_all_tied_maxima",
            "maxpool2d_backward",
            (("is_max = (x[:, :, rows, cols] == out) & ~routed", "is_max = x[:, :, rows, cols] == out"),),
            ("test_maxpool2d_backward",),
            "every one of a window's equal maxima gets the gradient (not only the first)",
        ),
        Mutant(
            "size_dilation_times_kernel",
            "conv_output_size",
            (("- dilation * (kernel_size - 1) - 1", "- dilation * kernel_size"),),
            ("test_conv_output_size",),
            "a dilated kernel taken to span dilation * kernel_size pixels",
        ),
        Mutant(
            "convback_crop_minus_padding",
            "conv2d_backward",
            (
                (
                    "dx = dx_pad[:, :, padding:padding + H, padding:padding + W]",
                    "dx = dx_pad[:, :, padding:-padding, padding:-padding]",
                ),
            ),
            ("test_conv2d_backward",),
            "dx cropped with padding:-padding, empty when padding is 0",
        ),
        Mutant(
            "conv_size_without_padding",
            "conv2d_forward",
            (
                ("conv_output_size(H, KH, stride, padding)", "conv_output_size(H, KH, stride)"),
                ("conv_output_size(W, KW, stride, padding)", "conv_output_size(W, KW, stride)"),
            ),
            ("test_conv2d_forward_stride_padding",),
            "the padding not passed to conv_output_size (output too small)",
        ),
    ],
}

STUDENTS = {a: ["reference", "blank"] + [m.name for m in MUTANTS[a]] for a in ASSIGNMENTS}
# graded by nbgrader autograde itself; the other mutants by the batch grader (the module docstring says why)
BY_NBGRADER = {a: STUDENTS[a][:4] for a in ASSIGNMENTS}


def grading_env() -> dict:
    """This checkout's python first on PATH, and its course_utils first on the path of every kernel."""
    return dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        PYTHON=sys.executable,
    )


def nbgrader(course: Path, *args: str, db_timeout: bool = False) -> subprocess.Popen:
    """Start ``python -m nbgrader ARGS`` in the course root (nbgrader's CLI, as documented)."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    if db_timeout:  # two graders writing one sqlite gradebook wait for each other's locks
        cmd.append(f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}?timeout=300")
    return subprocess.Popen(
        cmd, cwd=course, env=grading_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def run_ok(proc: subprocess.Popen, what: str) -> str:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, f"{what} failed (exit {proc.returncode}):\n{out[-5000:]}"
    return out


def solution_sources(notebook: Path) -> dict[str, str]:
    """grade_id -> the reference solution of each answer cell, without nbgrader's markers."""
    nb = nbformat.read(notebook, as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [
                ln for ln in cell.source.splitlines() if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
            ]
            out[meta["grade_id"]] = "\n".join(lines)
    return out


def apply_mutant(source: str, mutant: Mutant) -> str:
    for old, new in mutant.edits:
        count = source.count(old)
        assert count == 1, f"mutant {mutant.name}: {old!r} occurs {count} times in cell {mutant.cell}"
        source = source.replace(old, new)
    return source


def submission(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook with the given answer cells typed in, as a student would."""
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = answers[gid]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course") / "assignments"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(*GENERATED))
    timings = {}
    for a in ASSIGNMENTS:
        run_ok(nbgrader(course, "generate_assignment", a), f"nbgrader generate_assignment {a}")

    from nbgrader.api import Gradebook  # after the CLI created the gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "nn-course") as gb:
        for student in sorted({s for a in ASSIGNMENTS for s in STUDENTS[a]}):
            gb.update_or_create_student(student)

    for a in ASSIGNMENTS:
        release = nbformat.read(course / "release" / a / f"{a}.ipynb", as_version=4)
        reference = solution_sources(course / "source" / a / f"{a}.ipynb")
        subs = {"reference": submission(release, reference), "blank": release}
        for m in MUTANTS[a]:
            subs[m.name] = submission(release, {**reference, m.cell: apply_mutant(reference[m.cell], m)})
        for student, nb in subs.items():
            folder = course / "submitted" if student in BY_NBGRADER[a] else course / "batch-submitted" / a
            target = folder / student / a
            target.mkdir(parents=True)
            nbformat.write(nb, target / f"{a}.ipynb")

    start = time.perf_counter()
    procs = {a: nbgrader(course, "autograde", a, db_timeout=True) for a in ASSIGNMENTS}
    for a, proc in procs.items():
        run_ok(proc, f"nbgrader autograde {a}")
        timings[f"nbgrader autograde {a}"] = time.perf_counter() - start
    limits = Limits(cell_timeout=120, notebook_timeout=400)
    for a in ASSIGNMENTS:
        start = time.perf_counter()
        batch = batch_grade.Options(a, course / "batch-submitted" / a, course, jobs=2, limits=limits, quiet=True)
        results = batch_grade.grade(batch)
        assert sorted(r["student"] for r in results) == sorted(set(STUDENTS[a]) - set(BY_NBGRADER[a]))
        assert all(r["status"] == "graded" for r in results), [(r["student"], r["status"]) for r in results]
        timings[f"batch grader {a}"] = time.perf_counter() - start

    start = time.perf_counter()
    done = subprocess.run(
        ["bash", str(course / "grade.sh")], cwd=ROOT, env=grading_env(), capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"grade.sh failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    timings["grade.sh"] = time.perf_counter() - start

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "nn-course") as gb:
        for a in ASSIGNMENTS:
            for student in STUDENTS[a]:
                sub = gb.find_submission(a, student)
                scores[a, student] = (
                    sub.score,
                    {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades},
                )
    _write_report(scores, timings)
    return {"root": course, "scores": scores, "timings": timings}


def _write_report(scores, timings):
    lines = ["# Assignment grading (tests/assignments/test_nbgrader_course.py)", ""]
    n = len(scores)
    by_nbgrader = sum(len(BY_NBGRADER[a]) for a in ASSIGNMENTS)
    lines.append(
        f"Wall times: {', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}; {n} submissions: "
        f"{by_nbgrader} by nbgrader autograde (both assignments in parallel), the other {n - by_nbgrader} by the "
        f"batch grader (--jobs 2), {os.cpu_count()} CPUs."
    )
    for a in ASSIGNMENTS:
        whats = {m.name: m.what for m in MUTANTS[a]}
        lines += ["", f"## {a}", "", "| student | score | cells that lost points | mistake |", "|---|---:|---|---|"]
        for student in STUDENTS[a]:
            total, cells = scores[a, student]
            lost = ", ".join(f"{g} {s:g}/{m:g}" for g, (s, m) in cells.items() if s < m)
            lines.append(f"| {student} | {total:g} | {lost} | {whats.get(student, '')} |")
    if REPORT is not None:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- #
# the committed sources
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_checks_are_imported_before_any_student_code(assignment):
    """course_utils.grading binds numpy's functions when it is imported: a read-only cell must
    import it before the first answer cell, so that a submission that monkeypatches numpy later
    cannot change how it is graded (nbgrader runs the cells in order)."""
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    first_answer = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    setup = [
        c
        for c in nb.cells[:first_answer]
        if c.cell_type == "code"
        and c.metadata.get("nbgrader", {}).get("locked")
        and re.search(r"^from course_utils import grading\b", c.source, re.M)
    ]
    assert setup, f"no read-only cell before the first answer imports course_utils.grading in {assignment}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_is_a_valid_nbgrader_notebook(assignment):
    folder = COURSE / "source" / assignment
    assert sorted(p.name for p in folder.iterdir() if p.name not in (".ipynb_checkpoints",)) == [
        f"{assignment}.ipynb"
    ], "nothing but the notebook may sit in the source folder (it is released)"
    nb = nbformat.read(folder / f"{assignment}.ipynb", as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    metas = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    assert all(m["schema_version"] == 3 for m in metas)
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    assert sum(m.get("points", 0) for m in metas if m["grade"]) == 100
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all(c.metadata.nbgrader.locked and "### BEGIN HIDDEN TESTS" in c.source for c in tests), (
        "every test cell is read-only and has hidden tests"
    )
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            assert "### BEGIN SOLUTION" in cell.source and cell.source.lstrip().startswith("def "), (
                f"answer cell {meta['grade_id']} must hold only function definitions"
            )
    for m in MUTANTS[assignment]:
        apply_mutant(solution_sources(folder / f"{assignment}.ipynb")[m.cell], m)  # every edit applies


def test_at_least_twelve_mutants_per_assignment():
    assert all(len(MUTANTS[a]) >= 12 for a in ASSIGNMENTS)


# --------------------------------------------------------------------------- #
# the release
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_or_hidden_tests(course, assignment):
    folder = course["root"] / "release" / assignment
    assert sorted(p.name for p in folder.iterdir()) == [f"{assignment}.ipynb"]
    text = (folder / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "torch_reference"):
        assert marker not in text, f"the release still contains {marker!r}"
    release = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    released = {ln.strip() for c in release.cells for ln in c.source.splitlines()}
    for gid, solution in solution_sources(COURSE / "source" / assignment / f"{assignment}.ipynb").items():
        body = solution.split('"""')[-1]  # the code after the docstring
        leaked = [ln.strip() for ln in body.splitlines() if len(ln.strip()) > 12 and ln.strip() in released]
        assert not leaked, f"solution lines of {gid} leaked into the release: {leaked}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_stubs_raise_not_implemented(course, assignment):
    release = nbformat.read(course["root"] / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers
    for cell in answers:
        namespace = {"np": np}
        exec(compile(cell.source, cell.metadata.nbgrader.grade_id, "exec"), namespace)
        functions = [v for k, v in namespace.items() if inspect.isfunction(v)]
        assert [f.__name__ for f in functions] == [cell.metadata.nbgrader.grade_id], (
            "each answer cell defines exactly the function it is named after"
        )
        for fn in functions:
            required = [p for p in inspect.signature(fn).parameters.values() if p.default is p.empty]
            with pytest.raises(NotImplementedError):
                fn(*[None] * len(required))


# --------------------------------------------------------------------------- #
# autograding
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solution_scores_full_marks(course, assignment):
    total, cells = course["scores"][assignment, "reference"]
    assert total == 100, {g: v for g, v in cells.items() if v[0] < v[1]}
    assert sum(m for _, m in cells.values()) == 100


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_release_scores_zero_without_timeouts(course, assignment):
    total, cells = course["scores"][assignment, "blank"]
    assert total == 0, {g: v for g, v in cells.items() if v[0] > 0}
    nb = nbformat.read(course["root"] / "autograded" / "blank" / assignment / f"{assignment}.ipynb", as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and all(o.ename == "NotImplementedError" for o in errors), sorted(
        {o.ename for o in errors}
    )  # no CellTimeoutError, nothing but the stubs' error


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_test_cells_write_nothing_to_stderr(course, assignment):
    nb = nbformat.read(course["root"] / "autograded" / "reference" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            bad = [o for o in cell.outputs if o.output_type == "error" or o.get("name") == "stderr"]
            assert not bad, (cell.metadata.get("nbgrader", {}).get("grade_id"), bad)


@pytest.mark.parametrize(
    "assignment, mutant",
    [(a, m) for a in ASSIGNMENTS for m in MUTANTS[a]],
    ids=[f"{a}-{m.name}" for a in ASSIGNMENTS for m in MUTANTS[a]],
)
def test_mutant_loses_points_in_the_right_test(course, assignment, mutant):
    total, cells = course["scores"][assignment, mutant.name]
    assert total < 100, f"{mutant.what}: full marks"
    for gid in mutant.loses:
        score, max_score = cells[gid]
        assert score < max_score, f"{mutant.what}: {gid} still scores {score}/{max_score}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_failure_messages_are_actionable(course, assignment):
    """The autograded notebooks of a few mutants say what is wrong in words."""
    expected = {
        "backprop": {
            "affine_db_averaged": "db is N=2 times too small",
            "affine_dw_transposed": "dw looks transposed",
            "relu_no_mask": "the ReLU mask is missing",
            "sigmoid_unstable": "floating-point error",
            "softmax_no_shift": "Subtract each row's maximum",
            "relu_inplace": "changed its input in place",
            "train_zero_init": "validation accuracy",
            "train_global_rng": "gave different weights when called twice",
            "net_relu_on_scores": "the scores went through a ReLU",
            "affine_db_keepdims": "without keepdims=True",
            "softmax_wrong_axis": "the softmax runs over the wrong axis",
        },
        "convolution": {
            "conv_kernel_flipped": "the kernel is flipped",
            "size_true_division": "use floor division",
            "size_no_plus_one": "off by one",
            "convback_dx_not_cropped": "dx still has the padding",
            "poolback_every_element": "the gradient goes to every pixel",
            "poolback_inplace": "changed its input in place: cache[0]",
            "conv_no_bias": "the bias b is missing",
            "poolback_all_tied_maxima": "give it only to the first one in row-major order",
            "size_dilation_times_kernel": "not dilation * kernel_size",
            "convback_crop_minus_padding": "dx is empty: with padding=0",
            "conv_size_without_padding": "The padding is missing from the output size",
        },
    }[assignment]
    for student, phrase in expected.items():
        nb = nbformat.read(course["root"] / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
        messages = " ".join(o.get("evalue", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        assert phrase in messages, f"{student}: {phrase!r} not in the failure messages: {messages[:1500]}"


# --------------------------------------------------------------------------- #
# the student's side, through nbgrader's exchange (README: "with nbgrader's exchange")
# --------------------------------------------------------------------------- #


def test_exchange_release_fetch_validate_submit_collect(course, tmp_path):
    root = tmp_path / "assignments"
    shutil.copytree(
        course["root"], root, ignore=shutil.ignore_patterns("submitted", "batch-submitted", "autograded", "feedback")
    )
    exchange, home = tmp_path / "exchange", tmp_path / "student"
    exchange.mkdir(mode=0o777)
    home.mkdir()
    env = dict(grading_env(), NBGRADER_EXCHANGE=str(exchange))

    def cli(cwd, *args):
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout + done.stderr

    student = ("--course", "nn-course", f"--Exchange.root={exchange}")
    cli(root, "release_assignment", "backprop")
    cli(home, "fetch_assignment", "backprop", *student)
    fetched = home / "backprop" / "backprop.ipynb"
    solved = submission(
        nbformat.read(fetched, as_version=4), solution_sources(COURSE / "source" / "backprop" / "backprop.ipynb")
    )
    nbformat.write(solved, fetched)
    assert "Success! Your notebook passes all the tests." in cli(home, "validate", "backprop/backprop.ipynb")
    cli(home, "submit", "backprop", *student)
    cli(root, "collect", "backprop")
    collected = list((root / "submitted").glob("*/backprop/backprop.ipynb"))
    assert len(collected) == 1 and "### BEGIN SOLUTION" not in collected[0].read_text()


def test_validate_prints_each_failure_whole(course, tmp_path):
    """``python -m classroom.validate`` on a submission that averages db: exit 1, and the hint's
    whole "Likely cause" sentence, wrapped at 90 characters but not cut (``nbgrader validate``
    cuts each line there and loses it)."""
    notebook = tmp_path / "backprop.ipynb"
    shutil.copy(
        course["root"] / "batch-submitted" / "backprop" / "affine_db_averaged" / "backprop" / "backprop.ipynb", notebook
    )
    done = subprocess.run(
        [sys.executable, "-m", "classroom.validate", notebook.name],
        cwd=tmp_path,
        env=grading_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 90, max(lines, key=len)
    text = " ".join(line.strip() for line in lines)
    assert "Likely cause: db is N=2 times too small: sum dout over the batch, do not average" in text, text[-3000:]


# --------------------------------------------------------------------------- #
# feedback and export
# --------------------------------------------------------------------------- #


def test_feedback_html_for_every_graded_student(course):
    for a in ASSIGNMENTS:
        for student in STUDENTS[a]:
            html = course["root"] / "feedback" / student / a / f"{a}.html"
            assert html.is_file(), f"no feedback {html}"
            text = html.read_text()
            assert "<html" in text.lower() and "Score" in text


def test_feedback_never_shows_hidden_tests(course):
    """grade.sh's nbgrader feedback, for the reference, the blank release and every mutant (many
    fail a hidden test): no hidden-test marker or line, no torch, no traceback of a hidden line."""
    from grader.feedback import check_course, html_text

    assert check_course(course["root"]) == []
    hidden_failures = 0
    for a in ASSIGNMENTS:
        for student in STUDENTS[a]:
            text = html_text((course["root"] / "feedback" / student / a / f"{a}.html").read_text())
            assert "torch" not in text, (a, student)
            hidden_failures += text.count("a hidden test failed")
    assert hidden_failures > 0, "some mutant should fail a hidden test"


def test_export_csv_has_every_students_score(course):
    with open(course["root"] / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    got = {(r["assignment"], r["student_id"]): float(r["raw_score"]) for r in rows}
    for (a, student), (total, _) in course["scores"].items():
        assert got[a, student] == pytest.approx(total), (a, student)
    assert got["backprop", "reference"] == 100 and got["convolution", "blank"] == 0
