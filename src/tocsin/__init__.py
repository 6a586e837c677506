"""Tocsin: self-hosted heartbeat monitoring for scheduled jobs."""

# Standard library only: importing tocsin must not load the server's stack.
from tocsin.job.monitor import monitor
from tocsin.version import __version__

__all__ = ["__version__", "monitor"]
