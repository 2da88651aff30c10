"""Run directories: what a run writes, written atomically, and the reports read from them."""
