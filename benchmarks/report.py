"""The tables bench_workloads.py prints: a header (the machine), one table per workload,
the tanh chains' compile times, and a summary of ratios to hand-written NumPy."""

from measure import size_text

HAND = "hand-written NumPy"


def header(result):
    m = result["machine"]
    print(f"graphc benchmark: forward+backward of {len(result['kinds'])} row kinds, "
          f"median of {result['repeat']} interleaved repeats"
          f"{' (--quick)' if result['quick'] else ''}")
    print(f"machine: {m['cpu']}, {m['cores']} cores (run on {m['cpus_used']}); "
          f"python {m['python']}, numpy {m['numpy']} ({m['blas']}), {m['threads']} BLAS thread"
          f"{'s' if m['threads'] != 1 else ''}")
    peers = ", ".join(f"{k} {v}" for k, v in m["peers"].items()) or "none"
    print(f"peers: {peers}")
    for name, why in result["skipped"].items():
        print(f"skipped: {name}: {why}")
    print()


def _time(seconds):
    if seconds is None:
        return f"{'n/a':>11}"
    return (f"{seconds * 1e3:>8.3f} ms" if seconds < 1 else f"{seconds:>9.3f} s")


def workload(record):
    """One workload's table: time per call, ratio to hand-written, spread, memory."""
    hand = next(r for r in record["rows"] if r["kind"] == HAND)
    compile_ms = ", ".join(f"opt={k} {v * 1e3:.0f} ms" for k, v in record["compile_s"].items())
    print(f"{record['name']}: {record['label']}")
    print(f"  build + grad {record['grad_s'] * 1e3:.0f} ms; compile {compile_ms}")
    print(f"  {'':28} {'time/call':>11} {'vs hand':>8} {'max/min':>8} {'calls':>6} "
          f"{'peak memory':>12} {'vs hand':>8}")
    for row in record["rows"]:
        if row["median_s"] is None:
            print(f"  {row['kind']:28} {'n/a':>11}   {row['note']}")
            continue
        mem = row["peak_bytes"]
        mem_cols = (f"{size_text(mem)} {mem / hand['peak_bytes']:>7.2f}x"
                    if mem is not None else "")
        setup = f"  (setup {row['setup_s']:.2f} s)" if row["setup_s"] else ""
        print(f"  {row['kind']:28} {_time(row['median_s'])} {row['ratio']:>7.2f}x "
              f"{row['spread']:>7.2f}x {row['calls']:>6} {mem_cols}{setup}")
    print()


def chains(rows):
    print("compile time: build + gc.grad + gc.compile (opt=1) of sum(tanh(h @ W_i)), "
          "h (4, 8), W_i (8, 8)")
    print(f"  {'layers':>7} {'graph nodes':>12} {'build+grad':>11} {'compile':>9} "
          f"{'total':>9} {'growth':>16}")
    for r in rows:
        growth = (f"{r['growth']:.1f}x per {r['growth_of_layers']:.0f}x" if r["growth"]
                  else "")
        print(f"  {r['layers']:>7} {r['nodes']:>12} {r['build_grad_s']:>10.3f}s "
              f"{r['compile_s']:>8.3f}s {r['total_s']:>8.3f}s {growth:>16}")
    print()


def summary_rows(result):
    """(workload, hand time, {kind: ratio or None}, best peer text, memory ratio, compile
    ms of the default level) per workload."""
    out = []
    for rec in result["workloads"]:
        rows = {r["kind"]: r for r in rec["rows"]}
        ratios = {k: r["ratio"] for k, r in rows.items() if k.startswith("graphc")}
        peers = [(r["ratio"], k) for k, r in rows.items()
                 if not k.startswith("graphc") and k != HAND and r["ratio"]]
        best = f"{min(peers)[0]:.2f} ({min(peers)[1]})" if peers else "n/a"
        top = f"graphc opt={max(rec['compile_s'])} checked"
        mem = rows[top]["peak_bytes"] / rows[HAND]["peak_bytes"]
        compile_ms = (rec["grad_s"] + rec["compile_s"][max(rec["compile_s"])]) * 1e3
        out.append((rec, rows[HAND]["median_s"], ratios, best, mem, compile_ms))
    return out


def summary(result):
    """Ratios to hand-written NumPy per workload, as a Markdown table (the README's)."""
    kinds = [k for k in result["kinds"] if k.startswith("graphc")]
    print("summary: time / hand-written NumPy (lower is faster), peak memory / "
          "hand-written (graphc, highest opt level, checked call), grad + compile")
    print("| workload | hand NumPy | " + " | ".join(kinds) +
          " | best peer | memory | compile |")
    print("| --- " * (len(kinds) + 5) + "|")
    for rec, hand, ratios, best, mem, compile_ms in summary_rows(result):
        cells = [f"{ratios[k]:.2f}" if ratios.get(k) else "n/a" for k in kinds]
        print(f"| {rec['label']} | {_time(hand).strip()} | " + " | ".join(cells) +
              f" | {best} | {mem:.2f} | {compile_ms:.0f} ms |")
