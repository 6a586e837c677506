"""Which copy of a SQLite database this is: its generation, a random number in the file's header.

The ping log (`store.fastpath.pinglog`) replays into a database the batches it lost.
Sequence numbers alone cannot tell a database that lost its last commits to a power
cut (replay them) from an older copy of it put back from a backup (the log's later
batches are a history that copy never had: replayed, they would bring back pings,
incidents and alerts from after the backup). So every record carries the generation
of the database it was logged for; the server gives the database a new generation
each time it opens the log, and `tocsin backup` gives each copy one of its own. A log
whose batches belong to another generation is set aside, never replayed.

The generation is SQLite's `user_version`, the 32-bit field of the file's header that
SQLite leaves to the application: every copy of the file carries it, whatever made
the copy; it is written in a transaction like any row; and it needs no table, while
the migrations are shared with PostgreSQL, which keeps no ping log. Zero means a
database never given one.
"""

import secrets

READ_GENERATION = "PRAGMA user_version"


def new_generation() -> int:
    """A random generation, never zero; it fits the header's signed 32 bits."""
    return secrets.randbelow((1 << 31) - 1) + 1


def set_generation_statement(generation: int) -> str:
    """PRAGMA takes no parameters; the value is a whole number checked here."""
    if not 0 < generation < 1 << 31:
        raise ValueError(f"not a generation: {generation}")
    return f"PRAGMA user_version = {generation:d}"
