"""The one-command demo: small models, a service around them and traffic to watch."""
