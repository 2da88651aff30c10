"""`xrobust study`: a spec (conditions x methods x seeds x attacks) -> cells (ordinary run
directories) -> statistics -> study.json / study.md / study.html. See docs/study.md."""
