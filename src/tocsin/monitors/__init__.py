"""A project's checks, channels and policies as a file: read, written, planned, applied."""
