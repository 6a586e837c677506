"""Slack's and Twilio's request signatures, against the examples in their own
documentation, and the checks around them."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.signatures import (
    slack_request_is_genuine,
    slack_signature,
    twilio_request_is_genuine,
    twilio_signature,
)

# Slack's "Verifying requests from Slack" walk-through.
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_EXPECTED = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
SENT = datetime.fromtimestamp(int(SLACK_TIMESTAMP), UTC)

# Twilio's "Webhooks security" example.
TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = [
    ("Digits", "1234"),
    ("To", "+18005551212"),
    ("From", "+12349013030"),
    ("Caller", "+12349013030"),
    ("CallSid", "CA1234567890ABCDE"),
]


def test_slack_s_example_signs_as_slack_says() -> None:
    assert slack_signature(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY) == SLACK_EXPECTED


def test_a_slack_request_is_genuine_within_five_minutes_either_way() -> None:
    for skew in (timedelta(0), timedelta(minutes=5), -timedelta(minutes=5)):
        assert slack_request_is_genuine(
            SLACK_SECRET, SLACK_TIMESTAMP, SLACK_EXPECTED, SLACK_BODY, SENT + skew
        )
    for skew in (timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)):
        assert not slack_request_is_genuine(
            SLACK_SECRET, SLACK_TIMESTAMP, SLACK_EXPECTED, SLACK_BODY, SENT + skew
        )


def test_a_slack_request_changed_in_any_part_is_not_genuine() -> None:
    cases = [
        ("", SLACK_TIMESTAMP, SLACK_EXPECTED, SLACK_BODY),
        ("other", SLACK_TIMESTAMP, SLACK_EXPECTED, SLACK_BODY),
        (SLACK_SECRET, "1531420619", SLACK_EXPECTED, SLACK_BODY),
        (SLACK_SECRET, "", SLACK_EXPECTED, SLACK_BODY),
        (SLACK_SECRET, "1e9", SLACK_EXPECTED, SLACK_BODY),
        (SLACK_SECRET, SLACK_TIMESTAMP, SLACK_EXPECTED.upper(), SLACK_BODY),
        (SLACK_SECRET, SLACK_TIMESTAMP, "", SLACK_BODY),
        (SLACK_SECRET, SLACK_TIMESTAMP, SLACK_EXPECTED, SLACK_BODY + b" "),
    ]
    for secret, timestamp, signature, body in cases:
        assert not slack_request_is_genuine(secret, timestamp, signature, body, SENT)


@given(st.text(), st.text())
def test_no_header_slack_sends_makes_the_check_raise(timestamp: str, signature: str) -> None:
    assert not slack_request_is_genuine(SLACK_SECRET, timestamp, signature, b"", SENT)


def test_twilio_s_example_signs_as_twilio_says() -> None:
    assert (
        twilio_signature(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


def test_a_twilio_request_changed_in_any_part_is_not_genuine() -> None:
    good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_request_is_genuine(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS, good)
    assert not twilio_request_is_genuine("", TWILIO_URL, TWILIO_PARAMS, good)
    assert not twilio_request_is_genuine(TWILIO_TOKEN, TWILIO_URL + "&", TWILIO_PARAMS, good)
    changed = [*TWILIO_PARAMS[1:], ("Digits", "1")]
    assert not twilio_request_is_genuine(TWILIO_TOKEN, TWILIO_URL, changed, good)
    assert not twilio_request_is_genuine(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS, "é")
