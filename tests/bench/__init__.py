"""The benchmarks run small, so they cannot rot."""
