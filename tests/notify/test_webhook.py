"""Generic webhooks: the notification's id, which lets a receiver drop a repeat."""

from tests.notify.messages import down
from tocsin.notify.webhook import WebhookConfig, build

KEY = "2c5ea7a6-2b1c-5b0e-8f4b-9d1c3e5f7a9b"


def test_the_notification_id_is_in_two_headers_and_the_event() -> None:
    request = build(WebhookConfig(url="https://hooks.example.com/"), down(notification_key=KEY))

    assert request.headers == {"Idempotency-Key": KEY, "X-Tocsin-Notification-Id": KEY}
    assert request.json["notification_id"] == KEY


def test_a_template_names_the_notification_id_where_it_likes() -> None:
    config = WebhookConfig(
        url="https://hooks.example.com/?id=$NOTIFICATION_ID", body='{"dedup": "$NOTIFICATION_ID"}'
    )

    request = build(config, down(notification_key=KEY))

    assert request.url == f"https://hooks.example.com/?id={KEY}"
    assert request.content == f'{{"dedup": "{KEY}"}}'.encode()


def test_a_header_the_channel_sets_by_the_same_name_wins() -> None:
    config = WebhookConfig(url="https://hooks.example.com/", headers={"idempotency-key": "mine"})

    request = build(config, down(notification_key=KEY))

    assert request.headers == {"idempotency-key": "mine", "X-Tocsin-Notification-Id": KEY}
