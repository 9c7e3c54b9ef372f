#!/usr/bin/env python3
"""Generates the dedup benchmark corpus (deterministic for a seed): FILES files whose sizes
follow a long-tailed distribution from 1 KiB to 64 MiB summing to about TOTAL_MIB, 30% of them
copies in groups of 2-5, and many same-size non-duplicates, some sharing their first 64 KiB.
Usage: make_corpus.py DIR FILES TOTAL_MIB [SEED]"""
import math, os, random, sys

KIB, MAX = 1024, 64 << 20


def sizes_for(rng_seed, count, lam):
    """Sizes 1 KiB * 2^X, X exponential with rate lam, capped at 64 MiB."""
    rng = random.Random(rng_seed)
    return [min(MAX, int(KIB * 2 ** min(16.0, rng.expovariate(lam))) + rng.randrange(KIB)) for _ in range(count)]


def planned_sizes(seed, copies, lam):
    """Sizes per distinct content; about 35% of the single files take the size of another."""
    sizes = sizes_for(seed, len(copies), lam)
    rng = random.Random(seed + 2)
    for i in range(1, len(sizes)):
        if copies[i] == 1 and rng.random() < 0.35:
            sizes[i] = sizes[rng.randrange(i)]
    return sizes


def fitted_sizes(seed, copies, total):
    lo, hi = 0.3, 20.0  # bisection on the rate: larger rate, smaller files
    for _ in range(50):
        mid = (lo + hi) / 2
        if sum(s * k for s, k in zip(planned_sizes(seed, copies, mid), copies)) > total:
            lo = mid
        else:
            hi = mid
    return planned_sizes(seed, copies, hi)


def main():
    root, files, total_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rng = random.Random(seed + 1)
    # Unique contents first; each duplicate group of 2-5 copies counts its copies among `files`.
    n_dup_files = int(files * 0.30)
    copies = []  # how many files each distinct content gets
    remaining_dups = n_dup_files
    distinct = files
    while remaining_dups >= 2:
        k = min(rng.randint(2, 5), remaining_dups)
        copies.append(k)
        remaining_dups -= k
        distinct -= k - 1
    copies += [1] * (distinct - len(copies))
    rng.shuffle(copies)
    # Sizes chosen so that the whole corpus (copies included) is about total_mib.
    sizes = fitted_sizes(seed, copies, total_mib << 20)
    os.makedirs(root, exist_ok=True)
    shared_head = {}
    n = 0
    for i, (size, k) in enumerate(zip(sizes, copies)):
        head = b""
        if size in shared_head and rng.random() < 0.5:  # same first 64 KiB as another file
            head = shared_head[size][: min(size - 1, 64 * KIB)]
        data = head + os.urandom(size - len(head))
        shared_head.setdefault(size, data[: 64 * KIB])
        for _ in range(k):
            d = os.path.join(root, f"d{n % 97:02d}", f"s{(n // 97) % 13:02d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"f{n:05d}.bin"), "wb") as f:
                f.write(data)
            n += 1
    print(f"{n} files, {sum(s * k for s, k in zip(sizes, copies)) / (1 << 20):.0f} MiB, "
          f"{sum(1 for k in copies if k > 1)} duplicate groups, {sum(k - 1 for k in copies)} redundant files")


if __name__ == "__main__":
    main()
