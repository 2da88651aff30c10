"""Word-level resources: word splitting for any script, synonym tables, bilingual dictionaries."""
