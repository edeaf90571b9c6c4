"""Registries and calling a builder with the options it takes: nothing dropped silently."""

import pytest

from bayescnn.errors import InvalidArgumentError
from bayescnn.registry import Choice, call_with_accepted


def build(num_classes: int, *, width: int = 8) -> tuple[int, int]:
    return num_classes, width


def test_a_builder_gets_the_options_it_takes():
    assert call_with_accepted(build, {"num_classes": 3, "width": 4}) == (3, 4)


def test_an_option_the_builder_does_not_take_is_an_error_naming_it_and_those_it_takes():
    with pytest.raises(InvalidArgumentError, match=r"build does not take depth \(it takes: "):
        call_with_accepted(build, {"num_classes": 3, "depth": 2})


def test_an_optional_option_the_builder_does_not_take_is_left_out():
    assert call_with_accepted(build, {"num_classes": 3, "depth": 2}, optional={"depth"}) == (3, 8)


def test_a_builder_with_var_keywords_gets_every_option():
    assert call_with_accepted(lambda **kw: kw, {"a": 1, "b": 2}) == {"a": 1, "b": 2}


def test_errors_name_the_builder_as_asked():
    with pytest.raises(InvalidArgumentError, match="model 'tiny' does not take depth"):
        call_with_accepted(build, {"num_classes": 3, "depth": 2}, what="model 'tiny'")


class Colour(Choice):
    RED = "red"
    BLUE = "blue"


def test_a_choice_lists_its_names_like_a_registry():
    assert Colour.names() == ["red", "blue"]
