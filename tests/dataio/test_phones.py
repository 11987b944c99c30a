"""The import's quick phone check gives exactly what validation.phone gives (value or message)."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumber

from ispclient.dataio import phones
from ispclient.domain import validation
from ispclient.domain.errors import ValidationError


def _slow(text: str, country: str) -> tuple[str, str]:
    try:
        return "ok", validation.phone(text, country)
    except ValidationError as e:
        return "error", next(iter(e.errors.values()))


def _quick(text: str, country: str) -> tuple[str, str]:
    try:
        return "ok", phones.phone(text, country)
    except ValidationError as e:
        return "error", next(iter(e.errors.values()))


AWKWARD = [
    "", " ", "+254712345678", " +254712345678 ", "+254 712 345678", "+254-712-345-678", "0712345678", "712345678",
    "+2540712345678",  # a national prefix written after the country code: parse strips it
    "+25407123456789", "+25471234567", "+2547123456789", "+254112345678", "+254201234567",
    "00254712345678", "+254712345678 ext. 12", "+254712345678x12", "+254712345678;ext=3", "tel:+254712345678",
    "+1 650 253 0000", "+16502530000", "+1650253000", "+11650253000", "+442071838750", "+4402071838750",
    "+390612345678", "+39312345678", "+3906123456789", "+33612345678", "+330612345678", "+5491123456789",
    "+541123456789", "+52155123456789", "+5215512345678", "+525512345678", "+61412345678", "+610412345678",
    "+79123456789", "+8613812345678", "+80012345678", "+80001234567", "+882123456789", "+979123456789",
    "+999123456789", "+0123456789", "+1", "+12", "+1234567", "+123456789012345", "+1234567890123456",
    "+254\x00712345678", "+254712345678\n", "＋２５４７１２３４５６７８", "+٢٥٤٧١٢٣٤٥٦٧٨", "+254 (0) 712 345678",
    "+2347012345678", "+23407012345678", "+2348031234567", "+27821234567", "+270821234567", "+255712345678",
    "+256712345678", "+250781234567", "+263771234567", "+233241234567", "+9779812345678", "+919812345678",
    "+4915123456789", "+49015123456789", "+436641234567", "+3584012345678", "+35840123456789",
    "not a number", "+abc", "++254712345678", "+" + "9" * 30, "1" * 41,
]


@pytest.mark.parametrize("country", ["KE", "US", "IT", "NG", "AR", ""])
def test_the_quick_check_agrees_on_awkward_inputs(country: str) -> None:
    phones.phone.cache_clear()
    for text in AWKWARD:
        assert _quick(text, country) == _slow(text, country), text
        assert _quick(text, country) == _slow(text, country), f"{text} (remembered)"


def test_the_quick_check_agrees_on_every_countrys_numbers() -> None:
    """Example numbers of every region and type, in E.164 and altered (a digit more, a digit
    less, a 0 or the national prefix after the country code, the last digits changed)."""
    rng = random.Random(15)
    texts: set[str] = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
                     phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            cc, national = str(example.country_code), e164[1 + len(str(example.country_code)):]
            texts.update({e164, e164 + "5", e164[:-1], f"+{cc}0{national}", e164[:-3] + f"{rng.randrange(1000):03d}"})
            if meta is not None and meta.national_prefix:
                texts.add(f"+{cc}{meta.national_prefix}{national}")
    for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        for _ in range(20):
            texts.add(f"+{cc}{rng.randrange(10**6, 10**11)}")
    already_e164 = quick_taken = 0
    for text in sorted(texts):
        for country in ("KE", "US"):
            assert _quick(text, country) == _slow(text, country), (text, country)
        already_e164 += _slow(text, "KE") == ("ok", text)
        quick_taken += phones.quick_e164(text) is not None
    # The shortcut is really taken for numbers already written as stored (not only never).
    assert quick_taken > already_e164 * 0.9, (quick_taken, already_e164)


def test_the_quick_path_is_taken_only_for_numbers_parse_leaves_alone() -> None:
    assert phones.quick_e164("+254712345678") == "+254712345678"
    assert phones.quick_e164("+2540712345678") is None  # parse strips the 0
    assert phones.quick_e164("+254 712 345678") is None
    assert phones.quick_e164("+25471234567") is None  # one digit short: the slow path's message
    assert phones.quick_e164("0712345678") is None


def test_the_quick_international_form_is_phonenumbers_own() -> None:
    """The quick "+254 712 345678" is format_number's INTERNATIONAL form, for example numbers of
    every region and type and random national numbers of every country code; and the list's
    export shows a valid number as display_phone does."""
    from ispclient.dataio import export

    rng = random.Random(16)
    numbers: set[tuple[int, str]] = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in phonenumbers.PhoneNumberType.values():
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.add((example.country_code, str(example.national_number)))
    for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        for _ in range(30):
            numbers.add((cc, str(rng.randrange(1, 10**rng.randrange(2, 13)))))
    quick = 0
    for cc, national in sorted(numbers):
        slow = phonenumbers.format_number(PhoneNumber(country_code=cc, national_number=int(national)),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        got = phones.international(cc, national)
        assert got is None or got == slow, (cc, national)
        quick += got is not None
        e164 = f"+{cc}{national}"
        if _slow(e164, "KE") == ("ok", e164):  # a number as ispclient stores it
            assert export.shown_phone(e164) == validation.display_phone(e164), e164
    assert quick > len(numbers) * 0.9, (quick, len(numbers))
