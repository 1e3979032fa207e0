"""The exercise framework: verdicts, comparisons with typical mistakes, self-check questions."""

import numpy as np
import pytest

from course_utils.exercises import (
    CORRECT,
    HINT,
    NOT_ATTEMPTED,
    LeavesInputs,
    Mistake,
    NotAttempted,
    Quiz,
    attempt,
    compare,
    compare_scalar,
    describe_error,
    exercise,
    quiz,
    quiz_feedback,
    quizzes,
)


@exercise("99.1", todo="write double(x).")
def check_double(double):
    x = np.arange(3.0)
    compare("double(x)", attempt(double, x), 2 * x, mistakes=[(x + 2, "you added 2 instead of doubling")])
    return "x + x is 2x."


def test_stub_function_is_not_attempted(capsys):
    check_double(lambda x: None)
    assert capsys.readouterr().out == f"[99.1] {NOT_ATTEMPTED} write double(x).\n"


def test_none_answer_is_not_attempted(capsys):
    check_double(None)
    assert NOT_ATTEMPTED in capsys.readouterr().out


def test_right_answer_confirms(capsys):
    assert check_double(lambda x: 2 * x) is None
    assert capsys.readouterr().out == f"[99.1] {CORRECT} x + x is 2x.\n"


def test_typical_mistake_gets_its_hint(capsys):
    check_double(lambda x: x + 2)
    out = capsys.readouterr().out
    assert out.startswith(f"[99.1] {HINT}") and "you added 2 instead of doubling" in out


def test_other_wrong_values_say_where(capsys):
    check_double(lambda x: 3 * x)
    out = capsys.readouterr().out
    assert HINT in out and "1.5 times the expected value" in out


def test_wrong_shape_is_reported(capsys):
    check_double(lambda x: (2 * x)[:, None])
    assert "shape (3, 1), expected (3,)" in capsys.readouterr().out


def test_student_exception_is_a_hint_not_a_crash(capsys):
    check_double(lambda x: x @ np.ones((4, 4)))
    out = capsys.readouterr().out
    assert HINT in out and "the shapes do not fit" in out and "ValueError" in out and "x (3,)" in out, out
    check_double(lambda x: int("two"))
    assert "your code raised ValueError: invalid literal" in capsys.readouterr().out


def test_advice_after_an_exception_message_reads_as_one_sentence():
    message = describe_error(ValueError("use torch instead."), "The notebook trains with it.")
    assert message == "your code raised ValueError: use torch instead. The notebook trains with it."
    assert describe_error(ValueError("no advice.")) == "your code raised ValueError: no advice."


def test_attempt_passes_copies_so_in_place_changes_do_not_leak():
    x = np.ones(3)

    def scale_in_place(a):
        a *= 5
        return a

    assert attempt(scale_in_place, x).tolist() == [5, 5, 5] and x.tolist() == [1, 1, 1]


def test_attempt_none_and_tuples_with_none_are_not_attempted():
    with pytest.raises(NotAttempted):
        attempt(lambda: None)
    with pytest.raises(NotAttempted):
        attempt(lambda: (1.0, None))


