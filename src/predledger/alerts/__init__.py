"""Alerting: rules on drift, performance, error rate, latency and traffic; the alerts they raise.

Writes take a session (``predledger.alerts.service``), reads too (``predledger.alerts.queries``);
``predledger.alerts.operations`` does each in one call with its own transaction. Rules are
evaluated by ``evaluate_alert_rules`` (the monitor runs it on a schedule): at most one open
alert per rule and model, resolved on its own when the condition clears (per rule).
"""
