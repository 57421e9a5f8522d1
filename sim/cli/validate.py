"""`hrhsim validate`: check scenario files (every file is checked; exit 2 if any is invalid)."""

from __future__ import annotations

import argparse
import sys

from sim.cli.argtypes import add_set_option
from sim.errors import HrhsimError
from sim.inputs.schema import first_simulated_year

HELP = "check scenario files"
DESCRIPTION = (
    "Check scenario files: YAML syntax, `extends` chains, keys, types, ranges, choices and "
    "country codes (against the world each scenario names). Prints one line per valid file; "
    "errors name the file, line and key path."
)
EPILOG = """\
examples:
  hrhsim validate scenarios/baseline.yaml
  hrhsim validate scenarios/*.yaml
  hrhsim validate scenarios/ethical_recruitment.yaml --set policies.compensation.enabled=true
  hrhsim validate scenarios/baseline.yaml --set "world.countries=[KEN, GHA, GBR]"

Exit status 2 if any file is invalid (every file is checked)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML file(s)")
    add_set_option(parser, every="file given")


def run(args: argparse.Namespace) -> int:
    from sim.inputs.scenario import load_scenario, selected_countries

    status = 0
    for file in args.files:
        try:
            scenario = load_scenario(file, args.overrides)
            countries = len(selected_countries(scenario))
        except HrhsimError as err:
            if args.debug:
                raise
            print(f"error: {err}", file=sys.stderr)
            status = 2
            continue
        data = scenario.data
        world = data["world"]["kind"]
        if world == "file":
            world = f"file {data['world']['file']}"
        first = data["time"]["start_year"]
        last = first + data["time"]["years"] - 1
        simulated = first_simulated_year(data["time"])
        after = f" after a spin-up from {simulated}" if simulated < first else ""
        print(
            f"OK  {file} (name: {scenario.name}, world: {world}, {countries} "
            f"countr{'y' if countries == 1 else 'ies'}, years {first}-{last}{after})"
        )
    return status
