"""`store.backup`: a copy with the database's rows and a generation of its own."""

import sqlite3
from pathlib import Path

from tocsin.store.backup import back_up_sqlite
from tocsin.store.generation import READ_GENERATION, set_generation_statement


def make_database(path: Path, generation: int) -> None:
    with sqlite3.connect(path, isolation_level=None) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE pings (n INTEGER)")
        connection.executemany("INSERT INTO pings VALUES (?)", [(n,) for n in range(100)])
        connection.execute(set_generation_statement(generation))
    connection.close()


def read(path: Path, sql: str) -> object:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def test_the_copy_holds_the_rows_under_a_generation_of_its_own(tmp_path: Path) -> None:
    make_database(tmp_path / "tocsin.db", generation=12345)
    backup = back_up_sqlite(tmp_path / "tocsin.db", tmp_path / "copy.db")
    assert read(tmp_path / "copy.db", "SELECT sum(n) FROM pings") == sum(range(100))
    assert read(tmp_path / "copy.db", READ_GENERATION) == backup.generation
    assert backup.generation not in (0, 12345)
    assert read(tmp_path / "tocsin.db", READ_GENERATION) == 12345  # the original untouched
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_two_copies_have_different_generations(tmp_path: Path) -> None:
    make_database(tmp_path / "tocsin.db", generation=1)
    first = back_up_sqlite(tmp_path / "tocsin.db", tmp_path / "1.db")
    second = back_up_sqlite(tmp_path / "tocsin.db", tmp_path / "2.db")
    assert first.generation != second.generation
