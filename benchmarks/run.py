"""Run every benchmark in this folder (`make bench`); pass --quick for small sizes.

Each `bench_*.py` prints its own table of ratios measured in one run: the machines are shared
and noisy, so absolute seconds are context, ratios are the targets.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv):
    failed = []
    for bench in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {bench.name}", flush=True)
        rc = subprocess.run([sys.executable, str(bench), *argv]).returncode
        if rc:
            failed.append(bench.name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
