"""`KEEP`: a field of a change that stays as it is, as a PATCH leaves what it does not
send. A sentinel of its own, since None is a value some fields take."""

from enum import Enum


class Keep(Enum):
    KEEP = "keep"


KEEP = Keep.KEEP
