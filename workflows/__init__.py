"""Pure domain code of shequflow: the statutory working-day calendar, field validators and the
functions that BPMN scripts, conditions and timer expressions may call.

Nothing here imports Flask, SQLAlchemy or SpiffWorkflow: the engine and the web depend on this
package, never the other way round.
"""
