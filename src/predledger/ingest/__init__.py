"""The write path: records, the journal, the batch writers and the ``Ledger`` that drives them."""
