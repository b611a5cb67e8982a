"""The engine: what an event is (``events``: each event declared once, with its handler, who may
record it and when it is offered), the deadline rows (``deadlines``), the state-machine base the
processes build on (``machine``), recording an event in one transaction (``recording``), the
notices recording sends at once (``notices``), which events a case can take now (``offered``) and
the go-live date (``go_live``).

May import: ``audit``, ``db``, ``rules``, ``config`` and the ground.  The processes
(``states/``) plug into it; it loads them by name and never imports them.
"""
