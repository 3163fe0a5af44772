"""leaksweep: a secret scanner for git."""

__version__ = "0.1.0"
