"""Pure records and rules: schedules, the check state machine, escalation, naming.
Imports nothing else of tocsin; no I/O."""
