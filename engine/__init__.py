"""The engine layer: SpiffWorkflow with persistence, grants, timers, messages, sandbox and audit.

Entry point for callers: :func:`engine.bootstrap.build` returns the façade (``ProcessEngine``), the read
models (``Queries``) and the directory for one database. No Flask here; ``workflows`` below, ``web`` above.
"""
