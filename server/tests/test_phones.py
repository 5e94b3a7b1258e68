"""Israeli phone numbers as people type them."""
import pytest

from server.phones import InvalidPhone, display_phone, normalize_phone


@pytest.mark.parametrize("raw", ["050-123-4567", "0501234567", "+972 50 123 4567", "whatsapp:+972501234567",
                                 "(050) 123 4567", "972501234567"])
def test_the_seeds_example_number_in_every_format_is_one_customer(raw):
    # 050-123-4567 sits in a block phonenumbers does not list as assigned; it is still a
    # well-formed Israeli mobile and the seed's own example, so it must be accepted.
    assert normalize_phone(raw) == "+972501234567"


@pytest.mark.parametrize("raw, e164", [("03-1234567", "+97231234567"), ("02-6251111", "+97226251111"),
                                       ("077-1234567", "+97277123456" "7"), ("+1 202 555 0100", "+12025550100")])
def test_landlines_voip_and_foreign_numbers(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["050-12", "0500", "12345678", "+9725012345678", "05O-123-4567", "", "*2700",
                                 "+44 20 1"])
def test_malformed_numbers_are_refused_with_a_reason(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_people_see_the_israeli_national_format():
    assert display_phone("+972501234567") == "050-123-4567"
