"""Messages/s with 1 and 2 service processes and 1 and 2 Rasa instances on this machine, in the fleet layout
(PostgreSQL, Redis, nginx in front of several service processes), and what a turn costs the shared parts.

    .venv/bin/python -m bench.fleet [--customers 16] [--seconds 30] [--layouts 1x1,1x2,2x1,2x2]

For each layout (WORKERSxRASA) the whole product is started as `faqbot up --workers W --rasa-instances R`
does (faqbot.launcher.running), on a PostgreSQL database of its own (dropped after) in a PostgreSQL cluster
started for the run (Debian's binaries, tests.fleet_stack.PrivatePostgres: so its CPU time is only faqbot's;
`FAQBOT_BENCH_PG=postgresql://…` uses that server instead, without PostgreSQL's CPU time) and a private Redis
server started for the run (so its command counter counts only faqbot's commands). Then `--customers`
customers talk in a closed loop (bench.load's scripted English and Chinese conversations, no think time)
for `--seconds`, after a warm-up. Recorded per layout:

- messages/s, latency percentiles, errors, and each layout's ratio to the 1x1 rate of the same run;
- CPU milliseconds per message of the service processes, the Rasa instances, nginx, PostgreSQL (the whole
  private cluster: the postmaster, its live children and the backends it reaped) and Redis;
- PostgreSQL transactions and rows read/written per message (pg_stat_database of the two databases: the
  service's and Rasa's trackers'), Redis commands per message (INFO stats of the private server);
- the machine's load average (uptime) before and after, and its core count: on a shared machine the
  absolute numbers are noisy, the ratios within one run are what to compare.

Writes bench/results/fleet.json. docs/deployment.md turns these into a fleet sizing on paper.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import save, summary_ms
from bench.load import Site, Tally, customer_loop
from bench.procstat import Watched, cpu_seconds, process_tree
from faqbot.launcher import ensure_model, free_port, running, wait_until
from faqbot.settings import REPO_ROOT, Settings

PG = os.environ.get("FAQBOT_BENCH_PG", "")  # empty: a private cluster (main() sets PG to it)
# every customer comes from 127.0.0.1: the per-address limits are lifted (still counted, in Redis)
LIMITS = {name: "1000000/minute" for name in ("rate_login_per_ip", "rate_conversations_per_ip",
                                               "rate_messages_per_ip", "rate_messages_per_conversation")}
PG_COUNTERS = ("xact_commit", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted")


def load_average() -> list[float]:
    return [round(float(x), 2) for x in Path("/proc/loadavg").read_text().split()[:3]]


async def pg_admin(*statements: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def pg_counters(databases: list[str]) -> dict[str, dict[str, int]]:
    """pg_stat_database's counters, per database."""
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = await conn.fetch(f"SELECT datname, {', '.join(PG_COUNTERS)} FROM pg_stat_database "
                                "WHERE datname = ANY($1)", databases)
    finally:
        await conn.close()
    found = {r["datname"]: {c: int(r[c]) for c in PG_COUNTERS} for r in rows}
    return {d: found.get(d, dict.fromkeys(PG_COUNTERS, 0)) for d in databases}


def cluster_cpu_seconds(postmaster: int) -> float:
    """CPU time of a PostgreSQL cluster so far: the postmaster's own and that of the children it reaped (every
    backend that ended: cutime, cstime), plus its live children's (backends, checkpointer, WAL writer …)."""
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime, stime, cutime, cstime
    return own + cpu_seconds([pid for pid in process_tree(postmaster) if pid != postmaster])


