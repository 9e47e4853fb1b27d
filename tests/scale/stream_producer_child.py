"""A model service replica: logs predictions through the Redis Stream transport.

Usage: python stream_producer_child.py REDIS_URL JOURNAL_DIR IDS_FILE COUNT [STOP_FILE]

Appends each id to IDS_FILE once ``log()`` returned it (one write per line, so a kill
leaves at most a torn last line). Logs COUNT predictions (-1: until killed, or until
STOP_FILE exists), then closes the ledger, which waits until workers stored everything,
and prints ``closed True``.
"""

from __future__ import annotations

import os
import sys

from predledger import Ledger


def main() -> None:
    redis_url, journal_dir, ids_file, count_text = sys.argv[1:5]
    stop_file = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    count = int(count_text)
    ledger = Ledger(
        transport="redis", redis_url=redis_url, journal_dir=journal_dir,
        batch_size=300, flush_interval=0.02, retry_max_delay=0.5, orphan_scan_interval=1.0,
    )  # fmt: skip
    fd = os.open(ids_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    i = 0
    while count < 0 or i < count:
        if stop_file and i % 200 == 0 and os.path.exists(stop_file):
            break
        prediction_id = ledger.log(
            model="scale", version="1", inputs={"i": i, "x": i * 0.5}, label=str(i % 3),
            probability=0.5, latency_ms=1.0,
        )  # fmt: skip
        os.write(fd, (prediction_id + "\n").encode())
        i += 1
    os.close(fd)
    closed = ledger.close(timeout=90)
    sys.stdout.write(f"closed {closed}\n")
    sys.exit(0 if closed else 3)


if __name__ == "__main__":
    main()
