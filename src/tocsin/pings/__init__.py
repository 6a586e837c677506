"""Ping intake: the URL dialects, the fast write path and the ASGI endpoint."""
