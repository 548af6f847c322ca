"""Benchmark suite for Report Task: ``python -m bench`` (end to end) and ``python -m bench micro``.

End to end, it starts the service the way production runs it (``python -m config.serve web``
and ``worker`` on a fresh PostgreSQL database and an isolated Redis key prefix) or targets
an already running one (``--url``), runs the scenarios of issue #5, measures the floor
(the unavoidable costs of the same work) and writes a table plus a JSON file of results.
Only the project's dependencies and the standard library are used.
"""
