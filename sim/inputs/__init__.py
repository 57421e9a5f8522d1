"""Reading what users write: one YAML reader, the scenario schema and files, worlds."""
