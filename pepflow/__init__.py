"""pepflow: the timescales of an English Virtual School, as explicit state machines.

The layers, highest first (``pyproject.toml`` holds them as one import-linter layers contract,
checked by the test suite; each package's ``__init__`` says what lives there):

* ``web/`` and ``cli/``: the faces, which nothing else imports;
* ``service/``: running pepflow (the use cases both faces share, the scheduler, the demo);
* ``intake/`` (what comes in) beside ``reports/`` (what goes out);
* ``states/``: the processes, one state machine each;
* ``notify/`` (the sweep and email) beside ``accounts/`` (sign-in and access);
* ``engine/`` (what an event is, deadlines, recording) beside ``audit/`` (the keyed history);
* ``db/`` (tables and writes) beside ``rules/`` (pure rules);
* ``config/``: the council's configuration;
* the ground: ``calendars``, ``day_index``, ``clock``, ``errors``, ``values``, ``vocabulary``,
  ``role_table``, ``statuses``, ``record_choices``, ``cohort``, ``spreadsheets``, ``logs``,
  ``environment``: no database, no network.
"""
