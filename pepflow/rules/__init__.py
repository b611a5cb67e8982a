"""Pure rules: deadline dates, suitability and escalation.  No database, no clock.

May import: ``config`` and the ground; no database, no web framework (a contract says so).
"""
