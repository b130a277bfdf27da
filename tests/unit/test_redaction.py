"""Card numbers, secrets, e-mails and phone numbers found and masked (issue 13, finding 4)."""

import pytest

from privacy.redaction import REDACTED, luhn_valid, mask_for_logs, redact


@pytest.mark.parametrize(("text", "expected"), [
    ("my card is 4111 1111 1111 1111", "my card is 411111******1111"),
    ("card: 4111-1111-1111-1111 exp 12/27", "card: 411111******1111 exp 12/27"),
    ("5555555555554444", "555555******4444"),
    ("卡号6222020200112233445的扣款", None),  # not Luhn-valid: left alone
    ("Amex 378282246310005 please", "Amex 378282*****0005 please"),
])
def test_card_numbers_are_masked_when_luhn_valid(text, expected):
    result = redact(text)
    assert result.text == (expected or text)
    assert ("card" in result.kinds) == bool(expected)


def test_numbers_that_are_not_cards_stay():
    for text in ("my order 12345678 never arrived", "My parcel 20261123001 is late", "1234 5678 9012 3456",
                 "tracking SF1234567890123"):
        assert redact(text).text == text, text


@pytest.mark.parametrize(("text", "expected"), [
    ("my CVV is 123", f"my CVV is {REDACTED}"),
    ("cvc: 9876", f"cvc: {REDACTED}"),
    ("security code 321, expiry 10/28", f"security code {REDACTED}, expiry 10/28"),
    ("my password is hunter2", f"my password is {REDACTED}"),
    ("password: S3cr3t!pass", f"password: {REDACTED}"),
    ("PIN 4321", f"PIN {REDACTED}"),
    ("安全码是123", f"安全码是{REDACTED}"),
    ("我的密码是abc12345，登不上", f"我的密码是{REDACTED}，登不上"),
    ("验证码：884512", f"验证码：{REDACTED}"),
])
def test_named_secrets_lose_their_value(text, expected):
    result = redact(text)
    assert result.text == expected and result.kinds == ("secret",)


@pytest.mark.parametrize("text", ["I forgot my password", "how do I reset my password", "my password is wrong",
                                  "my password is not working", "密码忘了怎么办", "I want to change my PIN"])
def test_talking_about_passwords_is_not_redacted(text):
    assert redact(text).text == text


def test_emails_and_phones_are_masked_and_returned_as_contact():
    result = redact("reach me at jane.doe@example.com or 13812345678")
    assert result.text == "reach me at j***@example.com or 138****5678"
    assert result.contact == {"email": "jane.doe@example.com", "phone": "13812345678"}
    assert result.kinds == ("email", "phone")


@pytest.mark.parametrize(("text", "masked", "phone"), [
    ("13812345678", "138****5678", "13812345678"),
    ("我的手机 138-1234-5678", "我的手机 138****5678", "138-1234-5678"),
    ("call +86 138 1234 5678", "call 138****5678", "+86 138 1234 5678"),
    ("US: +1 415-555-2671", "US: 415***2671", "+1 415-555-2671"),
    ("office 010-12345678", "office 101***5678", "010-12345678"),
])
def test_phone_numbers_chinese_mobiles_included(text, masked, phone):
    result = redact(text)
    assert result.text == masked and result.contact == {"phone": phone}


def test_a_chinese_mobile_alone_is_a_phone_not_an_order_number():
    assert redact("13812345678").kinds == ("phone",)


def test_everything_at_once_and_logs():
    text = "Card 4111111111111111 CVV 123, password: pa55word, mail a@b.co, tel 13912345678"
    result = redact(text)
    assert result.text == ("Card 411111******1111 CVV [redacted], password: [redacted], mail a***@b.co, "
                           "tel 139****5678")
    assert mask_for_logs(text) == result.text
    assert "4111111111111111" not in result.text and "pa55word" not in result.text


def test_redaction_is_idempotent_and_harmless():
    once = redact("4111 1111 1111 1111 / x@y.org / 13812345678").text
    assert redact(once).text == once
    assert redact("").text == "" and not redact("hello").changed


def test_luhn():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112") and not luhn_valid("12")
