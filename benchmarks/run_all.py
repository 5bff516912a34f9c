"""Run every benchmark script in this folder, one fresh process each (so cold times are real)."""

import pathlib
import subprocess
import sys

here = pathlib.Path(__file__).parent
scripts = sorted(p for p in here.glob("bench_*.py"))
if not scripts:
    sys.exit("no benchmark scripts found")
status = 0
for script in scripts:
    print(f"=== {script.name}", flush=True)
    status |= subprocess.call([sys.executable, str(script)])
sys.exit(status)
