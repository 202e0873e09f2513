"""Hunt throughput against the number of indicators loaded (1k -> 10M): a table and a plot,
docs/performance-throughput.svg.

    python bench/gen_intel.py /tmp/bench-intel-10m --count 10000000     # or 1M: the largest count measured
    PYTHONPATH=installer:bench python bench/throughput_scaling.py --logs /tmp/bench-logs \\
        --intel /tmp/bench-intel-10m [--counts 1000,10000,100000,1000000,10000000] [--svg docs/...svg]

The intel is loaded once; each count is the index of its first N indicators (`IndicatorColumns.select`).
For each count: the hunt pipeline of bench/scan_streams.py over the Zeek log directory (a fresh Matcher per
run), lines per CPU-second (this process's CPU: the figure a shared machine's load moves least), median of
--repeat runs; the `json.loads` loop over the same files is the baseline line. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
from pathlib import Path
from typing import Any

from baseline import json_loads_loop, timed
from minisoc.correlator.hunt import load_hunt_columns
from minisoc.correlator.matching import IndicatorIndex
from minisoc.correlator.zeek.reader import find_log_files
from scan_streams import pipeline

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 360, 80, 20, 30, 50


def svg(points: list[tuple[int, float]], baseline: float, title: str) -> str:
    """A line plot, log-scaled x (indicators), linear y (lines per CPU-second) from 0; hand-written SVG."""
    xs = [math.log10(count) for count, _ in points]
    x_low, x_high = math.floor(min(xs)), math.ceil(max(xs))
    y_high = max([value for _, value in points] + [baseline]) * 1.15

    def x_of(count: float) -> float:
        return LEFT + (math.log10(count) - x_low) / max(x_high - x_low, 1) * (WIDTH - LEFT - RIGHT)

    def y_of(value: float) -> float:
        return HEIGHT - BOTTOM - value / y_high * (HEIGHT - TOP - BOTTOM)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             'font-family="sans-serif" font-size="12">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="14">{title}</text>']
    for power in range(x_low, x_high + 1):
        x = x_of(10**power)
        label = {3: "1k", 4: "10k", 5: "100k", 6: "1M", 7: "10M", 8: "100M"}.get(power, f"1e{power}")
        parts += [f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="#ddd"/>',
                  f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{label}</text>']
    step = 10 ** math.floor(math.log10(y_high / 2))
    for tick in range(0, int(y_high) + 1, int(step) * (2 if y_high / step > 8 else 1)):
        y = y_of(tick)
        parts += [f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>',
                  f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick // 1000}k</text>']
    parts += [f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle">indicators loaded (log scale)'
              "</text>",
              f'<text x="16" y="{HEIGHT / 2}" transform="rotate(-90 16 {HEIGHT / 2})" text-anchor="middle">'
              "lines per CPU-second</text>"]
    y = y_of(baseline)
    parts += [f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#999" '
              'stroke-dasharray="6 4"/>',
              f'<text x="{WIDTH - RIGHT - 4}" y="{y - 6:.1f}" text-anchor="end" fill="#666">json.loads loop '
              f"({baseline / 1000:.0f}k)</text>"]
    path = " ".join(f"{x_of(count):.1f},{y_of(value):.1f}" for count, value in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>')
    for count, value in points:
        parts += [f'<circle cx="{x_of(count):.1f}" cy="{y_of(value):.1f}" r="3.5" fill="#1f6feb"/>',
                  f'<text x="{x_of(count):.1f}" y="{y_of(value) - 8:.1f}" text-anchor="middle">'
                  f"{value / 1000:.0f}k</text>"]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=Path, required=True, help="the OUT_DIR of bench/gen_logs.py")
    parser.add_argument("--intel", required=True, help="intel with at least the largest count of indicators")
    parser.add_argument("--counts", default="1000,10000,100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--svg", type=Path, default=Path(__file__).resolve().parents[1] / "docs"
                        / "performance-throughput.svg")
    args = parser.parse_args()
    files = find_log_files(args.logs / "dir")
    columns, _ = load_hunt_columns([args.intel], [])
    figures: dict[str, Any] = {"loadavg_before": os.getloadavg(), "indicators_available": len(columns)}
    counts = [count for count in map(int, args.counts.split(",")) if count <= len(columns)]
    points: list[tuple[int, float]] = []
    json_runs = []
    for count in counts:
        index = IndicatorIndex.from_columns(columns.select(range(count)))
        runs = []
        for _ in range(args.repeat):
            json_runs.append(timed(lambda: json_loads_loop(files)))
            runs.append(timed(lambda index=index: pipeline(files, index)))  # type: ignore[misc]
        lines = runs[-1][2][0]
        per_cpu = lines / statistics.median(run[1] for run in runs)
        figures[str(count)] = {"lines_per_cpu_s": round(per_cpu),
                               "lines_per_s": round(lines / statistics.median(run[0] for run in runs))}
        points.append((count, per_cpu))
        del index
    baseline = json_runs[-1][2] / statistics.median(run[1] for run in json_runs)
    figures["json_loads_lines_per_cpu_s"] = round(baseline)
    figures["loadavg_after"] = os.getloadavg()
    args.svg.write_text(svg(points, baseline, "minisoc hunt over the Zeek log directory (500k lines)"))
    figures["svg"] = str(args.svg)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
