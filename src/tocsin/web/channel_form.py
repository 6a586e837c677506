"""The add-channel form, made from the kind's settings model: a field per setting with
its label, help (the field's description) and widget (a choice for a fixed set of
values, a JSON textarea for headers and other structures, text otherwise), and what was
typed read back through the same model, with each error beside its field. Pure."""

import json
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from tocsin.notify.base import Kind, without_none

MAX_NAME = 100
WORDS = {"url": "URL", "api": "API", "id": "ID"}


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    help: str
    widget: str  # text, number, select, json or list
    required: bool
    options: tuple[str, ...] = ()
    placeholder: str = ""


@dataclass
class ChannelForm:
    kind: Kind
    fields: list[FormField]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def widget_of(annotation: Any) -> tuple[str, tuple[str, ...]]:
    plain = without_none(annotation)
    if get_origin(plain) is Literal:
        return "select", tuple(str(a) for a in get_args(plain))
    if plain is bool:
        return "select", ("false", "true")
    if plain is int:
        return "number", ()
    if get_origin(plain) is list and get_args(plain) == (str,):
        return "list", ()
    if get_origin(plain) in (dict, list) or (
        isinstance(plain, type) and issubclass(plain, BaseModel)
    ):
        return "json", ()
    return "text", ()


def form_field(name: str, info: FieldInfo) -> FormField:
    widget, options = widget_of(info.annotation)
    help_text = info.description or ""
    if widget == "list":
        help_text = (help_text + " " if help_text else "") + "Separate several with commas."
    if widget == "json":
        help_text = (help_text + " " if help_text else "") + "A JSON object."
    return FormField(
        name=name,
        label=label_of(name),
        help=help_text,
        widget=widget,
        required=info.is_required(),
        options=options,
        placeholder=placeholder(info, widget),
    )


def label_of(name: str) -> str:
    """`api_url` reads "API URL"; `chat_id` "Chat ID"."""
    words = [WORDS.get(word, word) for word in name.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def placeholder(info: FieldInfo, widget: str) -> str:
    if info.is_required():
        return ""
    if widget == "json":
        return "{}"
    default = info.get_default(call_default_factory=True)
    return "" if default is None or widget == "select" else str(default)


def channel_form(kind: Kind, values: dict[str, str] | None = None) -> ChannelForm:
    fields = [form_field(name, info) for name, info in kind.config.model_fields.items()]
    chosen = values or {}
    defaults = {f.name: f.options[0] for f in fields if f.widget == "select"}
    for f in fields:
        info = kind.config.model_fields[f.name]
        if f.widget == "select" and not info.is_required():
            default = info.get_default()
            defaults[f.name] = str(default).lower() if isinstance(default, bool) else str(default)
    return ChannelForm(kind, fields, {**defaults, **chosen})


def read_channel_form(
    kind: Kind, values: dict[str, str]
) -> tuple[dict[str, Any] | None, ChannelForm]:
    """The channel's settings, ready to store, or None with the form and its errors."""
    form = channel_form(kind, values)
    if len(values.get("name", "")) > MAX_NAME:
        form.errors["name"] = f"a name has at most {MAX_NAME} characters"
    raw: dict[str, Any] = {}
    for f in form.fields:
        text = form.values.get(f.name, "").strip()
        if text:
            raw[f.name] = typed_value(form, f, text)
    if form.errors:
        return None, form
    try:
        kind.config.model_validate(raw)
    except ValidationError as error:
        note_errors(form, error)
        return None, form
    return raw, form


def typed_value(form: ChannelForm, f: FormField, text: str) -> Any:
    """What the model is given: JSON parsed, lists split; the model checks the rest."""
    if f.widget == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if f.widget != "json":
        return text
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        form.errors[f.name] = f"not valid JSON: {error.msg} (line {error.lineno})"
        return None
    if not isinstance(value, dict):
        form.errors[f.name] = 'write a JSON object, such as {"X-Token": "abc"}'
    return value


def note_errors(form: ChannelForm, error: ValidationError) -> None:
    known = {f.name for f in form.fields}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        name = location[0] if location and location[0] in known else ""
        inner = ".".join(location[1:]) if name else ".".join(location)
        text = f"{inner}: {problem['msg']}" if inner else problem["msg"]
        target = name or "form"
        form.errors[target] = "; ".join(filter(None, [form.errors.get(target, ""), text]))
