"""hrhsim: agent-based simulation of health-worker migration and the WHO Code levers."""

__version__ = "0.1.0"
