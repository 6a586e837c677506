"""What `tocsin serve` says of the checks when it starts: how to make the first, or how
many there are and the ping URLs of the first few."""

from tocsin.domain.describe import EXAMPLE_CRON
from tocsin.domain.records import CheckRecord

BANNER_CHECKS = 5


def checks_banner(records: list[CheckRecord], base_url: str, program: str) -> str:
    """The first few checks, and how many more `tocsin check list` shows; with none, a
    first check on a schedule, as the quick start makes it."""
    if not records:
        return (
            "No checks yet. Create one with:\n"
            f"  {program} check create --name 'db backup' --cron '{EXAMPLE_CRON}' --tz UTC"
            " --grace 1h"
        )
    count = len(records)
    lines = [f"{count} {'check' if count == 1 else 'checks'}. Ping URLs:"]
    lines += [f"  {r.label}: {base_url}/ping/{r.uuid}" for r in records[:BANNER_CHECKS]]
    if count > BANNER_CHECKS:
        lines.append(f"  and {count - BANNER_CHECKS} more: {program} check list")
    return "\n".join(lines)
