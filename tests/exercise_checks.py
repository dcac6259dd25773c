"""What the tests of the exercise checkers (tests/test_exercises*.py) share."""

import re

from segkit.exercises._core import WRONG


def wrong_messages(result):
    """The lines of a checker's `Result` that report a wrong check, as one string."""
    return "\n".join(m for m in result.messages if m.startswith(WRONG))


def assert_fails_with(result, pattern):
    """The check did not pass, and one of its wrong lines matches `pattern`."""
    assert not result  # bool(result) is result.passed
    assert re.search(pattern, wrong_messages(result)), wrong_messages(result)
