"""The add-channel form: a field per setting of the kind, with its label, help and
widget, and what was typed read back through the kind's model, each error beside its
field."""

from typing import Any, Literal, Self

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tocsin.notify.base import ChannelConfig, Kind
from tocsin.notify.kinds import KINDS, kind_named
from tocsin.web.channel_form import FormField, channel_form, label_of, read_channel_form

WEBHOOK = kind_named("webhook")
EMAIL = kind_named("email")
NTFY = kind_named("ntfy")
OPSGENIE = kind_named("opsgenie")


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: int = 0


class Every(ChannelConfig):
    """One setting of each shape a kind may have."""

    api_url: str = Field(description="Where to send")
    chat_id: int | str = Field(default="general")
    priority: int | None = None
    color: Literal["red", "green"] = "green"
    mode: Literal["a", "b"]
    to: list[str] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    inner: Inner = Field(default_factory=Inner, description="Nested settings.")
    token: str | None = Field(default=None, description="Secret")

    @model_validator(mode="after")
    def not_both(self) -> Self:
        if self.token and self.priority:
            raise ValueError("a token and a priority exclude each other")
        return self


async def never_delivers(settings: Any, message: Any, outbound: Any) -> None:
    raise AssertionError("a form never delivers")


EVERY = Kind("every", "Every shape", Every, never_delivers)


def fields_by_name(kind: Kind) -> dict[str, FormField]:
    return {f.name: f for f in channel_form(kind).fields}


def test_each_setting_gets_the_widget_its_type_calls_for() -> None:
    widgets = {name: (f.widget, f.options) for name, f in fields_by_name(EVERY).items()}
    assert widgets == {
        "api_url": ("text", ()),
        "chat_id": ("text", ()),
        "priority": ("number", ()),
        "color": ("select", ("red", "green")),
        "mode": ("select", ("a", "b")),
        "to": ("list", ()),
        "headers": ("json", ()),
        "inner": ("json", ()),
        "token": ("text", ()),
    }


def test_fields_come_in_the_models_order_with_required_ones_marked() -> None:
    fields = channel_form(EVERY).fields
    assert [f.name for f in fields] == list(Every.model_fields)
    assert [f.name for f in fields if f.required] == ["api_url", "mode"]


def test_help_is_the_description_and_says_how_to_write_lists_and_json() -> None:
    fields = fields_by_name(EVERY)
    assert fields["api_url"].help == "Where to send"
    assert fields["priority"].help == ""
    assert fields["to"].help == "Separate several with commas."
    assert fields["headers"].help == "A JSON object."
    assert fields["inner"].help == "Nested settings. A JSON object."


def test_an_optional_field_shows_its_default_as_a_placeholder() -> None:
    placeholders = {name: f.placeholder for name, f in fields_by_name(EVERY).items()}
    del placeholders["to"]  # no kind has an optional list yet
    assert placeholders == {
        "api_url": "",  # required: no default to show
        "chat_id": "general",
        "priority": "",  # None: nothing to show
        "color": "",  # a select shows its default as chosen instead
        "mode": "",
        "headers": "{}",
        "inner": "{}",
        "token": "",
    }
    assert fields_by_name(kind_named("telegram"))["api_url"].placeholder == (
        "https://api.telegram.org"
    )


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("url", "URL"),
        ("api_url", "API URL"),
        ("chat_id", "Chat ID"),
        ("routing_key", "Routing key"),
        ("api_key", "API key"),
        ("homeserver", "Homeserver"),
        ("room_id", "Room ID"),
    ],
)
def test_labels_read_as_words(name: str, label: str) -> None:
    assert label_of(name) == label


def test_every_real_kind_makes_a_form_with_a_label_for_every_setting() -> None:
    for kind in KINDS.values():
        form = channel_form(kind)
        assert [f.name for f in form.fields] == list(kind.config.model_fields), kind.name
        assert all(f.label and f.label[0].isupper() for f in form.fields), kind.name


def test_a_new_form_has_each_select_on_its_default_or_first_choice() -> None:
    assert channel_form(EVERY).values == {"color": "green", "mode": "a"}
    assert channel_form(OPSGENIE).values == {"region": "us", "priority": "P1"}
    assert channel_form(WEBHOOK).values == {"method": "POST"}


def test_what_was_typed_wins_over_the_defaults() -> None:
    form = channel_form(OPSGENIE, {"region": "eu", "api_key": "k"})
    assert form.values == {"region": "eu", "priority": "P1", "api_key": "k"}


# Reading what was typed


def test_typed_values_become_the_settings_to_store() -> None:
    config, form = read_channel_form(
        WEBHOOK,
        {
            "url": " https://example.com/hook ",
            "method": "PUT",
            "body": "",
            "headers": '{"X-Token": "abc"}',
            "down": '{"body": "$NAME is down"}',
            "up": "",
        },
    )
    assert config == {
        "url": "https://example.com/hook",
        "method": "PUT",
        "headers": {"X-Token": "abc"},
        "down": {"body": "$NAME is down"},
    }
    assert form.errors == {}


