"""Tocsin's version, in a module of its own: the job client reads it for its
User-Agent without importing the package's front door."""

__version__ = "0.1.0"
