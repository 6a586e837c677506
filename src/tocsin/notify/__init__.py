"""Channels: one module per kind, all behind the interface in notify.base."""
