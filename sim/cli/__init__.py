"""The `hrhsim` command line: one `main`, one error path, a module per subcommand."""

from sim.cli.app import main

__all__ = ["main"]
