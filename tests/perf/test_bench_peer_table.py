"""The side-by-side table `make bench PEER=1` prints: one row per pair and client count, our
throughput as a multiple of the peer's, and a dash where a side completed nothing."""

from bench.run import peer_markdown, summarise


def figures(rps, p50_us, requests=10):
    return {"rps": rps, "p50": p50_us, "requests": requests, "non2xx": 0, "errors": 0}


def test_ratio_rows_for_each_pair_and_client_count():
    pairs = {
        "ours:Tier 2 queue page @1": summarise([figures(300.0, 3_000), figures(320.0, 2_800)]),
        "peer:ticket list page @1": summarise([figures(10.0, 95_000), figures(10.0, 105_000)]),
        "peer:datatables JSON @1": summarise([figures(4.0, 250_000)]),
        "ours:Tier 2 queue page @8": summarise([figures(600.0, 12_000)]),
        "peer:ticket list page @8": summarise([figures(0.0, 0, requests=0)]),
    }
    table = peer_markdown({"sizes": {"10000": {"pairs": pairs}}}).splitlines()
    assert table[0].startswith("| tickets | pair | clients | ours req/s")
    assert (
        "| 10,000 | Tier 2 queue page ↔ ticket list page | 1 | 310.0 | 2.9 | 10.0 | 100.0 | 31.0× |" in table
    )
    assert "| 10,000 | Tier 2 queue page ↔ datatables JSON | 1 | 310.0 | 2.9 | 4.0 | 250.0 | 77.5× |" in table
    # The peer answered nothing in the window: no ratio and no latency are made up.
    assert "| 10,000 | Tier 2 queue page ↔ ticket list page | 8 | 600.0 | 12.0 | 0.0 | – | – |" in table
    # A pair with a side never measured is left out rather than shown as zero.
    assert not any("scorecard" in line for line in table)
    assert len(table) == 5
