import pytest

from apiclient.policies.timeouts import Timeouts


def test_defaults_are_finite() -> None:
    timeouts = Timeouts()
    assert timeouts.connect and timeouts.read and timeouts.total


def test_coerce_accepts_numbers_pairs_and_none() -> None:
    assert Timeouts.coerce(3) == Timeouts(connect=3.0, read=3.0)
    assert Timeouts.coerce((1, 2)) == Timeouts(connect=1, read=2)
    assert Timeouts.coerce(None) == Timeouts(None, None, None)
    with pytest.raises(ValueError):
        Timeouts.coerce(0)
    with pytest.raises(TypeError):
        Timeouts.coerce("5")  # type: ignore[arg-type]


def test_within_narrows_every_phase_to_the_remaining_budget() -> None:
    narrowed = Timeouts(connect=10, read=30, total=120).within(2.5)
    assert narrowed == Timeouts(connect=2.5, read=2.5, total=2.5)
    assert Timeouts(connect=1, read=30).within(5) == Timeouts(connect=1, read=5, total=5)
    assert Timeouts().within(None) == Timeouts()
