"""Run every benchmark of issue 7, print one table, write one JSON file.

    python benchmarks/run.py [--quick] [--out benchmarks/results/run-<UTC>.json]

Each benchmark runs in its own Python process (clean memory, its own imports) and writes
its JSON; this script collects them with the machine description (CPU, cores, load,
package versions, model file sha256) into benchmarks/results/run-<UTC time>.json (not
committed) and prints the ratios and goals. About 6-9 minutes on the shared 2-core
machine (``--quick``: about 3 minutes, fewer frames and rounds).

The first run also records landmark files of the sample videos that have none
(benchmarks/results/cache/, about 4 minutes once) and re-encodes one clip to 30 fps.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import EXERCISES, RESULTS, landmark_recording  # noqa: E402

HERE = Path(__file__).resolve().parent


def bench(script: str, args: list[str], out: Path) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / script), *args, "--json", str(out)],
                          capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    # the scripts' own tables, without MediaPipe's native log lines
    for line in proc.stdout.splitlines():
        print("  " + line)
    if proc.returncode != 0 or not out.exists():
        tail = [ln for ln in proc.stderr.splitlines() if ln.strip()][-5:]
        print(f"  {script} FAILED (exit {proc.returncode}):\n    " + "\n    ".join(tail))
        return {"error": tail, "seconds": round(took, 1)}
    data = json.loads(out.read_text())
    data["seconds"] = round(took, 1)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames and rounds (~3 min)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = args.out or RESULTS / f"run-{stamp}.json"
    parts = RESULTS / f"parts-{stamp}"
    parts.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    machine = common.machine_info()
    print(f"coach benchmarks {stamp}: {machine['cpu']}, {machine['cores']} cores, "
          f"load {machine['loadavg_1_5_15']}, mediapipe {machine['packages'].get('mediapipe')}, "
          f"model {machine['model']} sha256 {str(machine['model_sha256'])[:16]}...")
    for ex in EXERCISES:  # recorded once, outside the timed parts
        landmark_recording(ex)
    q = args.quick
    results = {}
    print("\n[1] throughput (bare model vs coach replay, interleaved)")
    results["throughput"] = bench("throughput.py", ["--frames", "60" if q else "120", "--rounds", "2" if q else "3"],
                                  parts / "throughput.json")
    print("\n[2] checker cost per frame")
    results["checker"] = bench("checker.py", ["--minutes", "2" if q else "5"],
                               parts / "checker.json")
    print("\n[3] live latency (simulated 30 fps camera)")
    results["live"] = bench("live_latency.py", ["--seconds", "20" if q else "40"], parts / "live.json")
    print("\n[4] scaling (1, 10, 60 minutes) and memory")
    results["scaling"] = bench("scaling.py", ["--minutes", *(["1", "10"] if q else ["1", "10", "60"])],
                               parts / "scaling.json")
    print("\n[5] profile-driven fixes not applied yet (before/after, interleaved; patched copies, not the package)")
    results["fixes"] = bench("fixes.py", ["--rounds", "2" if q else "4"], parts / "fixes.json")
    print("\n[6] what a person waits for: the overlay a frame, the workbench's re-evaluation")
    results["interactive"] = bench("interactive.py", ["--rounds", "2" if q else "5"], parts / "interactive.json")

    summary = summarise(results)
    print("\n== summary ==")
    for line in summary["lines"]:
        print(line)
    total = time.perf_counter() - t0
    print(f"\n{total:.0f} s; JSON: {common.rel(out)}")
    common.write_json(out, {"utc": stamp, "machine": machine, "seconds": round(total, 1),
                            "summary": summary, "results": results})
    return 0


def summarise(r: dict) -> dict:
    lines: list[str] = []
    tp = r.get("throughput", {})
    if "ratios" in tp:
        a = tp["ratios"]["replay / decode+model"]
        b = tp["ratios"]["replay+video / decode+model"]
        c = tp["ratios"]["replay / model"]
        lines.append(f"throughput ratio replay/decode+model {a['wall_median']:.3f} wall "
                     f"(range {a['wall_min']:.2f}-{a['wall_max']:.2f}), {a['cpu_median']:.3f} CPU; goal >= 0.95")
        lines.append(f"  replay/model(pre-decoded) {c['wall_median']:.3f}, replay+video/decode+model {b['wall_median']:.3f} wall "
                     f"{b['cpu_median']:.3f} CPU; non-model work in replay "
                     f"{tp['replay_split']['rest_ms_per_frame']} ms/frame")
    ck = r.get("checker", {})
    if "rows" in ck:
        worst = max((x for x in ck["rows"] if "total_us" in x), key=lambda x: x["total_us"]["p95"], default=None)
        means = ", ".join(f"{x['exercise']} {x['total_us']['mean']:.0f}" for x in ck["rows"] if "total_us" in x)
        lines.append(f"checker us/frame (CPU mean): {means}; goal <= 100")
        if worst:
            lines.append(f"  worst p95 {worst['total_us']['p95']:.0f} us ({worst['exercise']})")
    lv = r.get("live", {})
    if "ready_latency_ms" in lv:
        lines.append(f"live 30 fps: capture->ready p50/p95/max {lv['ready_latency_ms']['p50']}/{lv['ready_latency_ms']['p95']}/"
                     f"{lv['ready_latency_ms']['max']} ms, model p95 {lv['model_ms']['p95']} ms, "
                     f"pickup->ready p95 {lv['processing_ms']['p95']} ms; dropped {lv['frames_dropped']} of "
                     f"{lv['frames_grabbed']}; latency first/last third {lv['latency_first_third_p50']}/"
                     f"{lv['latency_last_third_p50']} ms")
    sc = r.get("scaling", {})
    if "replays" in sc:
        parts = [f"{x['minutes']:g} min {x['cpu_us_per_frame_median']} us, RSS +{x['rss_growth_after_first_min_mib']} MiB"
                 for x in sc["replays"] if "frames" in x]
        lines.append("scaling (CPU us/frame, RSS growth): " + "; ".join(parts))
        big = [x for x in sc.get("load_clip", []) if x.get("masks")]
        if big:
            lines.append(f"  file replay of a recording with masks holds {big[-1]['mib_per_minute']} MiB per minute "
                         f"(~{60 * big[-1]['mib_per_minute']:.0f} MiB for 60 min)")
    fx = r.get("fixes", {})
    for row in fx.get("rows", []):
        unit = row.get("unit", "us")
        lines.append(f"fix {row['fix']}: {row['before_us']:.1f} -> {row['after_us']:.1f} {unit} "
                     f"(x{row['speedup']:.2f}), same output: {row['same_output']}")
    for row in r.get("interactive", {}).get("rows", []):
        lines.append(f"{row['what']}: {row['cpu_ms_p50']:.1f} ms CPU p50, {row['ratio_to_target']:.2f} of the "
                     f"{row['target_ms']:.0f} ms target")
    return {"lines": lines}


if __name__ == "__main__":
    raise SystemExit(main())
