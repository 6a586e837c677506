"""What happens when a check changes status. For now: it is logged; incidents and
notifications read the stored flips."""

import logging

from tocsin.domain.checks import Flip
from tocsin.domain.records import CheckRecord

log = logging.getLogger("tocsin.flips")


def log_flip(record: CheckRecord, flip: Flip) -> None:
    log.info(
        "check %r (%s) %s -> %s: %s",
        record.label,
        record.uuid,
        flip.old_status,
        flip.new_status,
        flip.reason,
    )
