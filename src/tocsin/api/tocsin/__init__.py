"""Tocsin's own API, /api/tocsin/v1, with its OpenAPI document."""
