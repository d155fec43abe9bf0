"""Hand-written NumPy versions of the workloads (forward, backward and update written out, no framework).

They are the floor: the best a NumPy program does with the same algorithms, so the gap between a
framework and its floor is framework overhead. Each keeps its parameters in its own best layout,
preallocates every buffer once and converts to and from PyTorch's layout only at the edges.
"""
