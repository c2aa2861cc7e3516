#!/usr/bin/env python3
"""Writes perf-results/README.md (to stdout) from one bench/run: the BenchmarkDotNet full JSON report (joined
summary of every scenario), the latency table and the idle-CPU table, a "Ratios" section that copies the targets
table of the latest ratios report (`*-ratios.md` of the ratios harness) and a "Curves" section that links the latest
curves report (`*-curves.md` of `bench/run --curves`) and its plots from the same folder.

Usage: perf_readme.py REPORT.json LATENCY.md IDLE.md
       perf_readme.py --update-curves README.md   (rewrites only the "Curves" section of README.md in place, from the
                                                   latest curves report beside it; the other sections stay as they are)
       perf_readme.py --update-ratios README.md   (the same for the "Ratios" section)
Run details (commit, machine, load, mode) come from BENCH_* environment variables set by bench/run.
"""
import json
import os
import re
import sys
from collections import OrderedDict

PROJECT = "bench/HotPath.Benchmarks"

# scenario (namespace suffix) -> (title, baseline type, description)
SCENARIOS = OrderedDict([
    ("Throughput", ("Throughput: 1 writer → 1 reader, one partition", "ChannelBoundedSpsc",
                    "Each invocation moves 1,048,576 events from the benchmark thread to the reader, which checks every "
                    "event's sequence number and payload and sums the sequence numbers (a wrong event or sum fails the "
                    "benchmark). HotPath: one partition of 65,536 slots; *group* rows hand events to a `ConsumerGroup` "
                    "member (struct handler on the member's own thread, MaxBatchSize 1,024, commit after each batch, "
                    "default batch coalescing: CoalesceBelow 256); *raw reader* rows poll a `PartitionReader` (at most "
                    "1,024 events per `Poll`) on a harness thread that coalesces small batches the same way. "
                    "Channels are bounded to 65,536 and driven with `TryWrite`/`TryRead`. Every waiting side uses the "
                    "`Yielding` wait (spin, then `Thread.Yield`): on 2 cores `BusySpin` starves the other thread.")),
    ("FanOut", ("Fan-out: 1 writer → 3 consumers, every consumer sees every event", "ChannelThreeChannels",
                "Events/s counts events *published* (each is handled 3 times). HotPath: one partition, three consumer "
                "groups of one member each. Baseline: the writer writes each event into three bounded SPSC channels, "
                "one reader thread per channel. 8-byte events. One writer plus three consumers on 2 cores oversubscribe "
                "the machine: spinning waiters would steal the core the writer needs, so the rows use `Yielding` (and "
                "`Blocking`, where idle members park) waits.")),
    ("MultiWriter", ("Multi-writer: 2 writers → 1 consumer, one partition / one channel", "ChannelTwoWriters",
                     "Writer 0 publishes the even, writer 1 the odd sequence numbers; the consumer checks each writer's "
                     "order. HotPath: a multi-writer partition and one consumer group member. Baseline: one bounded channel "
                     "with SingleReader = SingleWriter = false. 8-byte events.")),
    ("Partitions", ("Partitions: N = 2 independent writer → consumer pairs", "ChannelTwoPairs",
                    "HotPath: a topic of two partitions, writer *i* publishes to partition *i*, one consumer group with "
                    "one member per partition (range assignor). Baseline: two bounded SPSC channels with a writer and a "
                    "reader thread each. **N = 2 is the limit on this 2-core machine**: two pairs are already four busy "
                    "threads on two cores, so more partitions only add time-slicing. 8-byte events.")),
])

