"""The web pages. Thin: they read and act through the domain modules."""
