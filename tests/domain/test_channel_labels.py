"""A channel's label, the one way every timeline, list, page and API names it: never
empty, never a secret."""

from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.records import channel_label

ID = UUID("3f2a9c1e-0000-4000-8000-000000000000")


def test_a_named_channel_is_its_name() -> None:
    assert channel_label("ops pager", "webhook", ID, {"url": "https://x"}) == "ops pager"
    assert channel_label("  ops  ", "email", ID) == "ops"


def test_a_nameless_email_channel_is_named_by_its_addresses() -> None:
    assert channel_label("", "email", ID, {"to": ["ops@example.com"]}) == "email to ops@example.com"
    two = {"to": ["ops@example.com", "oncall@example.com"]}
    assert channel_label("", "email", ID, two) == "email to ops@example.com and 1 more"
    # As stored: JSON text, and the comma-separated form people type.
    assert channel_label(" ", "email", ID, '{"to": "a@example.com, b@example.com"}') == (
        "email to a@example.com and 1 more"
    )


def test_any_other_nameless_channel_is_its_kind_and_id_never_its_url() -> None:
    secret = {"url": "https://hooks.slack.com/services/T0/B0/secret"}
    assert channel_label("", "slack", ID, secret) == "slack 3f2a9c1e"
    assert channel_label("", "email", ID, "not json") == "email 3f2a9c1e"
    assert channel_label("", "email", ID, {"to": []}) == "email 3f2a9c1e"


@given(
    st.text(max_size=20),
    st.sampled_from(["email", "webhook", "slack"]),
    st.one_of(
        st.none(),
        st.text(max_size=30),
        st.dictionaries(st.just("to"), st.one_of(st.text(), st.integers(), st.lists(st.text()))),
    ),
)
def test_a_label_is_never_blank(name: str, kind: str, config: object) -> None:
    assert channel_label(name, kind, ID, config).strip()
