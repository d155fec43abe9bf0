"""The printed report: the machine, then Markdown tables (readable in a terminal, pasted into BENCHMARKS.md)."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
from typing import Optional

from .workloads import FLOOR_TARGET, STARTUP_TARGETS, WORKLOADS

NAMES = {"chainrule": "chainrule", "torch": "PyTorch", "floor": "NumPy floor"}


def machine(threads: int, thread_info: dict) -> list:
    """Lines describing where and how this ran."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = []
    for pkg in ("numpy", "torch", "threadpoolctl"):
        try:
            versions.append(f"{pkg} {importlib.metadata.version(pkg)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{pkg} not installed")
    lines = [f"- CPU: {cpu}, {os.cpu_count()} logical cores; {platform.system()} {platform.release()}",
             f"- Python {platform.python_version()}; " + ", ".join(versions),
             f"- threads: {threads} for every framework"]
    lines += [f"  - {NAMES.get(fw, fw)}: {', '.join(info)}" for fw, info in sorted(thread_info.items())]
    if hasattr(os, "getloadavg"):
        lines.append("- load average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return lines


def fmt(v: Optional[float]) -> str:
    if v is None:
        return "–"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}" if v >= 0.1 else f"{v:.3f}"


def summary(result: dict) -> tuple:
    """(median of the repeats' medians, spread (max - min) / median), in seconds per step."""
    medians = result.get("medians") or []
    if not medians:
        return None, None
    mid = statistics.median(medians)
    return mid, (max(medians) - min(medians)) / mid


def cell(result: Optional[dict], scale: float) -> str:
    if result is None:
        return "not run"
    mid, _ = summary(result)
    if mid is not None:
        return fmt(mid * scale)
    if "missing" in result:
        return f"n/a (missing: {result['missing']})"
    return f"error ({result.get('error', '?')})"


def judged(r: Optional[float], target: Optional[float]) -> str:
    """A ratio, and whether it meets its target: "0.93 ✓ (≤ 1.0)"."""
    if r is None:
        return "–"
    return f"{r:.2f}" if target is None else f"{r:.2f} {'✓' if r <= target else '✗'} (≤ {target})"


def ratio(a: Optional[dict], b: Optional[dict], target: Optional[float]) -> str:
    x, y = summary(a or {})[0], summary(b or {})[0]
    return judged(None if x is None or y is None else x / y, target)


def spread(result: Optional[dict]) -> str:
    s = summary(result or {})[1]
    return "–" if s is None else f"{100 * s:.0f}%"


def background(res: dict) -> str:
    """Cores kept busy by other processes during the timed runs (mean, max): near 0 means a clean run."""
    loads = [b for r in res.values() for b in r.get("background", ()) if b is not None]
    return "–" if not loads else f"{statistics.mean(loads):.2f} (max {max(loads):.2f})"


def steps_table(results: dict) -> list:
    """One row per step workload: times, ratios, spreads and the last loss of each framework."""
    rows = ["| id | workload | unit | chainrule | PyTorch | NumPy floor | chainrule / PyTorch | "
            "chainrule / floor | spread cr / pt / floor | last loss cr / pt / floor | other load |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for wid, res in results.items():
        w = WORKLOADS[wid]
        cr, pt, fl = res.get("chainrule"), res.get("torch"), res.get("floor")
        spreads = " / ".join(spread(r) for r in (cr, pt, fl))
        losses = " / ".join("–" if not r or r.get("loss") is None else f"{r['loss']:.4g}" for r in (cr, pt, fl))
        rows.append(f"| {wid} | {w.title} | {w.unit} | {cell(cr, w.scale)} | {cell(pt, w.scale)} | "
                    f"{cell(fl, w.scale)} | {ratio(cr, pt, w.target)} | {ratio(cr, fl, FLOOR_TARGET)} | "
                    f"{spreads} | {losses} | {background(res)} |")
    return rows


def matmul_table(results: dict) -> list:
    """For the workloads whose matrix products were timed alone: the rest of each framework's step."""
    rows = ["| id | matrix products alone (ms) | chainrule: rest (ms), products' share | "
            "PyTorch: rest, share | NumPy floor: rest, share |", "|---|---|---|---|---|"]
    for wid, res in results.items():
        mm = summary(res.get("matmul") or {})[0]
        if not WORKLOADS[wid].matmul or mm is None:
            continue
        cells = []
        for fw in ("chainrule", "torch", "floor"):
            step = summary(res.get(fw) or {})[0]
            cells.append("–" if step is None else f"{fmt((step - mm) * 1e3)}, {100 * mm / step:.0f}%")
        rows.append(f"| {wid} | {fmt(mm * 1e3)} | " + " | ".join(cells) + " |")
    return rows if len(rows) > 2 else []


def startup_table(imports: dict, memory: dict) -> list:
    def value(fw: str, what: str) -> Optional[float]:
        if what == "import":
            return imports.get(fw, None) and imports[fw] * 1e3
        return memory.get(fw, {}).get("mb")

    def shown(fw: str, what: str) -> str:
        v = value(fw, what)
        if v is not None:
            return fmt(v)
        if fw not in memory:
            return "not run"
        m = memory[fw]
        return f"n/a (missing: {m['missing']})" if "missing" in m else f"error ({m.get('error')})"

    rows = ["| W6 | python alone | chainrule | PyTorch | chainrule / PyTorch |", "|---|---|---|---|---|"]
    for what, label in (("import", "`python -c \"import X\"` wall time (ms)"),
                        ("memory", "peak RSS, build W1 + 10 steps (MB)")):
        cr, pt = value("chainrule", what), value("torch", what)
        r = judged(None if cr is None or pt is None else cr / pt, STARTUP_TARGETS[what])
        alone = fmt(imports["python"] * 1e3) if what == "import" and "python" in imports else "–"
        rows.append(f"| {label} | {alone} | {shown('chainrule', what)} | {shown('torch', what)} | {r} |")
    return rows


def epoch_table(results: dict) -> list:
    cr, pt = results.get("chainrule", {}), results.get("torch", {})

    def shown(r: dict, key: str, f) -> str:
        if key in r:
            return f(r[key])
        return f"n/a (missing: {r['missing']})" if "missing" in r else f"error ({r.get('error', 'not run')})"

    def quotient(key: str) -> str:
        return f"{cr[key] / pt[key]:.2f}" if key in cr and key in pt else "–"

    percent, load = (lambda a: f"{100 * a:.2f}%"), (lambda b: f"{b:.2f}")
    rows = ["| W7: one MNIST epoch, batch 64 | chainrule | PyTorch | chainrule / PyTorch |", "|---|---|---|---|"]
    for label, key, f, q in (("wall time, data loading included (s)", "seconds", fmt, True),
                             ("CPU time of the process, all threads (s)", "cpu", fmt, True),
                             ("test accuracy", "accuracy", percent, False),
                             ("batches from", "loader", str, False),
                             ("other load (cores busy with other processes)", "background", load, False)):
        rows.append(f"| {label} | {shown(cr, key, f)} | {shown(pt, key, f)} | {quotient(key) if q else ''} |")
    return rows
