"""From a passed deadline to a flip (and, later, incidents and escalation)."""
