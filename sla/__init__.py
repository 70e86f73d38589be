"""The SLA layer: triage matrix, SLA policy and the clock rules, below tickets."""
