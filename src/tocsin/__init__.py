"""Tocsin: self-hosted heartbeat monitoring for scheduled jobs."""

__version__ = "0.1.0"

# After __version__, which the ping client's User-Agent reads. Standard library only:
# importing tocsin must not load the server's stack.
from tocsin.job.monitor import monitor

__all__ = ["__version__", "monitor"]