IMPLEMENTATIONS = OrderedDict([
    ("HotPathGroupPublish", "HotPath group (1 member), `Publish` per event"),
    ("HotPathGroupClaim", "HotPath group (1 member), `Claim()` per event filled in place, then `Publish()`"),
    ("HotPathGroupClaimBatch", "HotPath group (1 member), `ClaimBatch(256)` filled in place"),
    ("HotPathGroupPublishBatch", "HotPath group (1 member), `PublishBatch` of 256-event spans"),
    ("HotPathSingleWriterPublish", "HotPath raw reader, single-writer, `Publish` per event"),
    ("HotPathSingleWriterClaimBatch", "HotPath raw reader, single-writer, `ClaimBatch(256)` filled in place"),
    ("HotPathMultiWriterPublish", "HotPath raw reader, multi-writer mode (1 writer), `Publish` per event"),
    ("HotPathDefaultKeyless", "HotPath group (1 member), default options (multi-writer, 1,024 slots, `Blocking`), `topic.Publish(in e)`"),
    ("HotPathDefaultLongKey", "HotPath group (1 member), default options, `topic.Publish(long key, in e)`"),
    ("HotPathDefaultStringKey", "HotPath group (1 member), default options, `topic.Publish(string key, in e)`, 8-char keys"),
    ("ChannelBoundedSpsc", "Bounded `Channel<T>`, SingleReader = SingleWriter = true (**baseline**)"),
    ("ChannelBoundedMpmc", "Bounded `Channel<T>`, SingleReader = SingleWriter = false"),
    ("ConcurrentQueueSpin", "`ConcurrentQueue<T>` (unbounded), spinning reader"),
    ("HotPathThreeGroups", "HotPath, 3 groups, `Yielding` waits"),
    ("HotPathThreeGroupsLargeBatch", "HotPath, 3 groups, `Yielding` waits, MaxBatchSize 8,192"),
    ("HotPathThreeGroupsBlocking", "HotPath, 3 groups, `Blocking` waits"),
    ("ChannelThreeChannels", "3 bounded SPSC channels, 3 reader threads (**baseline**)"),
    ("HotPathTwoWriters", "HotPath multi-writer partition, 1 group member"),
    ("ChannelTwoWriters", "Bounded `Channel<T>`, 2 writers, SingleReader = SingleWriter = false (**baseline**)"),
    ("HotPathTwoPartitions", "HotPath, 2 partitions, 1 group with 2 members"),
    ("ChannelTwoPairs", "2 bounded SPSC channels (**baseline**)"),
])


def env(name, default="?"):
    return os.environ.get(name, default)


def rate(ns):
    per_second = 1e9 / ns
    return f"{per_second / 1e6:,.1f} M" if per_second >= 1e6 else f"{per_second / 1e3:,.1f} K"


def median(b):
    stats = b.get("Statistics")
    return stats["Median"] if stats else None


def allocated(b):
    a = (b.get("Memory") or {}).get("BytesAllocatedPerOperation")
    return "n/a" if a is None else str(a)


def rerun(*filters):
    job = "" if env("BENCH_MODE", "short") == "full" else " --job short"
    return f"`dotnet run -c Release --project {PROJECT} -- --filter {' '.join(repr_filter(f) for f in filters)}{job} --join`"


def repr_filter(f):
    return f"'{f}'"


def harness_table(path, name):
    """The table a harness wrote (latency or idle), or a note that its run is missing."""
    if path and os.path.exists(path):
        return open(path, encoding="utf-8").read().rstrip()
    return f"({name} run missing)"


def parse_idle(path):
    rows = {}
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            m = re.match(r"\|\s*(.+?)\s*\|\s*([0-9.]+)\s*\|\s*$", line)
            if m:
                rows[m.group(1)] = float(m.group(2))
    return rows


CURVES_HEADING = "## Curves: how cost grows with the work"


