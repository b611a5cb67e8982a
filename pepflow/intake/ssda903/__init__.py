"""The DfE's SSDA903 "children looked after" return as the council's roll: ``read`` reads its
CSV tables or XML file, ``rules/care_periods.py`` builds each child's care from it, and
``apply`` records what changed as events (``pepflow import ssda903``)."""
