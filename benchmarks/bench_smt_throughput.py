"""Training throughput and memory of the SMT (CPU benchmark, not a test).

Two measurements:

``throughput``
    Training pairs per second of the SMT as connpredict trains it (each
    batch encodes its distinct regions once; region-block batches) against
    a reference implementation of the *same* module trained the research's
    way: every batch row is a pair whose two regions are both encoded (the
    GeneEx2Conn ``RegionPairDataset`` materialised ``[x_i, x_j]`` per pair;
    here the reference gathers the two gene vectors per pair, which is the
    same encoder work without the memory). Same process, same sizes
    (Schaefer-400-like: 400 regions, 810 genes, token size 20), same batch
    size, forward + backward + AdamW step. The reference is timed on a fixed
    number of batches and extrapolated to a full epoch; the methods are timed
    in alternation so that load from other processes affects them alike.

``memory``
    Peak resident memory of one training epoch of ``SMTRegressor`` on a
    Schaefer-1000-sized synthetic problem (1,000 regions, 2,000 genes,
    499,500 pairs), run in a fresh process.

Usage::

    python benchmarks/bench_smt_throughput.py throughput [--threads 2]
    python benchmarks/bench_smt_throughput.py memory [--threads 2]
"""

import argparse
import resource
import time

import torch

from connpredict.models._torch_data import PairDataset, PairLoader
from connpredict.models._torch_modules import SMTModule
from connpredict.utils import pair_indices

SMT_KW = dict(token_size=20, d_model=64, n_heads=4, n_layers=2, dropout=0.1)


def throughput(n_regions=400, n_genes=810, batch_size=1024, rounds=4, seed=0):
    """Pairs/s of connpredict's SMT training vs the encode-every-pair reference.

    The methods are timed in alternation (``rounds`` rounds of a few batches
    each), so that load from other processes affects them alike. Both wall
    time and process CPU time are recorded.
    """
    gen = torch.Generator().manual_seed(seed)
    genes = torch.randn(n_regions, n_genes, generator=gen)
    rows, cols = pair_indices(n_regions)
    y = torch.randn(len(rows), generator=gen)
    ds = PairDataset(genes, None, rows, cols, y)
    methods = {}

    # connpredict: distinct regions per batch, block and random batches
    for sampler, per_round in (("block", 8), ("random", 4)):
        torch.manual_seed(seed)
        module = SMTModule(n_genes, **SMT_KW)
        loader = PairLoader(
            ds,
            batch_size=batch_size,
            shuffle=True,
            sampler=sampler,
            generator=torch.Generator().manual_seed(seed),
        )
        batches = list(loader)

        def step(b, module=module):
            xb, yb = b
            pred = module(xb.genes, None, xb.left, xb.right)
            return torch.nn.functional.mse_loss(pred, yb)

        methods[f"connpredict ({sampler} batches)"] = (module, batches, step, per_round)

    # reference: encode both regions of every pair
    torch.manual_seed(seed)
    ref_module = SMTModule(n_genes, **SMT_KW)
    perm = torch.randperm(len(rows), generator=gen)
    r_t, c_t = torch.as_tensor(rows), torch.as_tensor(cols)
    ref_batches = [
        (genes[r_t[idx]], genes[c_t[idx]], y[idx])
        for idx in perm.split(batch_size)[: 2 * rounds]
    ]

    def ref_step(b):
        gi, gj, yb = b
        ei = ref_module.encode(gi)
        ej = ref_module.encode(gj)
        return torch.nn.functional.mse_loss(ref_module.decode(ei, ej), yb)

    ref_name = "reference (encode both regions of every pair)"
    methods[ref_name] = (ref_module, ref_batches, ref_step, 2)

    stats = {name: [0, 0.0, 0.0, 0] for name in methods}  # pairs, wall, cpu, enc
    opts = {
        name: torch.optim.AdamW(m[0].parameters(), lr=1e-3)
        for name, m in methods.items()
    }
    for m in methods.values():
        m[0].train()
    for r in range(rounds):
        for name, (_, batches, step, per_round) in methods.items():
            chunk = batches[r * per_round : (r + 1) * per_round]
            t0, c0 = time.perf_counter(), time.process_time()
            for b in chunk:
                opts[name].zero_grad()
                loss = step(b)
                loss.backward()
                opts[name].step()
            st = stats[name]
            st[1] += time.perf_counter() - t0
            st[2] += time.process_time() - c0
            for b in chunk:
                n = b[-1].shape[0]
                st[0] += n
                st[3] += b[0].genes.shape[0] if name != ref_name else 2 * n
    results = {}
    for name, (pairs, wall, cpu, enc) in stats.items():
        results[name] = dict(
            pairs_per_s=pairs / wall,
            pairs_per_cpu_s=pairs / cpu,
            epoch_s=wall * len(rows) / pairs,
            enc_per_pair=enc / pairs,
        )
    return results, len(rows)


def memory(n_regions=1000, n_genes=2000, seed=0):
    """Peak RSS of one SMTRegressor training epoch on a large synthetic problem."""
    from connpredict.datasets import make_synthetic_connectome
    from connpredict.models import SMTRegressor

    t0 = time.perf_counter()
    ds = make_synthetic_connectome(
        n_regions=n_regions, n_genes=n_genes, random_state=seed
    )
    t_data = time.perf_counter() - t0
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model = SMTRegressor(
        max_iter=1, n_iter_no_change=None, n_ensemble=1, random_state=seed
    )
    t0 = time.perf_counter()
    model.fit(ds.X, ds.Y)
    t_fit = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(
        t_data=t_data,
        t_fit=t_fit,
        rss_after_data_mb=rss_data,
        peak_rss_mb=rss,
        n_pairs=n_regions * (n_regions - 1) // 2,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["throughput", "memory"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.what == "throughput":
        res, n_pairs = throughput(batch_size=args.batch_size)
        print(
            f"400 regions x 810 genes, token 20: {n_pairs} pairs per epoch, "
            f"batch {args.batch_size}; forward + backward + AdamW step"
        )
        ref = res["reference (encode both regions of every pair)"]
        print(
            f"{'method':48s} {'pairs/s':>8s} {'pairs/cpu-s':>11s} {'s/epoch':>8s} "
            f"{'enc/pair':>8s} {'speed-up (wall, cpu)':>21s}"
        )
        for name, r in res.items():
            print(
                f"{name:48s} {r['pairs_per_s']:8.0f} {r['pairs_per_cpu_s']:11.0f} "
                f"{r['epoch_s']:8.1f} {r['enc_per_pair']:8.3f} "
                f"{r['pairs_per_s'] / ref['pairs_per_s']:9.1f}x "
                f"{r['pairs_per_cpu_s'] / ref['pairs_per_cpu_s']:9.1f}x"
            )
    else:
        res = memory()
        print(
            f"1000 regions x 2000 genes ({res['n_pairs']} pairs), one epoch: "
            f"data {res['t_data']:.1f} s, fit {res['t_fit']:.1f} s, "
            f"peak RSS {res['peak_rss_mb']:.0f} MB "
            f"(after making the data: {res['rss_after_data_mb']:.0f} MB)"
        )


if __name__ == "__main__":
    main()
