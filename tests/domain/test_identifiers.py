"""Unguessable identifiers: their forms, and that each is drawn afresh."""

import re
import uuid

import pytest

from tocsin.domain.identifiers import (
    API_KEY_LENGTH,
    new_api_key,
    new_check_uuid,
    new_ping_key,
    new_token,
    random_string,
)

DRAWS = 200


def test_a_check_uuid_is_a_random_version_4_uuid() -> None:
    drawn = {new_check_uuid() for _ in range(DRAWS)}
    assert len(drawn) == DRAWS
    assert {u.version for u in drawn} == {4}
    assert {u.variant for u in drawn} == {uuid.RFC_4122}


def test_a_token_is_24_letters_and_digits() -> None:
    drawn = {new_token() for _ in range(DRAWS)}
    assert len(drawn) == DRAWS
    assert all(re.fullmatch(r"[A-Za-z0-9]{24}", token) for token in drawn)


def test_a_ping_key_is_26_lower_case_letters_and_digits() -> None:
    drawn = {new_ping_key() for _ in range(DRAWS)}
    assert len(drawn) == DRAWS
    assert all(re.fullmatch(r"[a-z0-9]{26}", key) for key in drawn)


@pytest.mark.parametrize(("read_only", "prefix"), [(False, "tcw_"), (True, "tcr_")])
def test_an_api_key_says_its_kind_and_has_the_length_healthchecks_clients_send(
    read_only: bool, prefix: str
) -> None:
    drawn = {new_api_key(read_only=read_only) for _ in range(DRAWS)}
    assert len(drawn) == DRAWS
    assert API_KEY_LENGTH == 32
    assert all(re.fullmatch(rf"{prefix}[A-Za-z0-9]{{28}}", key) for key in drawn)


def test_a_random_string_uses_every_symbol_of_its_alphabet_and_no_other() -> None:
    text = random_string("ab", 2000)
    assert len(text) == 2000
    assert set(text) == {"a", "b"}
