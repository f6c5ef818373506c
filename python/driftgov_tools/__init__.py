"""Python tooling around driftgov: data generators' helpers and thin bindings used by demos, benchmarks and
governance scripts. Import with the repository's `python/` folder on sys.path."""
