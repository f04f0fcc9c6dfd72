import pytest

from apiclient.policies.validation import check_header, check_method


@pytest.mark.parametrize("value", ["a\r\nInjected: 1", "a\nb", "a\rb", "a\x00b", "a\x7f"])
def test_control_characters_in_header_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="X-Custom") as caught:
        check_header("X-Custom", value)
    assert value not in str(caught.value)  # the value may be a secret: never echoed


@pytest.mark.parametrize("name", ["X A", "X:A", "X\r\nA", "", "Ü"])
def test_header_names_must_be_tokens(name: str) -> None:
    with pytest.raises(ValueError):
        check_header(name, "v")


def test_tabs_and_printable_text_are_allowed() -> None:
    check_header("X-Ok", "a\tb ~!é")


@pytest.mark.parametrize("method", ["GET\r\n", "GE T", "G/ET", ""])
def test_methods_must_be_plain_tokens(method: str) -> None:
    with pytest.raises(ValueError):
        check_method(method)


def test_methods_are_uppercased() -> None:
    assert check_method("get") == "GET"
