"""Many threads and processes promoting at once leave exactly one active version, never zero."""

from __future__ import annotations

import multiprocessing
import random
import threading

from sqlalchemy import func, select

from predledger.errors import ConflictError
from predledger.registry import (
    list_stage_changes,
    promote_model_version,
    register_model_version,
    rollback_model,
    transition_model_version,
)
from predledger.registry.models import ModelVersion
from predledger.store import migrate
from predledger.store.engine import Store

VERSIONS = [str(n) for n in range(1, 9)]
ROUNDS = 6


def _prepare(store):
    register_model_version(store, name="churn", version="0", stage="production")
    for version in VERSIONS:
        register_model_version(store, name="churn", version=version, stage="staging")


def _active_versions(store):
    with store.transaction() as session:
        return list(
            session.scalars(
                select(ModelVersion.version).where(
                    ModelVersion.name == "churn", ModelVersion.is_active
                )
            )
        )


def _churn(store, seed, rounds=ROUNDS):
    """Stage, promote and roll back at random; a refusal (another worker was first) is fine."""
    rng = random.Random(seed)
    actor = f"worker-{seed}"
    for _ in range(rounds):
        version = rng.choice(VERSIONS)
        try:
            if rng.random() < 0.2:
                rollback_model(store, "churn", actor=actor)
            else:
                transition_model_version(store, "churn", version, "staging", actor=actor)
                promote_model_version(store, "churn", version, actor=actor)
        except ConflictError as exc:
            if "attempts" in str(exc):  # gave up retrying: that is a failure
                raise


def _check_history(store):
    """Each promotion replaced exactly the version that was active just before it."""
    with store.transaction() as session:
        changes = list(reversed(list_stage_changes(session, name="churn", limit=10_000)))
    active = None
    for change in changes:
        if change.to_stage == "production":
            assert change.previous_active_version == active
            active = change.version
    assert _active_versions(store) == [active]


class _Watcher(threading.Thread):
    """Counts active versions over and over while the writers run."""

    def __init__(self, store):
        super().__init__(daemon=True)
        self.store = store
        self.stop = threading.Event()
        self.counts: list[int] = []

    def run(self):
        while not self.stop.is_set():
            with self.store.transaction() as session:
                self.counts.append(
                    session.scalar(
                        select(func.count())
                        .select_from(ModelVersion)
                        .where(ModelVersion.name == "churn", ModelVersion.is_active)
                    )
                )


def test_threads_promoting_at_once_leave_one_active(database_url):
    store = Store(database_url, pool_size=10)
    migrate.upgrade(store)
    _prepare(store)
    watcher = _Watcher(store)
    watcher.start()
    errors: list[BaseException] = []

    def work(seed):
        try:
            _churn(store, seed)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    watcher.stop.set()
    watcher.join()
    assert errors == []
    assert watcher.counts
    assert set(watcher.counts) == {1}
    _check_history(store)
    store.dispose()


def _process_main(url, seed, barrier):
    store = Store(url)
    try:
        barrier.wait(timeout=120)  # every process is up before any of them starts
        _churn(store, seed, rounds=3 * ROUNDS)
    finally:
        store.dispose()


def test_processes_promoting_at_once_leave_one_active(database_url):
    store = Store(database_url)
    migrate.upgrade(store)
    _prepare(store)
    watcher = _Watcher(store)
    watcher.start()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    processes = [
        context.Process(target=_process_main, args=(database_url, seed, barrier))
        for seed in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
    watcher.stop.set()
    watcher.join()
    assert [p.exitcode for p in processes] == [0] * len(processes)
    assert watcher.counts
    assert set(watcher.counts) == {1}
    _check_history(store)
    store.dispose()
