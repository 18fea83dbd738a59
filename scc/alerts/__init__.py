"""Alerts (docs/design.md §3.6): rules of config/alerts.yaml evaluated over what storage says now.

- `facts`: what the rules look at, read from the capabilities' tables through their indexes.
- `conditions`: per kind, a pure function from those facts to {subject: the condition holds, is clear, or
  there is no data}.
- `lifecycle`: from an alert as stored and its condition now to what changes (pending, firing, resolved,
  withdrawn; silenced; told again), pure too.
- `evaluator`: one round, every rule, in one short transaction; `python -m scc.alerts` runs rounds.
- `service`: acknowledge, silence and lift, for the pages; `queries`: what is in sight, and the history.
"""
