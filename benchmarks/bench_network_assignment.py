"""Agreement of assign_yeo_networks with the true networks of Schaefer atlases.

Each Schaefer-N parcel (N = 100, 200, 300; 7-network order) is assigned the
network of the nearest Schaefer-400 parcel of its hemisphere (MNI centroids
of the shipped region tables) and compared with its own network. Offline,
deterministic, under a second.

    python benchmarks/bench_network_assignment.py
"""

from connpredict.datasets import assign_yeo_networks, load_region_table


def main():
    print(f"{'atlas':<14}{'cortical regions':>18}{'agree':>8}{'agreement':>11}")
    for n in (100, 200, 300):
        table = load_region_table(n)
        cortex = table["structure"] == "cortex"
        got = assign_yeo_networks(table)
        same = int((got[cortex] == table["network"][cortex]).sum())
        total = int(cortex.sum())
        print(f"Schaefer-{n:<5}{total:>18}{same:>8}{same / total:>10.1%}")


if __name__ == "__main__":
    main()
