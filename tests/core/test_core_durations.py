"""Go durations (skipperd.durations): the cases mutation testing showed untested."""

from __future__ import annotations

import pytest

from skipperd.durations import filter_duration, parse_go_duration
from skipperd.errors import InvalidArguments


def test_an_explicit_plus_sign_is_positive() -> None:
    assert parse_go_duration("+1.5s") == pytest.approx(1.5)
    assert parse_go_duration("-0") == 0.0


@pytest.mark.parametrize("text", ["", "-", "1", "1x", "1s2"])
def test_an_invalid_duration_names_itself_in_the_error(text: str) -> None:
    with pytest.raises(ValueError, match=f"^invalid duration {text!r}$"):
        parse_go_duration(text)


def test_a_zero_filter_duration_is_allowed() -> None:
    assert filter_duration("f", 0) == 0.0
    assert filter_duration("f", "0s") == 0.0


def test_a_bad_filter_duration_names_the_filter_and_what_is_wrong() -> None:
    with pytest.raises(InvalidArguments) as e:
        filter_duration("latency", "soon")
    assert (e.value.name, e.value.reason) == ("latency", "duration: invalid duration 'soon'")
    with pytest.raises(InvalidArguments) as e:
        filter_duration("latency", "-1s", what="delay")
    assert (e.value.name, e.value.reason) == ("latency", "delay must not be negative, got '-1s'")
    with pytest.raises(InvalidArguments) as e:
        filter_duration("latency", -5)
    assert (e.value.name, e.value.reason) == ("latency", "duration must not be negative, got -5")
