"""Speed of decision documents: render 1,000 decisions of a realistic view (12 item lines).

Prints the median and p95 time per document and the total for the batch, against the targets of
design §8 (≤ 50 ms each; 1,000 in ≤ 30 s). Each document gets its own number and content hash,
as in a batch of approvals; every rendering is timed from the view to the final bytes (template
opened, body laid out, package saved and re-packed byte-stable).

Run: .venv/bin/python -m bench.documents_bench [--count 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

from documents import render_decision
from documents.example import example_view

TARGET_EACH_MS = 50.0
TARGET_BATCH_S = 30.0


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    """Render the batch and print the figures; exit status 0 whatever they are (a bench)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000)
    args = parser.parse_args()

    base = example_view()
    views = [
        example_view(
            number=index + 1,
            content_sha256=hashlib.sha256(f"decision {index}".encode()).hexdigest(),
        )
        for index in range(args.count)
    ]
    render_decision(base)  # warm-up: the template is read once per process

    times_ms: list[float] = []
    sizes = 0
    start = time.perf_counter()
    for view in views:
        t0 = time.perf_counter()
        data = render_decision(view)
        times_ms.append((time.perf_counter() - t0) * 1000)
        sizes += len(data)
    total_s = time.perf_counter() - start

    median = statistics.median(times_ms)
    p95 = percentile(times_ms, 0.95)
    print(f"documents: {args.count:,} decisions, {len(base.items)} item lines each")
    print(
        f"per document: median {median:.1f} ms, p95 {p95:.1f} ms (target ≤ {TARGET_EACH_MS:.0f} ms)"
    )
    print(
        f"batch: {total_s:.2f} s for {args.count:,} ({args.count / total_s:.0f} documents/s; "
        f"target 1,000 in ≤ {TARGET_BATCH_S:.0f} s); mean size {sizes / args.count / 1024:.1f} KiB"
    )
    per_thousand_s = total_s * 1000 / args.count
    verdict_each = "met" if p95 <= TARGET_EACH_MS else "NOT met"
    verdict_batch = "met" if per_thousand_s <= TARGET_BATCH_S else "NOT met"
    print(f"targets: each {verdict_each} (p95); 1,000 in {per_thousand_s:.1f} s: {verdict_batch}")


if __name__ == "__main__":
    main()
