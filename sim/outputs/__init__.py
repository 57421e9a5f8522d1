"""What a run produces: indicators, result folders (atomic writing), provenance."""
