"""Running pepflow: what every command needs (``application``: configuration, database, clock),
the use cases the faces share (``use_cases``), the scheduler and what follows each sweep
(``scheduler``, ``upkeep``, ``runway``), health and metrics (``readiness``, ``metrics``), and
the demo and simulation (``demo``, ``simulate``).

May import: everything but the faces (``web``, ``cli``).
"""
