"""Internals of :mod:`xikernel.interpreters` (not a public API).

- ``wire``: how tasks, results and errors are laid out on the kernel's
  queues; imported on both sides (the main interpreter and every worker).
- ``errors``: the pool's exceptions, and a worker's error rebuilt in the
  main interpreter.
- ``pool``: the main interpreter's machinery (shared state, the worker
  threads, the collector thread).
- ``worker``: the loop each worker sub-interpreter runs (only there).
"""
