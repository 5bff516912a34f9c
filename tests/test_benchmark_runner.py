"""benchmarks/run_all.py collects every speed-up the benchmark scripts print (not timed)."""

import importlib.util
import pathlib

_PATH = pathlib.Path(__file__).parents[1] / "benchmarks" / "run_all.py"
_spec = importlib.util.spec_from_file_location("run_all", _PATH)
run_all = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_all)

OUTPUT = """\
jax 0.10.2, [CpuDevice(id=0)], cores: 2
one fit: stingray_jax cold 1040.00 ms, warm 2.810 ms | Stingray 148.000 ms | speed-up (warm) x52.5
(b) 256 light curves x 2**16 bins, 7 interleaved repeats
  avg_pds_batch float64 fft='xla' warm
    time [ms]: min 138, median 152 (of 7)
    speed-up vs Stingray: min 2.59, median 2.84 (of 7)
  avg_pds_batch float64 fft='host' warm
    speed-up vs Stingray: min 0.828, median 2.48 (of 7)
  avg_pds_batch float32 fft='xla' warm
    speed-up vs Stingray: min 4.02, median 5.61 (of 7)
calibrate: 40 simulations, scaled: 147 s -> speed-up cold x46, warm x197
"""


def test_both_formats_are_collected_with_stable_labels():
    ratios = run_all.parse_ratios(OUTPUT)
    assert sorted(ratios.values()) == [0.828, 2.48, 2.59, 2.84, 4.02, 5.61, 46, 52.5, 197]
    again = run_all.parse_ratios(OUTPUT.replace("x52.5", "x61.0").replace("2.810", "2.401"))
    assert set(again) == set(ratios)  # numbers that change between rounds do not change labels
    xla = [k for k in ratios if "xla" in k]
    assert len(xla) == 4  # float64 and float32 are two cases, not one
    assert {ratios[k] for k in xla if "float64" in k} == {2.59, 2.84}
    assert {ratios[k] for k in xla if "float32" in k} == {4.02, 5.61}
    calibrate = sorted(ratios[k] for k in ratios if "calibrate" in k)
    assert calibrate == [46, 197]
    changed = run_all.parse_ratios(OUTPUT.replace("cold x46", "cold x51"))
    assert set(changed) == set(ratios)  # the first ratio of a line is not in the second's label


def test_no_speed_up_no_ratio():
    assert run_all.parse_ratios("jax 0.10.2\nfirst fit in a fresh process: 1.60 s\n") == {}
