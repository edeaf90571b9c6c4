"""Severity and corruption lists as the command line writes them."""

import pytest

from bayescnn.errors import InvalidArgumentError, UnknownNameError
from bayescnn.shift import list_corruptions, parse_corruptions, parse_severities


@pytest.mark.parametrize(
    ("text", "severities"),
    [("1-5", (1, 2, 3, 4, 5)), ("1,3,5", (1, 3, 5)), ("2", (2,)), (" 4-5, 1 ", (1, 4, 5)),
     ("3,3,2-3", (2, 3))],
)  # fmt: skip
def test_severities_are_ranges_or_lists_sorted_once_each(text, severities) -> None:
    assert parse_severities(text) == severities


@pytest.mark.parametrize("text", ["0", "6", "1-6", "0-2"])
def test_a_severity_outside_one_to_five_is_refused(text) -> None:
    with pytest.raises(InvalidArgumentError, match="from 1 to 5"):
        parse_severities(text)


@pytest.mark.parametrize("text", ["", "1-", "-3", "a", "1,,2", "1-2-3", "1.5"])
def test_a_malformed_severity_list_is_refused(text) -> None:
    with pytest.raises(InvalidArgumentError, match="like 1-5 or 1,3,5"):
        parse_severities(text)


def test_a_backwards_range_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="backwards"):
        parse_severities("5-1")


def test_all_names_every_registered_corruption() -> None:
    assert parse_corruptions("all") == list_corruptions()


def test_corruptions_are_comma_separated_names_kept_in_order_once() -> None:
    assert parse_corruptions("rotate, Gaussian_Noise,rotate") == ["rotate", "gaussian_noise"]


def test_an_unknown_corruption_is_refused_with_the_choices() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown corruption 'fog'.*gaussian_noise"):
        parse_corruptions("gaussian_noise,fog")


def test_an_empty_corruption_list_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="at least one"):
        parse_corruptions(" , ")
