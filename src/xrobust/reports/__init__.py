"""Reports built from finished run directories (top floor: they read runs, nothing imports them)."""