class PrivateRedis:
    """A redis-server of the run's own, on a free port, nothing saved to disk."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(lambda: self.commands() >= 0, 20, "redis-server", self.process)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def commands(self) -> int:
        import redis

        client = redis.Redis(port=self.port, socket_timeout=2)
        try:
            return int(client.info("stats")["total_commands_processed"])
        except redis.ConnectionError:
            return -1
        finally:
            client.close()

    def command_counts(self) -> dict[str, int]:
        """Calls per Redis command so far (INFO commandstats)."""
        import redis

        client = redis.Redis(port=self.port, socket_timeout=2)
        try:
            return {name.removeprefix("cmdstat_"): int(stats["calls"])
                    for name, stats in client.info("commandstats").items()}
        finally:
            client.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def drive(base: str, customers: int, seconds: float, seed: int) -> Tally:
    site = Site(base, customers + 4)
    tally = Tally()
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(customer_loop(site, i, deadline, tally, seed) for i in range(customers)))
    await site.http.aclose()
    return tally


def run_layout(workers: int, rasa: int, args: argparse.Namespace, model: Path,
               postmaster: int | None) -> dict[str, Any]:
    database = f"faqbot_bench_{secrets.token_hex(4)}"
    asyncio.run(pg_admin(f'CREATE DATABASE "{database}"'))
    databases = [database, f"{database}_rasa"]
    try:
        with tempfile.TemporaryDirectory() as data:
            redis_server = PrivateRedis(Path(data))
            try:
                settings = Settings(
                    data_dir=Path(data), port=free_port(), action_token=secrets.token_urlsafe(16),
                    database_url=f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{database}",
                    redis_url=redis_server.url, log_level="WARNING", **LIMITS)
                with running(settings, free_port(), model, log_dir=Path(data) / "logs", workers=workers,
                             rasa_instances=rasa) as stack:
                    return measure(stack, workers, rasa, databases, redis_server, args, postmaster)
            finally:
                redis_server.stop()
    finally:
        asyncio.run(pg_admin(*(f'DROP DATABASE IF EXISTS "{d}" WITH (FORCE)' for d in databases)))


def measure(stack, workers: int, rasa: int, databases: list[str], redis_server: PrivateRedis,
            args: argparse.Namespace, postmaster: int | None) -> dict[str, Any]:
    asyncio.run(drive(stack.web_url, min(4, args.customers), args.warmup, args.seed + 99))  # warm every part
    roles: dict[str, list[Watched]] = {
        "service": [Watched(n, p.pid) for n, p in stack.processes.items() if n.startswith("web")],
        "rasa": [Watched(n, p.pid) for n, p in stack.processes.items() if n.startswith("rasa")],
        "nginx": [Watched(n, p.pid) for n, p in stack.processes.items() if n == "nginx"],
        "redis": [Watched("redis", redis_server.process.pid)],
    }
    for watched in (w for ws in roles.values() for w in ws):
        watched.refresh()
    cpu_before = {role: sum(w.cpu() for w in ws) for role, ws in roles.items()}
    pg_cpu_before = cluster_cpu_seconds(postmaster) if postmaster else 0.0
    pg_before = asyncio.run(pg_counters(databases))
    redis_before = redis_server.commands()
    redis_commands_before = redis_server.command_counts()
    load_before = load_average()
    tally = asyncio.run(drive(stack.web_url, args.customers, args.seconds, args.seed))
    time.sleep(1.0)  # PostgreSQL publishes its counters at most once a second
    load_after = load_average()
    redis_after = redis_server.commands()
    redis_commands = {name: calls - redis_commands_before.get(name, 0)
                      for name, calls in redis_server.command_counts().items()}
    pg_after = asyncio.run(pg_counters(databases))
    messages = max(tally.messages, 1)
    cpu = {role: round((sum(w.cpu() for w in ws) - cpu_before[role]) * 1000 / messages, 2)
           for role, ws in roles.items() if ws}
    if postmaster:  # the whole private cluster (only faqbot uses it)
        cpu["postgres"] = round((cluster_cpu_seconds(postmaster) - pg_cpu_before) * 1000 / messages, 2)
    metrics = httpx.get(f"{stack.web_url}/metrics", timeout=10).text
    duration = max(tally.last_done - (tally.first_sent or tally.last_done), 1e-9)
    return {
        "layout": f"{workers}x{rasa}", "service_processes": workers, "rasa_instances": rasa,
        "customers": args.customers, "messages": tally.messages, "seconds": round(duration, 1),
        "messages_per_second": round(tally.messages / duration, 2),
        "latency_ms": summary_ms(tally.latencies) if tally.latencies else None,
        "errors": sum(tally.errors.values()), "error_kinds": dict(tally.errors), "handoffs": dict(tally.handoffs),
        "cpu_ms_per_message": cpu,
        "postgres_per_message": {
            role: {k: round((pg_after[d][k] - pg_before[d][k]) / messages, 2) for k in PG_COUNTERS}
            for role, d in zip(("service_database", "rasa_trackers"), databases, strict=True)},
        "redis_commands_per_message": round((redis_after - redis_before) / messages, 2),
        "redis_commands_per_message_by_command": {name: round(calls / messages, 2) for name, calls in
                                                  sorted(redis_commands.items(), key=lambda kv: -kv[1]) if calls},
        "load_average_before": load_before, "load_average_after": load_after,
        "metrics_process_count": metrics.count("faqbot_process_info{"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layouts", default="1x1,1x2,2x1,2x2", help="WORKERSxRASA, comma-separated")
    parser.add_argument("--customers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=8)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--label", default="", help="saved as fleet_<label>.json")
    args = parser.parse_args()
    model = ensure_model(REPO_ROOT / "var" / "models")
    global PG
    cluster = None
    if not PG:
        from tests.fleet_stack import PrivatePostgres

        cluster = PrivatePostgres()
        cluster.start()
        PG = cluster.url
    layouts = []
    try:
        for spec in args.layouts.split(","):
            workers, rasa = (int(x) for x in spec.split("x"))
            print(f"layout {spec}: starting…", flush=True)
            result = run_layout(workers, rasa, args, model, cluster.postmaster_pid() if cluster else None)
            print({k: result[k] for k in ("layout", "messages_per_second", "errors", "cpu_ms_per_message",
                                          "load_average_before")}, flush=True)
            layouts.append(result)
    finally:
        if cluster is not None:
            cluster.cleanup()
    base = next((r for r in layouts if r["layout"] == "1x1"), layouts[0])
    for result in layouts:
        result["ratio_to_1x1"] = round(result["messages_per_second"] / max(base["messages_per_second"], 1e-9), 2)
    save(f"fleet_{args.label}" if args.label else "fleet", {
        "cores": os.cpu_count(), "settings": vars(args), "layouts": layouts,
        "postgres": "a private cluster started for the run" if cluster else PG,
        "git_commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                     text=True).stdout.strip(),
    })


if __name__ == "__main__":
    main()
