"""One module per state machine; each builds its ``transitions`` machine once at import."""
