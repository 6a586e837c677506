"""Tocsin: self-hosted heartbeat monitoring for scheduled jobs."""

from typing import TYPE_CHECKING, Any

from tocsin.version import __version__

if TYPE_CHECKING:
    from tocsin.job.monitor import monitor

__all__ = ["__version__", "monitor"]


def __getattr__(name: str) -> Any:
    """`tocsin.monitor` loads on first use: every `tocsin` command imports this package,
    and the job client's HTTP and TLS modules are no business of `tocsin check list`."""
    if name == "monitor":
        from tocsin.job.monitor import monitor

        return monitor
    raise AttributeError(f"module 'tocsin' has no attribute {name!r}")
