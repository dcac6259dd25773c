"""The one timing helper of the benchmark scripts (imported by each `bench_*.py`)."""

import time


def best_of(fn, repeats=3, *, warmup=False):
    """Shortest wall time of `repeats` calls of `fn`, after one untimed call if `warmup`."""
    if warmup:
        fn()  # imports, caches, graph tracing
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
