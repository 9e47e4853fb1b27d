"""What the prediction cache buys the demo's ``POST /predict``, and what a Redis hit costs.

    .venv/bin/python benchmarks/cache.py
    .venv/bin/python benchmarks/cache.py --requests 6000 --rounds 3 --redis-url redis://127.0.0.1:6379/14

Part 1, HTTP: the demo app (VADER sentiment, one uvicorn worker on 127.0.0.1, predledger
logging on) is served in a subprocess three ways, with the same four texts sent over and
over by keep-alive connections (the load generator of ``http_overhead.py``):

- off: the model runs for every request;
- memory: ``ledger.cached`` with the in-process LRU (no Redis configured);
- redis: ``ledger.cached`` with Redis at ``--redis-url``.

Variants alternate over the rounds and the best round of each counts. VADER answers in
about a tenth of a millisecond, so the cache can only win back that much per request:
the figure to read is the ratio, and for a slower model the gain grows with its latency.

Part 2, in this process: microseconds per lookup that hits, for the LRU and for Redis, and
a bare Redis ``GET`` for comparison: the round trip is most of a Redis hit's cost.
Load goes to 127.0.0.1 only and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_overhead import Round, free_port, load, wait_for

VARIANTS = ("off", "memory", "redis")
NAMESPACE = "predledger:bench-cache"


def serve(variant: str, port: int, workdir: Path, redis_url: str) -> None:
    import uvicorn

    from predledger import Ledger
    from predledger.cache import PredictionCache
    from predledger.demo.app import build_demo_app
    from predledger.demo.models import DemoModels

    models = DemoModels.train()
    cache = PredictionCache(redis_url=redis_url if variant == "redis" else "", namespace=NAMESPACE)
    ledger = Ledger(f"sqlite:///{workdir / 'bench.db'}", journal_dir=workdir / "j", cache=cache)
    app = build_demo_app(models, ledger, log_files=False, cache=variant != "off")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def run_round(variant: str, args: argparse.Namespace) -> Round:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-cache-{variant}-") as folder:
        command = [sys.executable, __file__, "--serve", variant, "--port", str(port),
                   "--workdir", folder, "--redis-url", args.redis_url]  # fmt: skip
        server = subprocess.Popen(command, cwd=folder)
        try:
            wait_for(port, server)
            asyncio.run(load(variant, port, args.warmup, args.connections, args.cap))
            return asyncio.run(load(variant, port, args.requests, args.connections, args.cap))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()


def per_call_us(call: object, count: int, cap_s: float) -> float:
    assert callable(call)
    started = time.perf_counter()
    done = 0
    while done < count and time.perf_counter() - started < cap_s:
        call()
        done += 1
    return (time.perf_counter() - started) / max(done, 1) * 1e6


def lookup_costs(redis_url: str, count: int) -> dict[str, float]:
    """Microseconds per hit: LRU, Redis through the cache, and a bare Redis GET."""
    from predledger.cache import PredictionCache

    inputs = {"text": "I love this product, it works perfectly."}
    memory = PredictionCache(redis_url="")
    shared = PredictionCache(redis_url=redis_url, namespace=NAMESPACE)
    for cache in (memory, shared):
        cache.get_or_compute("bench", "1", inputs, lambda: {"label": "positive"})
    client = redis.Redis.from_url(redis_url)
    client.set(f"{NAMESPACE}:raw", b'{"label":"positive"}')
    costs = {
        "memory hit": per_call_us(
            lambda: memory.get_or_compute("bench", "1", inputs, dict), count, 10
        ),
        "redis hit": per_call_us(
            lambda: shared.get_or_compute("bench", "1", inputs, dict), count, 10
        ),
        "bare redis GET": per_call_us(lambda: client.get(f"{NAMESPACE}:raw"), count, 10),
    }
    assert shared.stats().misses == 1, "every timed Redis lookup must be a hit"
    client.close()
    shared.close()
    return costs


def clear_namespace(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{NAMESPACE}:*", count=1000):
        client.delete(key)
    client.close()


def report(rounds: list[Round], costs: dict[str, float]) -> None:
    best = {
        v: max((r for r in rounds if r.variant == v), key=lambda r: r.throughput) for v in VARIANTS
    }
    base = best["off"].throughput
    print(f"\n{'variant':<10}{'req/s':>8}{'ratio':>7}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}")
    for variant in VARIANTS:
        r = best[variant]
        errors = sum(x.errors for x in rounds if x.variant == variant)
        print(
            f"{variant:<10}{r.throughput:>8.0f}{r.throughput / base:>7.2f}"
            f"{r.percentile(50):>8.2f}{r.percentile(99):>8.2f}{errors:>7}"
        )
    print("\nper lookup that hits, in this process:")
    for name, us in costs.items():
        print(f"  {name:<16}{us:>8.1f} us")
    overhead = costs["redis hit"] - costs["bare redis GET"]
    print(f"  a Redis hit is the round trip plus {overhead:.1f} us of hashing and decoding")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=4000, help="Measured requests per round.")
    parser.add_argument("--warmup", type=int, default=400, help="Warm-up requests per round.")
    parser.add_argument("--connections", type=int, default=16, help="Concurrent connections.")
    parser.add_argument("--rounds", type=int, default=2, help="Rounds of each variant.")
    parser.add_argument("--cap", type=float, default=30.0, help="Most seconds per round.")
    parser.add_argument("--lookups", type=int, default=20_000, help="Timed lookups per kind.")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("PREDLEDGER_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="The Redis server (its bench keys are deleted before and after).",
    )
    parser.add_argument("--serve", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.workdir, args.redis_url)
        return
    print(
        f"POST /predict with 4 repeated texts, {args.requests} requests per round after "
        f"{args.warmup} warm-up, {args.connections} connections, {args.rounds} rounds"
    )
    clear_namespace(args.redis_url)
    rounds = []
    try:
        for index in range(args.rounds):
            for variant in VARIANTS:
                result = run_round(variant, args)
                print(f"round {index + 1} {variant:<7} {result.throughput:7.0f} req/s, "
                      f"{result.errors} errors")  # fmt: skip
                rounds.append(result)
        costs = lookup_costs(args.redis_url, args.lookups)
    finally:
        clear_namespace(args.redis_url)
    report(rounds, costs)


if __name__ == "__main__":
    main()
