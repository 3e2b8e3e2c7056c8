import pytest

from functions.core.domain.errors import InvalidInput
from functions.core.domain.phone import mask_mobile, normalise_mobile


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "008613812345678"],
)
def test_mainland_mobile_numbers_are_accepted_in_the_ways_people_type_them(raw):
    assert normalise_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1381234567",
        "138123456789",
        "12812345678",
        "23812345678",
        "1381234567x",
        "+1 415 555 0100",
    ],
)
def test_numbers_that_are_not_mainland_mobiles_are_rejected_with_the_phone_field(raw):
    with pytest.raises(InvalidInput) as caught:
        normalise_mobile(raw)
    assert caught.value.details[0].field == "phone"
    assert caught.value.details[0].code == "invalid_phone"


def test_a_masked_number_shows_only_the_first_three_and_last_four_digits():
    assert mask_mobile("13812345678") == "138****5678"
