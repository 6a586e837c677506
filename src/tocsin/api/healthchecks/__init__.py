"""Healthchecks' Management API (v1, v2 and v3), for clients written for it."""