def curves_section(results_dir):
    """The README's Curves section: the latest curves report in results_dir, its commit and date, and its plots; empty
    when there is none."""
    latest = latest_report(results_dir, "-curves.md")
    if latest is None:
        return []
    name, text, commit, date = latest
    plots = re.findall(r"^!\[([^\]]*)\]\(([^)]+\.svg)\)", text, re.M)
    out = [CURVES_HEADING, ""]
    out.append(f"From `bench/run --curves` (latest report: [{name}]({name}), commit `{commit}`, {date}): events/s "
               "for 1 to 16 consumer groups, 1 to 64 partitions fed by one keyed writer, events of 8 to 1,024 bytes, ring "
               "capacities of 1K to 1M slots and 1 to 4 independent "
               "writer → member pairs, each point against the same-run `System.Threading.Channels` baseline. The report has "
               "the tables (medians, min–max, ratios), the machine and its caches, and where each curve bends and why "
               "(which bends come from this 2-core machine, and what the design predicts on 16 or 64 cores).")
    out.append("")
    for title, svg in plots:
        out.append(f"[![{title}]({svg})]({svg})")
        out.append("")
    return out


RATIOS_HEADING = "## Ratios: the speed targets, same-process"


def latest_report(results_dir, suffix):
    """The newest report whose name ends with suffix (names start with the UTC stamp), its text, commit and date; or
    None when there is none."""
    reports = sorted(f for f in os.listdir(results_dir) if f.endswith(suffix))
    if not reports:
        return None
    name = reports[-1]
    text = open(os.path.join(results_dir, name), encoding="utf-8").read()
    commit = re.search(r"^\| Commit \| `([^`]*)` \|", text, re.M)
    date = re.search(r"^\| Date \(UTC\) \| ([^|]*?) \|", text, re.M)
    return name, text, commit.group(1) if commit else "?", date.group(1) if date else "date unknown"


def ratios_section(results_dir):
    """The README's Ratios section: the targets table of the latest ratios report in results_dir; empty when there is
    none."""
    latest = latest_report(results_dir, "-ratios.md")
    if latest is None:
        return []
    name, text, commit, date = latest
    lines = text.split("\n")
    start = lines.index("## Targets") + 1 if "## Targets" in lines else len(lines)
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    table = lines[start:end]
    while table and table[0] == "":
        table.pop(0)
    while table and table[-1] == "":
        table.pop()
    out = [RATIOS_HEADING, ""]
    out.append(f"From the ratios harness (latest report: [{name}]({name}), commit `{commit}`, {date}): the speed "
               "issue's targets measured the way they are stated, every row once per round in one process and each "
               "ratio taken within a round, medians (min–max) over the rounds. The report has every row's rate and "
               "every round. Rerun: `bench/run --ratios`.")
    out.append("")
    out += table
    out.append("")
    return out


