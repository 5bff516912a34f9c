"""Run the benchmark scripts several times, interleaved, and summarise every speed-up they print.

Usage::

    python benchmarks/run_all.py                 # every bench_*.py, 5 rounds
    python benchmarks/run_all.py --repeats 7 bench_fit.py bench_fourier.py

Each script runs in a fresh process (so cold times are real), and the scripts take turns: round
1 runs every script once, round 2 again, and so on, so that a quiet or a busy spell of a shared
machine does not favour one script. Within a script, ours and theirs already run side by side in
the same process. Every speed-up a script prints is collected, in the two forms the scripts use:

- ``... speed-up (warm) x52.5`` (one ratio per line; several per line are told apart by their
  position);
- ``speed-up vs Stingray: min 2.59, median 2.84 (of 7)`` (the min and median of the script's own
  repeats; the last line before it without a colon names the case).

The summary prints, for each ratio, the min / median / max over the rounds: a machine shared
with other work gives ranges, and the minimum is what a user can count on.
"""

import argparse
import pathlib
import re
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).parent
_KEYWORD = re.compile(r"speed-up|faster")
_X_RATIO = re.compile(r"(?<![A-Za-z_\d])x(\d+(?:\.\d+)?)")
_MIN_MEDIAN = re.compile(r"speed-up[^:\n]*:\s*min\s*([\d.]+),\s*median\s*([\d.]+)")
# numbers (x52.5 too), not the digits of names (float64 and Lorentz1D stay)
_NUMBER = re.compile(r"(?:(?<=x)|(?<![A-Za-z_\d.]))\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _label(text):
    """A line with its numbers blanked: the same case gives the same label in every round."""
    return " ".join(_NUMBER.sub("#", text).split())[:110]


def parse_ratios(output):
    """``{label: ratio}`` of every speed-up printed in ``output`` (one run of one script)."""
    ratios = {}
    header = ""
    for line in output.splitlines():
        match = _MIN_MEDIAN.search(line)
        if match:
            case = _label(header.strip() + " | " + line[: match.start()])
            ratios[case + " [script min]"] = float(match.group(1))
            ratios[case + " [script median]"] = float(match.group(2))
        else:
            key = _KEYWORD.search(line)
            after = line[key.end() :] if key else ""
            for k, m in enumerate(_X_RATIO.finditer(after)):  # every xN after the keyword
                ratios[f"{_label(line[: key.end() + m.start()])} #{k}"] = float(m.group(1))
        if line.strip() and ":" not in line:
            header = line
    return ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", help="bench_*.py files (default: all)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds (default 5)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    scripts = [HERE / s for s in args.scripts] or sorted(HERE.glob("bench_*.py"))
    if not scripts:
        sys.exit("no benchmark scripts found")
    collected = {s.name: {} for s in scripts}
    status = 0
    for round_ in range(1, args.repeats + 1):
        for script in scripts:
            print(f"=== round {round_}/{args.repeats}: {script.name}", flush=True)
            run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
            print(run.stdout, end="", flush=True)
            if run.returncode:
                print(run.stderr[-2000:], file=sys.stderr)
                status = 1
            for label, value in parse_ratios(run.stdout).items():
                collected[script.name].setdefault(label, []).append(value)
    print(f"\n=== speed-ups over {args.repeats} rounds: min / median / max (n)")
    for name, ratios in collected.items():
        print(f"--- {name}")
        for label, values in ratios.items():
            print(
                f"  x{min(values):8.2f} / x{statistics.median(values):8.2f} / "
                f"x{max(values):8.2f} ({len(values)})  {label}"
            )
    return status


if __name__ == "__main__":
    sys.exit(main())
