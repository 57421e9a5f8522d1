"""The code fingerprint recorded in every manifest changes with the package's sources and data."""

from __future__ import annotations

from sim.outputs import provenance


def test_fingerprint_is_stable_and_covers_sources(tmp_path, monkeypatch):
    first = provenance.code_fingerprint()
    assert first == provenance.code_fingerprint() and len(first) == 64
    fake = tmp_path / "sim"
    fake.mkdir()
    (fake / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(provenance, "PACKAGE_DIR", fake)
    provenance.code_fingerprint.cache_clear()
    one = provenance.code_fingerprint()
    (fake / "a.py").write_text("x = 2\n")
    provenance.code_fingerprint.cache_clear()
    assert provenance.code_fingerprint() != one
    provenance.code_fingerprint.cache_clear()
