"""Large set inputs: the time per element of decoding a set of ids (it must stay
flat as the set grows: de-duplication is linear), and what a large request
costs the other clients of a real server: the latency of small requests made
while large ones are being answered, against the same small requests alone.

    python bench/large_inputs.py [--sizes 100,1000,10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from vlcmsim.testing import start_server
from vlcmsim.vapi.codec import MAX_ITEMS, from_clean, from_typed

ID_SET = {"kind": "set", "element": {"kind": "id"}}


def per_element_us(size: int, rounds: int) -> tuple[float, float]:
    ids = [f"host-{i}" for i in range(size)]  # all distinct: the worst case for de-duplication
    best_clean = best_typed = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        from_clean(ID_SET, ids)
        best_clean = min(best_clean, time.perf_counter() - t)
        t = time.perf_counter()
        from_typed(ID_SET, ids)
        best_typed = min(best_typed, time.perf_counter() - t)
    return best_clean / size * 1e6, best_typed / size * 1e6


def small_request_latency(client: httpx.Client, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        client.get("/api/vcenter/cluster").raise_for_status()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=f"100,1000,{MAX_ITEMS}")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print("decode a set of ids, microseconds per element (best of rounds):")
    first = None
    for size in sizes:
        clean, typed = per_element_us(size, args.rounds)
        first = first or clean
        ratio = clean / first
        print(f"  {size:>7} ids   clean {clean:6.3f} us   typed {typed:6.3f} us   ratio to smallest {ratio:4.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        srv = start_server(Path(tmp) / "data", tls=False)
        try:
            with srv.client() as small, srv.client() as large:
                small_request_latency(small, 50)  # warm up
                alone = small_request_latency(small, 200)
                body = {"filter": {"hosts": [f"host-{i}" for i in range(MAX_ITEMS)]}}
                stop = threading.Event()
                answered = [0]

                def hammer() -> None:
                    while not stop.is_set():
                        large.request("GET", "/api/vcenter/host", json=body).raise_for_status()
                        answered[0] += 1

                worker = threading.Thread(target=hammer)
                worker.start()
                time.sleep(0.2)
                during = small_request_latency(small, 200)
                stop.set()
                worker.join()
        finally:
            srv.stop()
    print(f"small requests alone: median {statistics.median(alone):.2f} ms, max {max(alone):.2f} ms")
    print(
        f"while {MAX_ITEMS}-id filters are answered ({answered[0]} of them): "
        f"median {statistics.median(during):.2f} ms, max {max(during):.2f} ms "
        f"(ratio of medians {statistics.median(during) / statistics.median(alone):.1f})"
    )


if __name__ == "__main__":
    main()
