"""``python -m predledger.cli``: the same as the ``predledger`` command."""

from predledger.cli.main import main

main()
