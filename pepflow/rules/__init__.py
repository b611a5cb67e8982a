"""Pure rules: deadline dates, suitability and escalation.  No database, no clock."""
