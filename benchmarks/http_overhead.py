"""What logging costs an HTTP service: the demo's ``POST /predict`` three ways, same run.

    .venv/bin/python benchmarks/http_overhead.py
    .venv/bin/python benchmarks/http_overhead.py --requests 6000 --connections 16 --rounds 3

The same FastAPI app (the demo's VADER sentiment route, one uvicorn worker on 127.0.0.1)
is served in a subprocess, one variant at a time:

- none: the route without any logging: the ceiling;
- predledger: ``instrument(app, ledger)`` and ``track_prediction`` around the model call,
  exactly as the demo and the README do it: the request-log middleware, the JSON log
  files, Prometheus, the journal and the writer process, on a SQLite file;
- naive: the route writes its prediction with the SQLAlchemy ORM, ``session.add`` and
  ``commit`` per request, on a plain ``create_engine(url)``: what a service writes first.

The load comes from this process: keep-alive HTTP/1.1 connections on asyncio streams,
each sending its next request when the last answer is in. Every round sends a fixed number
of requests (after a warm-up) and stops early at a time cap; the variants alternate over
the rounds and the best round of each counts, so a noisy neighbour hurts all three alike.
Target: predledger's throughput at least 0.9 of none's, and no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from pydantic import BaseModel

VARIANTS = ("none", "predledger", "naive")
TARGET_RATIO = 0.9
TEXTS = (
    "I love this product, it works perfectly.",
    "The worst customer service I have ever dealt with.",
    "The package arrived on Tuesday.",
    "Fast delivery and great quality, very happy.",
)


# -- the server side: one variant per subprocess ----------------------------------------


class TextIn(BaseModel):
    """The naive variant's body (module level: FastAPI resolves annotations by name)."""

    text: str


def build_app(variant: str, workdir: Path):  # type: ignore[no-untyped-def]
    """The demo app with predledger, without logging, or with naive per-request commits."""
    from predledger import Ledger
    from predledger.demo.app import build_demo_app
    from predledger.demo.models import DemoModels
    from predledger.logfiles import LogFileSettings
    from predledger.store.engine import Store
    from predledger.store.migrate import upgrade

    models = DemoModels.train()
    url = f"sqlite:///{workdir / 'bench.db'}"
    if variant == "none":
        return build_demo_app(models, None)
    if variant == "predledger":
        ledger = Ledger(url, journal_dir=workdir / "journal")
        return build_demo_app(models, ledger, log_files=LogFileSettings(directory=workdir / "logs"))
    store = Store(url)
    upgrade(store)
    store.dispose()
    return naive_app(models, url)


def naive_app(models, url: str):  # type: ignore[no-untyped-def]
    """``POST /predict`` that commits one ORM row per request before answering."""
    from fastapi import FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from predledger.ids import id_created_at, new_id
    from predledger.predictions.models import Prediction

    engine = create_engine(url)
    model = models.sentiment
    app = FastAPI()

    @app.post("/predict")
    def predict(body: TextIn) -> dict[str, object]:
        started = time.perf_counter()
        output = model.predict(body.text)
        latency_ms = (time.perf_counter() - started) * 1000
        prediction_id, _ = new_id()
        with Session(engine) as session:
            session.add(
                Prediction(
                    id=prediction_id, created_at=id_created_at(prediction_id),
                    model_name=model.name, model_version=model.version, prediction_type="text",
                    inputs=body.text, label=output.label, score=output.probability,
                    latency_ms=latency_ms, status="success", cache_hit=False,
                )
            )  # fmt: skip
            session.commit()
        return {
            "sentiment": output.label,
            "confidence": output.probability,
            "latency_ms": latency_ms,
            "prediction_id": prediction_id,
        }

    return app


def serve(variant: str, port: int, workdir: Path) -> None:
    import uvicorn

    app = build_app(variant, workdir)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- the load side: this process --------------------------------------------------------