def test_a_list_is_split_at_commas_and_empty_parts_dropped() -> None:
    config, _form = read_channel_form(EMAIL, {"to": "a@example.com, b@example.com,, "})
    assert config == {"to": ["a@example.com", "b@example.com"]}


def test_fields_left_empty_are_left_out_so_the_model_defaults_apply() -> None:
    config, _form = read_channel_form(NTFY, {"url": "https://ntfy.sh/backups", "token": "  "})
    assert config == {"url": "https://ntfy.sh/backups"}


def test_values_that_are_not_settings_are_ignored() -> None:
    typed = {"url": "https://ntfy.sh/x", "name": "phone", "kind": "ntfy", "csrf": "t"}
    config, _form = read_channel_form(NTFY, typed)
    assert config == {"url": "https://ntfy.sh/x"}


@pytest.mark.parametrize(
    ("kind", "typed", "errors"),
    [
        (EMAIL, {"to": ""}, {"to": "Field required"}),
        (EMAIL, {"to": "nobody"}, {"to": "Value error, not an email address: nobody"}),
        (
            NTFY,
            {"url": "https://ntfy.sh/x", "priority": "high"},
            {"priority": "Input should be a valid integer, unable to parse string as an integer"},
        ),
        (OPSGENIE, {"api_key": "k", "region": "mars"}, {"region": "Input should be 'us' or 'eu'"}),
        (
            WEBHOOK,
            {"url": "https://x", "headers": "{'X-Token': 'abc'}"},
            {
                "headers": "not valid JSON: Expecting property name enclosed in double quotes "
                "(line 1)"
            },
        ),
        (
            WEBHOOK,
            {"url": "https://x", "headers": '["X-Token"]'},
            {"headers": 'write a JSON object, such as {"X-Token": "abc"}'},
        ),
        (
            WEBHOOK,
            {"url": "https://x", "down": '{\n"method": "DELETE"}'},
            {"down": "method: Input should be 'GET', 'POST' or 'PUT'"},
        ),
        (
            WEBHOOK,
            {"url": "https://x", "headers": '{"X-Count": 1}'},
            {"headers": "X-Count: Input should be a valid string"},
        ),
    ],
)
def test_each_error_is_shown_beside_its_field(
    kind: Kind, typed: dict[str, str], errors: dict[str, str]
) -> None:
    config, form = read_channel_form(kind, typed)
    assert config is None
    assert form.errors == errors
    assert form.values == {**channel_form(kind).values, **typed}  # kept, to correct


def test_broken_json_says_where() -> None:
    _config, form = read_channel_form(WEBHOOK, {"url": "https://x", "down": '{\n  "body": }'})
    assert form.errors == {"down": "not valid JSON: Expecting value (line 2)"}


def test_a_problem_of_the_whole_setting_group_is_shown_on_the_form() -> None:
    typed = {"api_url": "https://x", "mode": "a", "priority": "3", "token": "t"}
    config, form = read_channel_form(EVERY, typed)
    assert config is None
    assert form.errors == {"form": "Value error, a token and a priority exclude each other"}


def test_several_problems_of_one_field_are_joined() -> None:
    typed = {"api_url": "https://x", "mode": "a", "inner": '{"level": "x", "extra": 1}'}
    _config, form = read_channel_form(EVERY, typed)
    assert form.errors == {
        "inner": "level: Input should be a valid integer, unable to parse string as an integer; "
        "extra: Extra inputs are not permitted"
    }


def test_a_name_longer_than_the_column_is_refused_with_the_other_errors() -> None:
    config, form = read_channel_form(EMAIL, {"name": "n" * 101, "to": "ops@example.com"})
    assert config is None
    assert form.errors == {"name": "a name has at most 100 characters"}
    config, form = read_channel_form(EMAIL, {"name": "n" * 100, "to": "ops@example.com"})
    assert config == {"to": ["ops@example.com"]}


def test_json_errors_are_reported_before_the_model_is_asked() -> None:
    """The model would add `url: Field required`; a broken field is fixed first."""
    _config, form = read_channel_form(WEBHOOK, {"headers": "{"})
    assert list(form.errors) == ["headers"]


def test_a_switch_is_a_choice_of_false_or_true_that_starts_on_its_default() -> None:
    form = channel_form(kind_named("slack"))
    [interactive] = [f for f in form.fields if f.name == "interactive"]
    assert (interactive.widget, interactive.options) == ("select", ("false", "true"))
    assert form.values["interactive"] == "false"
    raw, _ = read_channel_form(
        kind_named("slack"), {"url": "https://hooks.slack.com/x", "interactive": "true"}
    )
    assert raw is not None
    assert kind_named("slack").config.model_validate(raw).interactive is True  # type: ignore[attr-defined]


def test_a_twilio_channel_is_made_from_its_form() -> None:
    values = {
        "account_sid": "AC1",
        "auth_token": "t",
        "from_number": "+15550001111",
        "to": "+15552223333, +447700900123",
        "method": "voice",
    }
    raw, form = read_channel_form(kind_named("twilio"), values)
    assert form.errors == {}
    assert raw is not None
    assert raw["to"] == ["+15552223333", "+447700900123"]
