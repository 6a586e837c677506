"""What every API dialect shares: keys, the request body, refusals and routes."""
