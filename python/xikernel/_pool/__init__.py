"""Internals of :mod:`xikernel.interpreters` (not a public API).

``wire`` is imported on both sides of the pool (the main interpreter and
every worker sub-interpreter): it is the one place that decides how a task,
a result and an exception are laid out on the kernel's queues. ``worker``
runs only inside a worker sub-interpreter.
"""
