"""hrhsim: agent-based simulation of international health-worker migration and the WHO Code levers."""

__version__ = "0.1.0"
