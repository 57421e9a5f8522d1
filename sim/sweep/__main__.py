"""`python -m sim.sweep {sweep,sensitivity} ...`: the sweep commands without the full CLI."""

import sys

from sim.sweep import main

if __name__ == "__main__":
    sys.exit(main())
