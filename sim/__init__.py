"""hrhsim: agent-based simulation of health-worker migration and the WHO Code levers."""

from sim import jitcache as _jitcache  # noqa: F401  (first: keys numba's cache on the code)

__version__ = "0.1.0"
