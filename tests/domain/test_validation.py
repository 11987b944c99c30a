from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ispclient.domain import validation as v
from ispclient.domain.errors import ValidationError


@pytest.mark.parametrize("name", ["محمد عبد الله", "王小明", "Zoë 🚀 Ωmega", "José Müller-Ñúñez", "A"])
def test_names_in_any_script_are_kept_exactly(name: str) -> None:
    assert v.name(name) == name


def test_empty_name() -> None:
    with pytest.raises(ValidationError) as e:
        v.name("   ")
    assert e.value.errors == {"name": "Enter the client's name."}


def test_control_characters_refused() -> None:
    with pytest.raises(ValidationError):
        v.name("Bob\x00")


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [("0712 345 678", "KE", "+254712345678"), ("+234 803 123 4567", "KE", "+2348031234567"),
     ("(201) 555-0123", "US", "+12015550123"), ("", "KE", "")],
)
def test_phone_normalised(raw: str, country: str, e164: str) -> None:
    assert v.phone(raw, country) == e164


@pytest.mark.parametrize("raw", ["12", "phone me", "+999 123", "0712"])
def test_unparseable_phone(raw: str) -> None:
    with pytest.raises(ValidationError) as e:
        v.phone(raw, "KE")
    assert "phone number" in e.value.errors["phone"]


@pytest.mark.parametrize("raw", ["a@", "no-at-sign", "a@@b.com", "a b@c.com", "@example.com"])
def test_malformed_email(raw: str) -> None:
    with pytest.raises(ValidationError) as e:
        v.email(raw)
    assert "not a valid e-mail" in e.value.errors["email"]


def test_email_normalised_domain() -> None:
    assert v.email(" Amina@Example.COM ") == "Amina@example.com"
    assert v.email("") == ""


@pytest.mark.parametrize(("raw", "fragment"), [("john doe", "spaces"), ("jöhn", "English letters"),
                                               ("用户", "English letters"), ("a/b", "letters, digits"),
                                               ("x" * 65, "too long")])
def test_bad_pppoe_usernames(raw: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as e:
        v.pppoe_username(raw)
    assert fragment in e.value.errors["pppoe_username"]


def test_good_pppoe_usernames() -> None:
    assert v.pppoe_username(" client00001 ") == "client00001"
    assert v.pppoe_username("amina.w@home") == "amina.w@home"
    assert v.pppoe_username("1001") == "1001"


def test_ten_thousand_character_address_refused() -> None:
    with pytest.raises(ValidationError) as e:
        v.address("x" * 10_000)
    assert "too long" in e.value.errors["address"] and "10,000" in e.value.errors["address"]


def test_multiline_address_accepted() -> None:
    assert v.address("Plot 4\nKisumu Rd") == "Plot 4\nKisumu Rd"


@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=64))
def test_alnum_usernames_accepted(s: str) -> None:
    assert v.pppoe_username(s) == s


@given(st.text(min_size=1, max_size=64))
def test_pppoe_username_validator_is_total(s: str) -> None:
    try:
        out = v.pppoe_username(s)
    except ValidationError as e:
        assert set(e.errors) == {"pppoe_username"}
    else:
        assert out == "" or (out.isascii() and " " not in out and len(out) <= 64)


@given(st.text(max_size=300))
def test_name_validator_is_total(s: str) -> None:
    try:
        out = v.name(s)
    except ValidationError as e:
        assert set(e.errors) == {"name"}
    else:
        assert out == s.strip() and 0 < len(out) <= v.MAX_NAME


@given(st.text(max_size=40))
def test_phone_validator_is_total(s: str) -> None:
    try:
        out = v.phone(s, "KE")
    except ValidationError as e:
        assert set(e.errors) == {"phone"}
    else:
        assert out == "" or out.startswith("+")


@given(st.emails())
def test_generated_emails(s: str) -> None:
    try:
        out = v.email(s)
    except ValidationError as e:
        assert set(e.errors) == {"email"}
    else:
        assert "@" in out
