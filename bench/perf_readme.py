#!/usr/bin/env python3
"""Writes perf-results/README.md (to stdout) from one BenchmarkDotNet full JSON report made by bench/run.

Run details (commit, machine, load) come from BENCH_* environment variables set by bench/run.
"""
import json
import os
import sys
from collections import OrderedDict

BASELINE = "ChannelBoundedSpsc"
PROJECT = "bench/HotPath.Benchmarks"

# Row order and description per implementation; unknown types are listed after these under their class name.
IMPLEMENTATIONS = OrderedDict([
    ("HotPathSingleWriterPublish", "HotPath single-writer, `Publish` per event"),
    ("HotPathSingleWriterClaimBatch", "HotPath single-writer, `ClaimBatch(256)` filled in place"),
    ("HotPathMultiWriterPublish", "HotPath multi-writer mode (1 writer), `Publish` per event"),
    ("ChannelBoundedSpsc", "Bounded `Channel<T>`, SingleReader = SingleWriter = true (**baseline**)"),
    ("ChannelBoundedMpmc", "Bounded `Channel<T>`, SingleReader = SingleWriter = false"),
    ("ConcurrentQueueSpin", "`ConcurrentQueue<T>` (unbounded), spinning reader"),
])

SCENARIOS = {
    "Throughput": "Throughput: 1 writer → 1 reader, one partition",
}


def events_per_second(ns):
    per_second = 1e9 / ns
    return f"{per_second / 1e6:,.1f} M" if per_second >= 1e6 else f"{per_second / 1e3:,.1f} K"


def rerun(namespace, type_name):
    scenario = namespace.rsplit(".", 1)[-1]
    filters = [f"'*{scenario}.{type_name}.*'"]
    if type_name != BASELINE:
        filters.append(f"'*{scenario}.{BASELINE}.*'")
    return f"`dotnet run -c Release --project {PROJECT} -- --filter {' '.join(filters)} --job short --join`"


def main(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    host = report["HostEnvironmentInfo"]
    env = os.environ.get

    # scenario (namespace suffix) -> parameters -> type -> benchmark
    scenarios = OrderedDict()
    for b in report["Benchmarks"]:
        scenario = b["Namespace"].rsplit(".", 1)[-1]
        scenarios.setdefault(scenario, OrderedDict()).setdefault(b["Parameters"], {})[b["Type"]] = b

    out = []
    w = out.append
    w("# Performance results")
    w("")
    w("Written by `bench/run` from its latest run; the reports of every run stay in this folder.")
    w("")
    w("> **Noise.** These numbers come from **one run** of BenchmarkDotNet's *short* job (1 launch, 3 warm-up and")
    w("> 3 measured iterations) on a **shared, noisy 2-core machine** on which other engineers build concurrently.")
    w("> They are **medians** of that run, and the ratios compare rows **of the same run**. Treat differences under")
    w("> about 2x as unproven; rerun before you rely on one. BenchmarkDotNet's own tables (mean, error, its")
    w("> time-based Ratio column, allocations) are in the linked report.")
    w("")
    w("## Run")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| Commit | `{env('BENCH_COMMIT', 'unknown')}` |")
    w(f"| Date (UTC) | {env('BENCH_STARTED', 'unknown')} |")
    w(f"| CPU | {env('BENCH_CPU', host.get('ProcessorName', 'unknown'))}, {env('BENCH_CORES', host.get('LogicalCoreCount', '?'))} cores "
      f"({host.get('PhysicalCoreCount', '?')} physical, {host.get('LogicalCoreCount', '?')} logical as BenchmarkDotNet sees them) |")
    w(f"| OS | {env('BENCH_OS', host.get('OsVersion', 'unknown'))} |")
    w(f"| .NET | {host.get('RuntimeVersion', 'unknown')}, {host.get('Architecture', '')}, SDK {host.get('DotNetCliVersion', '?')} |")
    w(f"| BenchmarkDotNet | {host.get('BenchmarkDotNetVersion', '?')}, job `short`, joined summary |")
    w(f"| Load average (1/5/15 min) | before {env('BENCH_LOAD_BEFORE', '?')}, after {env('BENCH_LOAD_AFTER', '?')} |")
    w(f"| Reports | [{env('BENCH_MD', '')}]({env('BENCH_MD', '')}), [{env('BENCH_JSON', '')}]({env('BENCH_JSON', '')}) |")
    w("")
    w("Rerun everything (and rewrite this file): `bench/run`. Each row's command below reruns that implementation")
    w("with the baseline (all event sizes: BenchmarkDotNet cannot filter parameters from the command line) and")
    w("prints BenchmarkDotNet's table without touching this folder.")
    w("")

    for scenario, groups in scenarios.items():
        w(f"## {SCENARIOS.get(scenario, scenario)}")
        w("")
        if scenario == "Throughput":
            w("Each invocation moves 1,048,576 events from the benchmark thread to one long-lived reader thread, which")
            w("checks every event's sequence number and payload and sums the sequence numbers (a wrong event or sum")
            w("fails the benchmark). HotPath: one partition of 65,536 slots, a `PartitionReader` polling at most 1,024")
            w("events per `Poll` with a struct handler. Channels are bounded to 65,536 and driven with `TryWrite`/`TryRead`.")
            w("Every waiting side (reader on empty, writer on full) uses HotPath's `Yielding` wait (spin, then")
            w("`Thread.Yield`): on 2 cores `BusySpin` starves the other thread. Threads are not pinned. Events/s =")
            w("1 s / median time per event; \"x SPSC channel\" = events/s of the row / events/s of the bounded SPSC channel")
            w("in the same table (higher is better). Allocated = BenchmarkDotNet's bytes per event (rounded); the harness")
            w("additionally fails any HotPath run that allocates a single byte on its writer or reader thread after the")
            w("first invocation.")
            w("")
        for parameters, by_type in groups.items():
            title = parameters.replace("EventBytes=", "") + "-byte events" if parameters.startswith("EventBytes=") else parameters
            w(f"### {title}")
            w("")
            w("| Implementation | Events/s (median) | ns/event (median) | x SPSC channel | Allocated B/event | Rerun |")
            w("|---|---:|---:|---:|---:|---|")
            base = by_type.get(BASELINE)
            base_ns = base["Statistics"]["Median"] if base and base.get("Statistics") else None
            order = [t for t in IMPLEMENTATIONS if t in by_type] + sorted(t for t in by_type if t not in IMPLEMENTATIONS)
            for type_name in order:
                b = by_type[type_name]
                label = IMPLEMENTATIONS.get(type_name, type_name)
                stats = b.get("Statistics")
                cmd = rerun(b["Namespace"], type_name)
                if not stats:
                    w(f"| {label} | failed | | | | {cmd} |")
                    continue
                ns = stats["Median"]
                ratio = f"{base_ns / ns:.2f}x" if base_ns else "n/a"
                allocated = (b.get("Memory") or {}).get("BytesAllocatedPerOperation")
                w(f"| {label} | {events_per_second(ns)} | {ns:.1f} | {ratio} | {allocated if allocated is not None else 'n/a'} | {cmd} |")
            w("")

    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
