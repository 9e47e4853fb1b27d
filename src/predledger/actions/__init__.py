"""Remediation actions: proposed, approved by another reviewer, executed by registered handlers.

Status: ``pending -> approved | rejected``, ``approved -> executed | failed`` (an action that
needs no approval may be executed straight from ``pending``). Every step is an
``action_events`` row. Writes are in ``predledger.actions.service`` (a session, no commit),
one-call forms in ``predledger.actions.operations``, handlers in ``predledger.actions.handlers``.
"""
