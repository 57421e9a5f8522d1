"""Builders of the derived world tables beyond the country table (used by ``build_world.py``).

Modules: ``common`` (shared helpers), ``literature`` (figures transcribed from publications,
validated), ``gravity`` (PPML gravity model of foreign-trained doctor stocks), ``initial_stock``
(the initial foreign-trained stock by origin, destination and cadre), ``supply`` (stock growth,
age profile, exit hazards, training), ``demand`` (GDP per capita growth, the posts elasticity).
Every function is deterministic: the same raw files give the same bytes.
"""
