"""Benchmarks of chainrule against PyTorch and a hand-written NumPy floor (not part of the test suite)."""