def update_section(readme_path, heading, section):
    """Replaces the section under heading in readme_path (up to the next level-2 heading) with section, or appends it."""
    lines = open(readme_path, encoding="utf-8").read().split("\n") if os.path.exists(readme_path) else []
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = section
    else:
        while lines and lines[-1] == "":
            lines.pop()
        lines += [""] + section
    with open(readme_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


def main(report_path, latency_path, idle_path):
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    host = report["HostEnvironmentInfo"]

    # scenario -> parameters -> type -> benchmark
    data = OrderedDict()
    for b in report["Benchmarks"]:
        scenario = b["Namespace"].rsplit(".", 1)[-1]
        data.setdefault(scenario, OrderedDict()).setdefault(b["Parameters"], {})[b["Type"]] = b

    def find(scenario, type_name, parameters):
        return data.get(scenario, {}).get(parameters, {}).get(type_name)

    out = []
    w = out.append
    mode = env("BENCH_MODE", "short")
    w("# Performance results")
    w("")
    w("Written by `bench/run` from its latest run; the reports of every run stay in this folder.")
    w("")
    if mode == "short":
        w("> **Noise.** These numbers come from **one run** of BenchmarkDotNet's *short* job (1 launch, 3 warm-up and")
        w("> 3 measured iterations) on a **shared, noisy 2-core machine** on which other engineers build and test")
        w("> concurrently (see the load average below). They are **medians** of that run, and the ratios compare rows")
        w("> **of the same run**. Treat differences under about 2x as unproven; `bench/run --full` gives real numbers.")
    else:
        w("> Full run: BenchmarkDotNet's default job. Medians; ratios compare rows of the same run. The machine is shared")
        w("> (see the load average below).")
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
    w(f"| BenchmarkDotNet | {host.get('BenchmarkDotNetVersion', '?')}, job `{'short' if mode == 'short' else 'default'}`, joined summary |")
    w(f"| Mode | `bench/run{'' if mode == 'short' else ' --full'}` ({mode}) |")
    w(f"| Load average (1/5/15 min) | before {env('BENCH_LOAD_BEFORE')}, after throughput {env('BENCH_LOAD_MID')}, after latency/idle {env('BENCH_LOAD_AFTER')} |")
    w(f"| Reports | [{env('BENCH_MD', '')}]({env('BENCH_MD', '')}), [{env('BENCH_JSON', '')}]({env('BENCH_JSON', '')}), "
      f"[{env('BENCH_LATENCY', '')}]({env('BENCH_LATENCY', '')}), [{env('BENCH_IDLE', '')}]({env('BENCH_IDLE', '')}) |")
    w("")
    w("Rerun everything (and rewrite this file): `bench/run` (short) or `bench/run --full`. Each row's command reruns")
    w("that row with its baseline (all parameter values: BenchmarkDotNet cannot filter parameters from the command")
    w("line) and prints BenchmarkDotNet's table without touching this folder. Events/s = 1 s / median time per event;")
    w("\"x baseline\" = events/s of the row / events/s of the scenario's baseline in the same table (higher is better).")
    w("Allocated = BenchmarkDotNet's bytes per event (rounded); the harness additionally fails any HotPath run that")
    w("allocates on a writer thread or a harness reader thread in two invocations after its first (a one-time late")
    w("initialisation, such as the first time a reader catches up, is logged once), or on a consumer-group member's thread")
    w("after its first two signals.")
    w("")

    # Targets first: the acceptance numbers, computed from this run.
    w("## Targets")
    w("")
    w("| Target | Measured (this run) | Verdict |")
    w("|---|---|---|")
    p8 = "EventBytes=8"
    group = find("Throughput", "HotPathGroupPublish", p8)
    raw = find("Throughput", "HotPathSingleWriterPublish", p8)
    spsc = find("Throughput", "ChannelBoundedSpsc", p8)
    for label, b in (("group", group), ("raw reader", raw)):
        if b and spsc and median(b) and median(spsc):
            ratio = median(spsc) / median(b)
            eps = 1e9 / median(b)
            w(f"| 1→1, 8-byte, {label}: ≥ 10x SPSC channel | {ratio:.1f}x ({rate(median(b))}/s vs {rate(median(spsc))}/s) | "
              f"{'holds' if ratio >= 10 else f'**misses** by {10 / ratio:.1f}x'} |")
            w(f"| 1→1, 8-byte, {label}: ≥ 100 M events/s | {rate(median(b))}/s | "
              f"{'holds' if eps >= 1e8 else f'**misses** by {1e8 / eps:.1f}x'} |")
    for fan_type in ("HotPathThreeGroups", "HotPathThreeGroupsLargeBatch", "HotPathThreeGroupsBlocking"):
        fan = find("FanOut", fan_type, "")
        if fan and group and median(fan) and median(group):
            share = median(group) / median(fan)
            w(f"| 1→3 groups ({fan_type}): ≥ 60% of the 1→1 group rate | {share * 100:.0f}% ({rate(median(fan))}/s vs {rate(median(group))}/s) | "
              f"{'holds' if share >= 0.6 else f'**misses**: {share * 100:.0f}% instead of 60% ({0.6 / share:.1f}x short)'} |")
    xx = find("Routing", "KeyRouting", "Hash=XxHash3&Key=16B")
    km = find("Routing", "KeyRouting", "Hash=Kafka&Key=16B")
    if xx and median(xx):
        w(f"| XxHash3, 16-byte key: < 10 ns/key | {median(xx):.1f} ns | {'holds' if median(xx) < 10 else f'**misses** by {median(xx) / 10:.1f}x'} |")
    if xx and km and median(xx) and median(km):
        r = median(km) / median(xx)
        w(f"| murmur2, 16-byte key: within 3x of XxHash3 | {r:.2f}x ({median(km):.1f} ns) | {'holds' if r <= 3 else f'**misses** ({r:.1f}x)'} |")
    hot = [b for b in report["Benchmarks"] if b["Type"].startswith("HotPath") or b["Type"] == "KeyRouting"]
    nonzero = [f"{b['Type']} {b['Parameters']}: {allocated(b)} B" for b in hot if allocated(b) not in ("0", "n/a")]
    failed = [f"{b['Type']} {b['Parameters']}" for b in report["Benchmarks"] if not b.get("Statistics")]
    w(f"| 0 B allocated per event on every HotPath hot path | {len(hot) - len(nonzero)} of {len(hot)} HotPath/routing rows report 0 B"
      f"{' (' + '; '.join(nonzero) + ')' if nonzero else ''}; the harness's per-thread guard passed wherever the row has numbers | "
      f"{'holds' if not nonzero else '**misses**'} |")
    idle = parse_idle(idle_path)
    blocking = idle.get("HotPath group member, Blocking")
    if blocking is not None:
        w(f"| Blocking wait, idle topic: < 1% of one core | {blocking:.2f}% | {'holds' if blocking < 1 else f'**misses** by {blocking:.1f}x'} |")
    if failed:
        w(f"| Every benchmark ran | failed: {', '.join(failed)} | **fails** |")
    w("")
    w("Same-run comparisons only. On this machine one configuration can vary 3x or more between runs (a shared virtual")
    w("machine: other tenants take CPU time from its two cores), so a verdict within about 2x of its threshold is not")
    w("settled by one short run.")
    w("The `WaitStrategies` table's `Yielding` row runs exactly the configuration of the 1→1 group row (8-byte,")
    w("`Publish`): the two are two samples of the same thing in the same run.")
    w("")
    w("## What the hot path costs, and what changed it")
    w("")
    w("Figures from earlier short runs on this machine class (commits named); each change was also checked with a")
    w("side-by-side probe of the old and new code in one process, because runs an hour apart differ by 2x here.")
    w("")
    w("- **Blocking parked everyone's publisher** (fixed in `f1bddcd`): once a `Blocking` member owned a partition,")
    w("  every `Publish` ran a full fence (`lock or [rsp], 0`) to look for parked readers. Now an asymmetric Dekker: a")
    w("  reader about to park raises a flag and calls `Interlocked.MemoryBarrierProcessWide()`; a publisher only loads")
    w("  the flag. `Blocking` 1→1 went from 0.09x to 0.98x of `Yielding` (runs `deb2a1e`, `73a7c4f`).")
    w("- **A parked reader was woken by every publish until it ran again** (fixed in `2018a98`): the flag was a count")
    w("  that the reader itself decremented after waking, so with 4 threads on 2 cores (fan-out) every publish in that")
    w("  window unparked all three members (an exchange, a lock and a pulse each). Now the one publisher that wins the")
    w("  flag (an exchange) wakes only members that announced a park. Fan-out with `Blocking`: 3.5 M/s (run `73a7c4f`)")
    w("  to 62 M/s (targeted run at `5dd9f72`).")
    w("- **The member's per-event loop kept its offset in memory** (fixed in `5dd9f72`): the loop ran inside the")
    w("  `try`/`finally` that restores the cursor after a handler exception, so the JIT kept the offset on the stack and")
    w("  every event paid a store-to-load round trip (JIT disassembly: `mov rcx, [rbp-0x40]` ... `mov [rbp-0x40], rcx`).")
    w("  The loop now lives in its own method without exception handling (offset in a register; `_position` stored")
    w("  before each handler call, so an exception still names the failing event), with `mask = slots.Length - 1` to")
    w("  free one more register. The interpolated message of a rare `Publish` error, inlined into every `Publish`, zeroed")
    w("  32 bytes of stack per call (`vmovdqu ymmword ptr [rbp-0x58], ymm0`); it moved out of line.")
    w("- **A member that keeps pace pulled the writer's cache lines back for nearly every event** (batch coalescing,")
    w("  `5dd9f72`): a faster member re-reads the cursor and the newest slot right after each publish, so the writer")
    w("  re-acquires both lines from the member's core again and again. A `perf` profile of the fan-out showed the writer")
    w("  with 35% of the samples and the members spinning on the rest; in a side-by-side probe the 1→1 group rate varied")
    w("  from 41 to 277 M/s without coalescing (median 57) and had a median of 144-169 M/s with it. Now a member whose")
    w("  pass handed out fewer than `CoalesceBelow` (default 256) events right after another productive pass pauses ~0.3 us")
    w("  (`Thread.SpinWait(8)`). Costs at most that in latency for an event published right after a small batch; an idle")
    w("  member is never delayed; `CoalesceBelow = 0` turns it off.")
    w("- **One writer in multi-writer mode paid a locked CAS per event** (writer bias, `a4dd107`, `864c4ba`): a locked")
    w("  instruction is a full fence, so each claim waited for the previous slot's and entry's lines to come back from the")
    w("  reader's core; a probe with a plain store instead ran 2-7x faster. A multi-writer partition now lets the first")
    w("  thread that claims store the cursor without a CAS until a second thread claims (which revokes the bias once: a")
    w("  process-wide barrier). Interleaved rounds: multi-writer 1 writer 29.9 -> 76.0 M/s (119% of single-writer in the")
    w("  same rounds), default options keyless 25.2 -> 62.3 M/s; 2 writers unchanged (24 M/s). The owner is identified by a")
    w("  thread-static number: `Environment.CurrentManagedThreadId` was a call in every claim's JIT output.")
    w("- **BusySpin backed off to 16 pauses per poll** (`c0fe9e1`): ~0.2 us between polls is latency; one pause per poll")
    w("  took the one-way p50 from 0.6 to 0.3 us (interleaved latency-harness rounds, pinned and unpinned).")
    w("- **A batch claim indexed every element through the partition** (`a271ba3`): the fill loop loaded the claim's")
    w("  partition, the ring, its mask and its length per element. A batch claim now holds its slots as two spans (up to the")
    w("  ring's end, then from its start): one compare and a store per element, `FirstSpan`/`SecondSpan` public. Same-process")
    w("  rounds: `ClaimBatch(256)` from 0.64-0.83x to 1.07-1.24x `PublishBatch`, 267-327 -> 392-493 M/s.")
    w("- **The publish path was inlined only where the JIT's profile said so** (`d024046`): without a profile (NativeAOT,")
    w("  `TieredPGO=0`) `Publish(in T)` called its claim step, 18-20 ns per event against 6-7 ns inlined. `ClaimCore`,")
    w("  `Publish(in T)` and `Claim()` are now always inlined. The profile is kept per event type: one type published hot in")
    w("  both modes shares one layout (the ratios harness gives each row its own type for that reason).")
    w("- **A writer whose reader keeps taking its lines is bound by its stores** (`aa0845f`..`f9322ee`, story in")
    w("  `20261204-041500-issue14-stores.md`): five extra stores to the writer's own stack per event halved the single")
    w("  writer's rate in the fine-interleaved probe. The tracing branch's call kept the offset live across it, so the JIT")
    w("  saved it to the stack on every publish: now out of line (`b6c0e52`), A 170-215 -> 250-265 M/s in the same")
    w("  placement. The claim's done flag folded into its ticket (`c8969ac`), the keyless rotation's store skipped on one")
    w("  partition (`a10ce12`), the claim's finally made small enough to be cloned without a profile (`6353dfd`: per-event")
    w("  claim 0.51 -> 0.69 of `Publish(in T)` with `TieredPGO=0`). Reading the cursor instead of the writer's own copy")
    w("  cost `ClaimBatch(256)` 40% or more (`aa0845f`, reverted). `PublishCodegenTests` now count the frame stores of the")
    w("  publish loops in the JIT's output.")
    w("- **The host changes under the same machine class** (story in `20261204-130000-issue14-host.md`): L2 1 MiB per")
    w("  core today, 512 KiB overnight. Per-event rows are slower (A 263 -> 169 M/s; the same code at `90e2ed7` runs 176 M/s")
    w("  there), batch rows and `Channel<T>` faster. `bench/native/spsc-ring.c`, a C ring with A's contract, runs")
    w("  160-183 M/s on it (and 15-37 M/s when its consumer catches up on every value): A is at the machine's ceiling.")
    w("  One-byte availability entries (one line per 64 events, for the multi-writer reader) measured no gain there")
    w("  (140/135 against 148/149 M/s) and were not kept.")
    w("")

    for scenario, (title, baseline, text) in SCENARIOS.items():
        if scenario not in data:
            continue
        w(f"## {title}")
        w("")
        w(text)
        w("")
        for parameters, by_type in data[scenario].items():
            if parameters.startswith("EventBytes="):
                w(f"### {parameters.replace('EventBytes=', '')}-byte events")
                w("")
            w("| Implementation | Events/s (median) | ns/event (median) | x baseline | Allocated B/event | Rerun |")
            w("|---|---:|---:|---:|---:|---|")
            base_ns = median(by_type[baseline]) if baseline in by_type else None
            order = [t for t in IMPLEMENTATIONS if t in by_type] + sorted(t for t in by_type if t not in IMPLEMENTATIONS)
            for type_name in order:
                b = by_type[type_name]
                ns = median(b)
                cmd = rerun(f"*{scenario}.{type_name}.*", *([f"*{scenario}.{baseline}.*"] if type_name != baseline else []))
                label = IMPLEMENTATIONS.get(type_name, type_name)
                if not ns:
                    w(f"| {label} | failed | | | | {cmd} |")
                    continue
                ratio = f"{base_ns / ns:.2f}x" if base_ns else "n/a"
                w(f"| {label} | {rate(ns)} | {ns:.1f} | {ratio} | {allocated(b)} | {cmd} |")
            w("")
        if scenario == "FanOut" and group and median(group):
            w(f"For the 60% target: the 1→1 group row (8-byte, Throughput table) ran at {rate(median(group))}/s in this run.")
            w("")

    if "WaitStrategies" in data:
        w("## Wait strategies: throughput (1 writer → 1 group of 1 member, 8-byte events) and idle CPU")
        w("")
        w("The strategy is used on both sides: by the writer on a full ring and by the member on an empty partition.")
        w("Idle CPU: a topic with one group of one member and no traffic; whole-process CPU time over the measured")
        w("seconds as % of one core (`Process.TotalProcessorTime` delta), from the idle harness of the same run.")
        w("")
        w("| Strategy | Events/s (median) | ns/event (median) | x Yielding | Allocated B/event | Idle CPU, % of one core | Rerun |")
        w("|---|---:|---:|---:|---:|---:|---|")
        rows = data["WaitStrategies"]
        y = median(rows.get("Strategy=Yielding", {}).get("HotPathGroupWait", {})) if "Strategy=Yielding" in rows else None
        for strategy in ("BusySpin", "Yielding", "SpinThenSleep", "Blocking"):
            b = rows.get(f"Strategy={strategy}", {}).get("HotPathGroupWait")
            idle_cpu = idle.get(f"HotPath group member, {strategy}")
            idle_text = f"{idle_cpu:.2f}" if idle_cpu is not None else "n/a"
            cmd = rerun("*WaitStrategies*")
            if not b or not median(b):
                w(f"| {strategy} | failed | | | | {idle_text} | {cmd} |")
                continue
            w(f"| {strategy} | {rate(median(b))} | {median(b):.1f} | {y / median(b):.2f}x | {allocated(b)} | {idle_text} | {cmd} |" if y else
              f"| {strategy} | {rate(median(b))} | {median(b):.1f} | n/a | {allocated(b)} | {idle_text} | {cmd} |")
        for name in ("nothing running (process background)", "Channel reader blocked in WaitToReadAsync (baseline)"):
            if name in idle:
                w(f"| *{name}* | | | | | {idle[name]:.2f} | `dotnet run -c Release --project {PROJECT} -- idle` |")
        w("")

    if "Routing" in data:
        w("## Key routing: `Partitioner.PartitionFor`, XxHash3 vs Kafka murmur2")
        w("")
        w("1,024 distinct keys per invocation routed to 64 partitions; times per key. String keys are 16 ASCII characters")
        w("and include their UTF-8 encoding (on the stack). The baseline is Kafka's murmur2; the ratio is how many times")
        w("faster XxHash3 is.")
        w("")
        w("| Key | XxHash3 ns/key | murmur2 ns/key | murmur2 / XxHash3 | Allocated B/key (XxHash3, murmur2) | Rerun |")
        w("|---|---:|---:|---:|---|---|")
        for key in ("8B", "16B", "64B", "string16"):
            x = data["Routing"].get(f"Hash=XxHash3&Key={key}", {}).get("KeyRouting")
            k = data["Routing"].get(f"Hash=Kafka&Key={key}", {}).get("KeyRouting")
            xn, kn = (median(x) if x else None), (median(k) if k else None)
            w(f"| {key} | {f'{xn:.2f}' if xn else 'failed'} | {f'{kn:.2f}' if kn else 'failed'} | "
              f"{f'{kn / xn:.2f}x' if xn and kn else 'n/a'} | {allocated(x) if x else 'n/a'}, {allocated(k) if k else 'n/a'} | {rerun('*Routing*')} |")
        w("")

    w("## Latency: one-way publish → handler")
    w("")
    w(f"Rerun: `dotnet run -c Release --project {PROJECT} -- latency --rate 100000 --seconds {env('BENCH_LATENCY_SECONDS', '4')}`. "
      "Pinned rows put the writer on CPU 0 (`CpuAffinity.TryPinCurrentThread`) and the member (`ConsumerGroupOptions.Cores`) "
      "or the channel's reader on CPU 1. On a loaded 2-core machine pinning can hurt: a pinned thread cannot move away "
      "from a core another process is using.")
    w("")
    w(harness_table(latency_path, "latency"))
    w("")
    w("## Idle CPU")
    w("")
    w(f"Rerun: `dotnet run -c Release --project {PROJECT} -- idle --seconds {env('BENCH_IDLE_SECONDS', '3')}`.")
    w("")
    w(harness_table(idle_path, "idle"))
    w("")
    results_dir = os.path.dirname(os.path.abspath(report_path))
    for line in curves_section(results_dir) + ratios_section(results_dir):
        w(line)
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--update-curves":
        readme = sys.argv[2]
        update_section(readme, CURVES_HEADING, curves_section(os.path.dirname(os.path.abspath(readme))))
    elif len(sys.argv) == 3 and sys.argv[1] == "--update-ratios":
        readme = sys.argv[2]
        update_section(readme, RATIOS_HEADING, ratios_section(os.path.dirname(os.path.abspath(readme))))
    else:
        main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None, sys.argv[3] if len(sys.argv) > 3 else None)
