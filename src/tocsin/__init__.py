"""Tocsin: self-hosted heartbeat monitoring for scheduled jobs."""

__version__ = "0.1.0"
