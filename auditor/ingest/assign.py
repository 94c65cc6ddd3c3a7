"""One best assignment of roles to columns (each column one role, each role one column): Hungarian method."""

from __future__ import annotations


def best_assignment(weights: list[list[float]]) -> list[int]:
    """For each row (role slot) the column that maximises the total weight, or -1; weights are >= 0.

    The O(n^2 m) shortest-augmenting-path form of the Hungarian method, with n role slots and m
    columns: a chargemaster sheet has ~20 role slots, and a CMS wide file a few hundred columns.
    """
    n = len(weights)
    m = max((len(r) for r in weights), default=0)
    if n == 0 or m == 0:
        return [-1] * n
    width = max(m, n)  # dummy columns of weight 0 let a slot stay empty
    cost = [[-(row[j] if j < len(row) else 0.0) for j in range(width)] for row in weights]
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (width + 1)
    owner = [0] * (width + 1)  # owner[j]: the slot (1-based) holding column j
    way = [0] * (width + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = [inf] * (width + 1)
        used = [False] * (width + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = owner[j0], inf, 0
            row = cost[i0 - 1]
            ui0 = u[i0]
            for j in range(1, width + 1):
                if not used[j]:
                    cur = row[j - 1] - ui0 - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(width + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    out = [-1] * n
    for j in range(1, width + 1):
        if owner[j] and j - 1 < m and weights[owner[j] - 1][j - 1] > 0:
            out[owner[j] - 1] = j - 1
    return out
