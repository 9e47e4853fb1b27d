"""Stream workers: the consumer group that writes what replicas append to the Redis Stream.

from predledger.worker import WorkerSettings, run_worker, stream_status

run_worker(WorkerSettings(database_url="postgresql+psycopg://...", redis_url="redis://..."))
stream_status("redis://...")  # length, pending, lag: for /metrics and `predledger status`
"""

from predledger.worker.runner import StreamWorker, WorkerSettings, WorkerStats, run_worker
from predledger.worker.status import stream_status

__all__ = ["StreamWorker", "WorkerSettings", "WorkerStats", "run_worker", "stream_status"]
