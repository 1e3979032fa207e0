"""classroom.exchange: a student submits and fetches feedback in their own name only."""

from types import SimpleNamespace

import pytest
from nbgrader.exchange import ExchangeError
from nbgrader.utils import get_username

from classroom.exchange import _claimed_id


class Step:
    """The parts of an nbgrader exchange step that _claimed_id reads."""

    def __init__(self, student_id: str):
        self.coursedir = SimpleNamespace(student_id=student_id)

    def fail(self, message: str):
        raise ExchangeError(message)


@pytest.mark.parametrize("given", ["", "*", get_username()])
def test_the_users_own_name_is_accepted(given):
    assert _claimed_id(Step(given)) == get_username()


def test_another_students_name_is_refused_naming_both():
    with pytest.raises(ExchangeError) as err:
        _claimed_id(Step("alice-not-me"))
    assert "alice-not-me" in str(err.value) and get_username() in str(err.value)
