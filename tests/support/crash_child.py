"""Logs predictions at full speed, printing each id once ``log()`` has returned it.

Usage: python crash_child.py DATABASE_URL JOURNAL_DIR
The parent kills this process with SIGKILL at an arbitrary moment.
"""

from __future__ import annotations

import sys

from predledger import Ledger


def main() -> None:
    url, journal_dir = sys.argv[1], sys.argv[2]
    ledger = Ledger(url, journal_dir=journal_dir, batch_size=500, flush_interval=0.02)
    out = sys.stdout
    i = 0
    while True:
        prediction_id = ledger.log(
            model="crash", version="1", inputs={"i": i, "x": i * 0.5}, label=str(i % 3),
            probability=0.5, latency_ms=1.0,
        )  # fmt: skip
        out.write(prediction_id + "\n")
        out.flush()
        i += 1


if __name__ == "__main__":
    main()