def test_compare_accepts_lists_and_torch_tensors():
    import torch

    compare("v", [1.0, 2.0], np.array([1.0, 2.0]))
    compare("t", torch.tensor([1.0, 2.0]), np.array([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(Mistake, match="array of numbers"):
        compare("v", {"a": 1}, np.zeros(1))


def test_compare_takes_a_reference_and_mistakes_still_attached_to_autograd():
    import torch

    w = torch.ones(2, requires_grad=True)
    compare("t", [2.0, 2.0], 2 * w)  # the reference's graph is the check's business, not the student's error
    with pytest.raises(Mistake, match="you added"):
        compare("t", [3.0, 3.0], 2 * w, mistakes=[(w + 2, "you added")])


def test_compare_mistake_with_another_shape():
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(Mistake, match="wrong axis"):
        compare("mean", x.mean(axis=1), x.mean(axis=0), mistakes=[(x.mean(axis=1), "wrong axis")])


def test_compare_scalar():
    compare_scalar("loss", np.float32(0.5), 0.5)
    with pytest.raises(Mistake, match="forgot the 1/2"):
        compare_scalar("loss", 1.0, 0.5, mistakes=[(1.0, "forgot the 1/2")])
    with pytest.raises(Mistake, match="single number"):
        compare_scalar("loss", np.ones(3), 0.5)


CHOICE = Quiz(
    question="2 + 2?", options={"a": "3", "b": "4"}, answer="b", explanations={"a": "count again", "b": "two pairs"}
)
NUMBER = Quiz(question="6 * 7?", answer=42.0, explanations={"right": "yes"}, wrong="multiply again")


def test_quiz_feedback_multiple_choice():
    assert quiz_feedback("q", CHOICE, None) == f"[q] {NOT_ATTEMPTED} Pick an answer."
    assert quiz_feedback("q", CHOICE, "B") == f"[q] {CORRECT} two pairs"
    assert quiz_feedback("q", CHOICE, "a") == f"[q] {HINT} count again"
    assert "not one of the options" in quiz_feedback("q", CHOICE, "z")


def test_quiz_feedback_numeric():
    assert quiz_feedback("q", NUMBER, 42) == f"[q] {CORRECT} yes"
    assert quiz_feedback("q", NUMBER, 41) == f"[q] {HINT} multiply again"
    assert "is a number" in quiz_feedback("q", NUMBER, "forty")


def test_quiz_widget_gives_feedback_on_selection_without_showing_the_answer():
    box = quiz("q", CHOICE)
    title, picker, out = box.children
    assert "two pairs" not in title.value
    picker.value = "b"
    assert any("two pairs" in o.get("text", "") for o in out.outputs)


def test_numeric_quiz_widget_checks_on_click():
    box = quiz("q", NUMBER)
    number, button = box.children[1].children
    number.value = 42
    button.click()
    assert any(CORRECT in o.get("text", "") for o in box.children[2].outputs)


def test_quizzes_registry(capsys):
    ask = quizzes({"01.q1": NUMBER})
    ask("01.q1", 42)
    assert CORRECT in capsys.readouterr().out
    with pytest.raises(KeyError, match="01.q9"):
        ask("01.q9")


def test_accepted_says_whether_the_check_would_say_correct_and_prints_nothing(capsys):
    from course_utils.exercises import accepted, nb01, nb05

    gd = nb01.check_gd_step
    assert accepted(gd, gd.solution) and not accepted(gd, None)
    assert not accepted(gd, gd.function(gd.typical[0].body))
    assert not accepted(nb05.check_inverted_dropout, lambda x, p, training: x)
    assert capsys.readouterr().out == ""


def test_a_function_that_never_returns_is_stopped_with_a_hint(capsys, monkeypatch):
    import time

    from course_utils import exercises
    from course_utils.exercises import nb01

    monkeypatch.setattr(exercises.running, "TIME_LIMIT_S", 0.5)

    def gd_step(w, X, y, eta):
        while True:  # the step is never taken
            time.sleep(0.01)

    start = time.perf_counter()
    nb01.check_gd_step(gd_step)
    out = capsys.readouterr().out
    assert time.perf_counter() - start < 5
    assert out.startswith(f"[01.2] {HINT}") and "did not return within 0.5 s" in out, out


def test_a_shape_error_in_the_students_code_names_the_line_and_the_shapes(capsys):
    import linecache

    from course_utils.exercises import nb01

    cell = "def gd_step(w, X, y, eta):\n    r = X.T @ w - y\n    return w - eta * X.T @ r / len(X)\n"
    linecache.cache["<cell 7>"] = (len(cell), None, cell.splitlines(True), "<cell 7>")  # as IPython does
    namespace = {"np": np}
    exec(compile(cell, "<cell 7>", "exec"), namespace)
    nb01.check_gd_step(namespace["gd_step"])
    out = capsys.readouterr().out
    assert out.startswith(f"[01.2] {HINT} the shapes do not fit in the line `r = X.T @ w - y`"), out
    assert "gufunc" not in out and "inner sizes differ" in out, out
    assert "w (3,), X (9, 3), y (9,)" in out, out


def test_quiz_feedback_says_its_verdict_once():
    from course_utils.exercises import Quiz, quiz_feedback

    q = Quiz("?", "a", {"a": "x", "b": "y"}, {"a": "Correct! because.", "b": "Not quite: stacked layers."})
    assert quiz_feedback("9.q1", q, "b") == f"[9.q1] {HINT} Stacked layers."
    assert quiz_feedback("9.q1", q, "a") == f"[9.q1] {CORRECT} Because."


def test_a_check_written_as_code_is_stopped_too_and_limits_nest(capsys, monkeypatch):
    import time

    from course_utils import exercises
    from course_utils.exercises import TookTooLong, nb05, time_limit

    monkeypatch.setattr(exercises, "CHECK_LIMIT_S", 0.5)

    def inverted_dropout(x, p, training):
        while True:
            time.sleep(0.01)

    nb05.check_inverted_dropout(inverted_dropout)
    out = capsys.readouterr().out
    assert out.startswith(f"[05.3] {HINT} the check did not finish") and "within 0.5 s" in out, out
    with pytest.raises(TookTooLong, match="within 0.6 s"):  # a shorter inner limit gives the outer its time back
        with time_limit(0.6, "outer"):
            with time_limit(0.1, "inner"):
                pass
            time.sleep(2)


def test_a_loss_must_be_a_differentiable_number_before_its_value_counts(capsys):
    import torch

    from course_utils.exercises import Case, Loss, differentiable_loss

    check = Loss(
        "99.9",
        "def half_square(x):",
        todo="write half_square(x).",
        cases=lambda: [Case("on x", (torch.tensor([1.0, -2.0], requires_grad=True),))],
        reference="return 0.5 * (x ** 2).sum()",
        typical=[],
        confirmation="sum(x^2) / 2.",
        namespace={"torch": torch},
    )
    check(lambda x: 0.5 * (x**2).sum())
    check(lambda x: float(0.5 * (x.detach() ** 2).sum()))  # the right value as a float
    check(lambda x: 0.5 * x**2)  # one number per entry
    check(lambda x: torch.tensor(0.5 * float((x.detach() ** 2).sum())))  # cut off from x
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"[99.9] {CORRECT}"), out
    assert all(line.startswith(f"[99.9] {HINT}") for line in out[1:]), out
    assert "got float" in out[1] and "has shape (2,)" in out[2] and "through autograd" in out[3]
    assert "your code raised" not in "\n".join(out)  # the check's own hint, not the student's exception
    assert differentiable_loss("loss", None) is None


def test_a_case_that_leaves_inputs_names_the_argument_changed_in_place():
    x, y = np.arange(3.0), np.ones(3)
    case = LeavesInputs("", (x, y), names=("x", "y"), how="y += x", instead="Return x + y.")

    def add_in_place(a, b):
        b += a
        return b

    with pytest.raises(Mistake, match=r"changed its argument y in place \(as y \+= x does\).*Return x \+ y\."):
        case.call(add_in_place)
    assert np.array_equal(y, np.ones(3))  # the check's own inputs are untouched
    assert np.array_equal(case.call(lambda a, b: a + b), [1.0, 2.0, 3.0])
    assert case.call(lambda a, b: None) is None  # the stub: not attempted, not "in place"


def test_a_case_on_the_device_refuses_tensors_made_on_the_cpu_and_numpy():
    import torch

    from course_utils.exercises import Case, OnTheDevice

    x = torch.linspace(0, 1, 6).reshape(2, 3).requires_grad_()
    case = OnTheDevice.like(Case("(2 x 3)", (x,)))
    assert case.args[0].device.type == "meta" and case.args[0].requires_grad and x.device.type == "cpu"
    assert case.call(lambda t: t - torch.ones_like(t)) == 0.0
    assert case.call(lambda t: t.sum().item()) == 0.0  # meta has no values: an error not about devices passes
    with pytest.raises(Mistake, match=r"right on the CPU, but it fails where the notebook runs it.*torch\.ones_like"):
        case.call(lambda t: t - torch.ones(2, 3))
    with pytest.raises(Mistake, match="numpy cannot read a tensor on the GPU"):
        case.call(lambda t: np.tanh(t.detach().numpy()))
    with pytest.raises(Mistake, match="make the noise there"):
        OnTheDevice.like(Case("", (x,)), "make the noise there").call(lambda t: t + torch.randn(2, 3))
    module = torch.nn.Linear(3, 1)
    on_meta = OnTheDevice.like(Case("", (module, x)))
    assert next(on_meta.args[0].parameters()).device.type == "meta" and module.weight.device.type == "cpu"
