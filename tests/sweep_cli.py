"""`python -m tests.sweep_cli ARGS`: `hrhsim ARGS` with the test sweep models registered.

Subprocess tests of `hrhsim sweep` use it: the package itself only knows `model: hrhsim`.
"""

import sys

from sim.cli import main
from tests import sweep_models

if __name__ == "__main__":
    sweep_models.register()
    sys.exit(main())
