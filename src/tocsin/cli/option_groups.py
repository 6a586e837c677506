"""Options defined once and shared by the commands that take them.

A group of options is a frozen dataclass whose fields carry their `typer.Option` in
`option(...)`. A command names a group as a parameter (`settings: SettingsOptions`);
`with_option_groups` spreads the group's fields into the command's options, so Typer
sees each as its own, and hands the command the group built from what was given.
`tocsin check create`, `edit` and `keywords` take the same options this way, with the
same names, help and parsing, and none is written twice.
"""

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
GROUP_MARK = "__option_group__"
KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY  # Typer passes every value by name


def option(typer_option: Any) -> Any:
    """A field of an option group; what was not given is None (a list: empty)."""
    default_factory = list if typer_option.default == [] else None
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata={"option": typer_option})
    return dataclasses.field(default=None, metadata={"option": typer_option})


def option_group(cls: type[T]) -> type[T]:
    """Mark a dataclass as a group of options."""
    setattr(cls, GROUP_MARK, True)
    return cls


def is_group(annotation: Any) -> bool:
    return isinstance(annotation, type) and getattr(annotation, GROUP_MARK, False)


def with_option_groups(command: Callable[..., None]) -> Callable[..., None]:
    """The command with each group parameter replaced by the group's options."""
    hints = typing.get_type_hints(command)
    own = inspect.signature(command).parameters.values()
    groups = {p.name: hints[p.name] for p in own if is_group(hints.get(p.name))}
    spread: list[inspect.Parameter] = []
    for parameter in own:  # in the command's order, each group where it is named
        if parameter.name in groups:
            spread += group_parameters(groups[parameter.name])
        else:
            annotation = hints.get(parameter.name, parameter.annotation)
            spread.append(parameter.replace(kind=KEYWORD_ONLY, annotation=annotation))
    names = [p.name for p in spread]
    assert len(names) == len(set(names)), f"an option is named twice in {command.__name__}"

    @functools.wraps(command)
    def run(**given: Any) -> None:
        for name, group in groups.items():
            fields = [f.name for f in dataclasses.fields(group)]
            given[name] = group(**{field: given.pop(field) for field in fields})
        command(**given)

    run.__signature__ = inspect.Signature(spread)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in spread}
    return run


def group_parameters(group: type) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(group)
    return [
        inspect.Parameter(
            field.name,
            KEYWORD_ONLY,
            default=field.metadata["option"],
            annotation=hints[field.name],
        )
        for field in dataclasses.fields(group)
    ]
