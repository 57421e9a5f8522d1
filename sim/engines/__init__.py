"""How workers are stored and stepped: Mesa agents (`agents`) or numba arrays (`arrays`)."""
