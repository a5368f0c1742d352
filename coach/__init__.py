"""coach: a pose-checking back-mobility coach."""

__version__ = "0.1.0"
