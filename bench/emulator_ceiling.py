"""How many sendMessage calls a second the emulator serves over loopback HTTP, limits off.

The emulator runs in its own process (as in a demo or an end-to-end run) and this process
drives it with a few hundred concurrent aiohttp requests, so the figure is the ceiling a bot
under benchmark would hit: far above Telegram's 30 messages a second means the emulator is
never the bottleneck.

    .venv/bin/python bench/emulator_ceiling.py [--seconds 5] [--concurrency 50 200 400]
    .venv/bin/python bench/emulator_ceiling.py --smoke    # the harness works (seconds)

Prints a table and writes bench/results/emulator_ceiling.json (``--smoke``:
emulator_ceiling.smoke.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "emulator_ceiling.json"
TOKEN = "123456:BENCH-TOKEN"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(base: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            if process.returncode is not None:
                raise RuntimeError("the emulator exited during start-up")
            try:
                async with http.get(f"{base}/control/bots") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the emulator did not start")


async def prepare_chats(http: aiohttp.ClientSession, base: str, count: int) -> list[int]:
    """People who wrote to the bot, so it may write to them."""
    chat_ids = []
    for index in range(count):
        async with http.post(f"{base}/control/users", json={"first_name": f"P{index}"}) as r:
            user = await r.json()
        async with http.post(
            f"{base}/control/messages", json={"user_id": user["id"], "text": "/start"}
        ) as r:
            r.raise_for_status()
        chat_ids.append(user["id"])
    return chat_ids


async def run_level(
    base: str, chat_ids: list[int], concurrency: int, seconds: float, encoding: str
) -> dict[str, Any]:
    url = f"{base}/bot{TOKEN}/sendMessage"
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(number: int, http: aiohttp.ClientSession) -> None:
        nonlocal errors
        sent = 0
        while time.perf_counter() < deadline:
            chat_id = chat_ids[(number + sent) % len(chat_ids)]
            text = f"Case 2026-{number:04d}-{sent}: your request was received"
            started = time.perf_counter()
            try:
                if encoding == "json":
                    request = http.post(url, json={"chat_id": chat_id, "text": text})
                else:  # form data, as aiogram sends it
                    request = http.post(url, data={"chat_id": str(chat_id), "text": text})
                async with request as response:
                    body = await response.read()
                    if response.status != 200 or b'"ok":true' not in body:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - started)
            sent += 1

    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(n, http) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "encoding": encoding,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "errors": errors,
        "calls_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "emulator", "--port", str(port), "--token", TOKEN]
    process = await asyncio.create_subprocess_exec(
        *command, "--no-limits", cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        await wait_ready(base, process)
        async with aiohttp.ClientSession() as http:
            chat_ids = await prepare_chats(http, base, args.chats)
        rows = []
        for encoding in args.encodings:
            for concurrency in args.concurrency:
                rows.append(await run_level(base, chat_ids, concurrency, args.seconds, encoding))
    finally:
        process.terminate()
        await process.wait()
    return {
        "benchmark": "emulator_ceiling",
        "what": "sendMessage calls per second over loopback HTTP, flood limits off",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "chats": args.chats,
        "results": rows,
        "best_calls_per_second": max(row["calls_per_second"] for row in rows),
    }


def print_table(report: dict[str, Any]) -> None:
    header = (
        f"{'body':<6}{'conc.':>7}{'requests':>10}{'errors':>8}"
        f"{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in report["results"]:
        print(
            f"{row['encoding']:<6}{row['concurrency']:>7}{row['requests']:>10}{row['errors']:>8}"
            f"{row['calls_per_second']:>10}{row['p50_ms']:>9}{row['p99_ms']:>9}"
        )
    print(f"\nceiling: {report['best_calls_per_second']} sendMessage calls/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200, 400])
    parser.add_argument(
        "--encodings", nargs="+", default=["json", "form"], choices=["json", "form"]
    )
    parser.add_argument("--chats", type=int, default=100, help="distinct chats to spread over")
    parser.add_argument("--out", type=Path, help="where to write the JSON")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: the harness works")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.concurrency, args.encodings, args.chats = 1.0, [20], ["json"], 20
    report = asyncio.run(main(args))
    print_table(report)
    out = args.out or (RESULTS.with_suffix(".smoke.json") if args.smoke else RESULTS)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if any(row["errors"] for row in report["results"]):
        sys.exit(1)
