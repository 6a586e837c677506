"""Better Stack's Uptime API (v2 and v3) for heartbeats, groups, incidents and policies."""