@dataclass
class Round:
    variant: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_s: float = 0.0

    @property
    def cpu_us(self) -> float:
        """Server CPU (every thread) per request: steadier than req/s on a shared machine."""
        return self.server_cpu_s / self.requests * 1e6 if self.requests else float("nan")

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def request_bytes(text: str) -> bytes:
    body = ('{"text": "' + text + '"}').encode()
    head = (
        "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def connection(port: int, budget: list[int], deadline: float, out: Round) -> None:
    payloads = [request_bytes(text) for text in TEXTS]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        sent = 0
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(payloads[sent % len(payloads)])
            sent += 1
            try:
                status = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                out.errors += 1
                return
            out.latencies_ms.append((time.perf_counter() - started) * 1000)
            if status != 200:
                out.errors += 1
    finally:
        writer.close()


async def load(variant: str, port: int, requests: int, connections: int, cap_s: float) -> Round:
    result = Round(variant, 0, 0, 0.0, [])
    budget = [requests]
    started = time.perf_counter()
    await asyncio.gather(
        *(connection(port, budget, started + cap_s, result) for _ in range(connections))
    )
    result.seconds = time.perf_counter() - started
    result.requests = len(result.latencies_ms)
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_round(variant: str, args: argparse.Namespace) -> Round:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"http-overhead-{variant}-") as folder:
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                variant,
                "--port",
                str(port),
                "--workdir",
                folder,
            ],
            cwd=folder,
        )
        try:
            wait_for(port, server)
            asyncio.run(load(variant, port, args.warmup, args.connections, args.cap))
            process = psutil.Process(server.pid)
            before = process.cpu_times()
            result = asyncio.run(load(variant, port, args.requests, args.connections, args.cap))
            after = process.cpu_times()
            result.server_cpu_s = (after.user - before.user) + (after.system - before.system)
            return result
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()


def wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the server did not start within 60 s")


def report(rounds: list[Round]) -> bool:
    def of(variant: str) -> list[Round]:
        return [r for r in rounds if r.variant == variant]

    best = {v: max(of(v), key=lambda r: r.throughput) for v in VARIANTS}
    cpu = {v: min(r.cpu_us for r in of(v)) for v in VARIANTS}
    errors = {v: sum(r.errors for r in of(v)) for v in VARIANTS}
    base = best["none"].throughput
    header = f"{'variant':<12}{'req/s':>8}{'ratio':>7}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
    print(f"\n{header}{'cpu us/req':>12}{'cpu ratio':>10}  rounds req/s")
    for variant in VARIANTS:
        r = best[variant]
        each = ", ".join(f"{x.throughput:.0f}" for x in of(variant))
        print(
            f"{variant:<12}{r.throughput:>8.0f}{r.throughput / base:>7.2f}"
            f"{r.percentile(50):>8.2f}{r.percentile(99):>8.2f}{errors[variant]:>7}"
            f"{cpu[variant]:>12.0f}{cpu['none'] / cpu[variant]:>10.2f}  {each}"
        )
    spread = [x.throughput for x in of("none")]
    if len(spread) > 1:
        print(f"\nnone's rounds vary by {statistics.pstdev(spread) / statistics.mean(spread):.1%}")
    ratio = best["predledger"].throughput / base
    ok = ratio >= TARGET_RATIO and errors["predledger"] == 0
    verdict = "meets" if ok else "misses"
    print(
        f"predledger / none = {ratio:.2f} req/s ({verdict} the target >= {TARGET_RATIO}, 0 errors)"
    )
    print(f"predledger / none = {cpu['none'] / cpu['predledger']:.2f} by server CPU per request")
    print(f"naive / none = {best['naive'].throughput / base:.2f} req/s, {errors['naive']} errors")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=4000, help="Measured requests per round.")
    parser.add_argument("--warmup", type=int, default=400, help="Warm-up requests per round.")
    parser.add_argument("--connections", type=int, default=16, help="Concurrent connections.")
    parser.add_argument("--rounds", type=int, default=2, help="Rounds of each variant.")
    parser.add_argument("--cap", type=float, default=30.0, help="Most seconds per round.")
    parser.add_argument("--serve", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.workdir)
        return
    print(
        f"POST /predict, {args.requests} requests per round after {args.warmup} warm-up, "
        f"{args.connections} connections, {args.rounds} rounds per variant, cap {args.cap:.0f} s"
    )
    rounds = []
    for index in range(args.rounds):
        for variant in VARIANTS:
            result = run_round(variant, args)
            line = f"{result.throughput:7.0f} req/s, {result.errors} errors"
            print(f"round {index + 1} {variant:<11} {line}")
            rounds.append(result)
    sys.exit(0 if report(rounds) else 1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
