"""chainrule benchmarks: ``python -m bench [--compare-torch]`` runs them and writes RESULTS.md."""
