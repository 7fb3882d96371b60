"""Region-pair data for the neural regressors (private).

Region features are stored once (``n_regions x n_features`` tensors) and
pairs as two integer index tensors. A batch gathers the *distinct* regions of
its pairs and re-indexes the pairs into them, so each region is encoded once
per batch; no ``n_pairs x n_genes`` tensor is ever built.

:class:`PairLoader` replaces :class:`torch.utils.data.DataLoader` (skorch
calls it as ``iterator(dataset, batch_size=..., **kwargs)``). It samples
either random pairs or *region blocks*: the regions are shuffled into groups
of about ``sqrt(batch_size)`` and each batch holds all the pairs between two
groups, so a batch of ``m * m`` pairs needs only ``2 m`` region encodings.
Every pair is still seen exactly once per epoch.
"""

import math

import torch


class PairBatch:
    """A batch: the distinct regions' features and the pairs as indices.

    ``len(batch)`` is the number of pairs (skorch uses it for bookkeeping).
    """

    __slots__ = ("coords", "genes", "left", "right")

    def __init__(self, genes, coords, left, right):
        self.genes = genes
        self.coords = coords
        self.left = left
        self.right = right

    def __len__(self):
        return int(self.left.shape[0])

    def to(self, device, dtype=None):
        """Move every tensor to ``device`` (features also to ``dtype``)."""

        def mv(t, float_=False):
            if t is None:
                return None
            if float_ and dtype is not None:
                return t.to(device=device, dtype=dtype, non_blocking=True)
            return t.to(device, non_blocking=True)

        return PairBatch(
            mv(self.genes, True), mv(self.coords, True), mv(self.left), mv(self.right)
        )


class PairDataset(torch.utils.data.Dataset):
    """Pairs ``(rows[k], cols[k])`` of regions with features ``genes``/``coords``.

    Parameters
    ----------
    genes : Tensor of shape (n_regions, n_genes)
    coords : Tensor of shape (n_regions, 3) or None
    rows, cols : LongTensor of shape (n_pairs,)
    y : Tensor of shape (n_pairs,) or None
    """

    def __init__(self, genes, coords, rows, cols, y=None, per_pair=False):
        self.genes = genes
        self.coords = coords
        self.rows = torch.as_tensor(rows, dtype=torch.long)
        self.cols = torch.as_tensor(cols, dtype=torch.long)
        self.y = y
        self.n_regions = genes.shape[0]
        # per_pair: a region gets one row per pair it is in (so one dropout
        # mask per pair, as when every pair row is encoded on its own)
        self.per_pair = bool(per_pair)

    def __len__(self):
        return int(self.rows.shape[0])

    def batch(self, idx):
        """Build the batch of the pairs ``idx`` (a LongTensor)."""
        r = self.rows[idx]
        c = self.cols[idx]
        n = r.shape[0]
        if self.per_pair:
            both = torch.cat([r, c])
            coords = None if self.coords is None else self.coords[both]
            ar = torch.arange(2 * n)
            xb = PairBatch(self.genes[both], coords, ar[:n], ar[n:])
            yb = self.y[idx] if self.y is not None else torch.zeros(n)
            return xb, yb
        uniq, inv = torch.unique(torch.cat([r, c]), return_inverse=True)
        coords = None if self.coords is None else self.coords[uniq]
        xb = PairBatch(self.genes[uniq], coords, inv[:n], inv[n:])
        yb = self.y[idx] if self.y is not None else torch.zeros(n)
        return xb, yb

    def __getitems__(self, indices):
        return self.batch(torch.as_tensor(indices, dtype=torch.long))

    def __getitem__(self, i):
        return self.batch(torch.as_tensor([i], dtype=torch.long))


class StrongEdgeSwap:
    """Whole-batch replacement by strong training pairs (a curriculum).

    The research's ``curriculum_swap_linear_decay`` without its subject-level
    targets: at epoch ``e`` (from 0) of ``n_epochs``, each batch is, with
    probability ``prob * (1 - e / n_epochs)`` (one uniform draw per batch),
    replaced by as many pairs drawn without replacement from ``strong`` (the
    positions of the training pairs with ``|y| > threshold``; all of them,
    shuffled, when there are fewer). The loader calls :meth:`new_epoch` at the
    start of every pass.

    Parameters
    ----------
    strong : LongTensor
        Positions (in the training dataset) of the strong pairs.
    prob : float
        Replacement probability at the first epoch.
    n_epochs : int
        Epoch budget of the linear decay.
    """

    def __init__(self, strong, prob, n_epochs):
        self.strong = torch.as_tensor(strong, dtype=torch.long)
        self.prob = float(prob)
        self.n_epochs = int(n_epochs)
        self.epoch = -1
        self.n_swapped = 0

    def new_epoch(self):
        self.epoch += 1

    def current_prob(self):
        return self.prob * (1.0 - self.epoch / self.n_epochs)

    def __call__(self, idx, generator):
        """``idx`` or, with the epoch's probability, a batch of strong pairs."""
        if float(torch.rand(1, generator=generator)) >= self.current_prob():
            return idx
        self.n_swapped += 1
        pick = torch.randperm(len(self.strong), generator=generator)[: len(idx)]
        return self.strong[pick]


class PairLoader:
    """Iterate over a :class:`PairDataset` in batches of region pairs.

    Parameters
    ----------
    dataset : PairDataset
    batch_size : int
        Pairs per batch (approximate for ``sampler="block"``).
    shuffle : bool
        Shuffle pairs (and, for blocks, the region grouping) every epoch.
    sampler : {"block", "random"}
        ``"block"``: all pairs between two random region groups per batch;
        ``"random"``: uniformly shuffled pairs.
    generator : torch.Generator or None
        Source of randomness (seeded by the estimator).
    swap : StrongEdgeSwap or None
        Replace some batches by strong training pairs (training only).
    """

    def __init__(
        self,
        dataset,
        batch_size=1024,
        shuffle=False,
        sampler="block",
        generator=None,
        swap=None,
        **_ignored,
    ):
        self.dataset = dataset
        self.batch_size = max(1, int(batch_size))
        self.shuffle = shuffle
        self.sampler = sampler
        self.generator = generator
        self.swap = swap

    def _perm(self, n):
        if self.shuffle:
            return torch.randperm(n, generator=self.generator)
        return torch.arange(n)

    def _random_batches(self):
        order = self._perm(len(self.dataset))
        return list(order.split(self.batch_size))

    def _block_batches(self):
        ds = self.dataset
        n_reg = ds.n_regions
        m = max(2, round(math.sqrt(self.batch_size)))
        n_groups = max(1, math.ceil(n_reg / m))
        group = torch.empty(n_reg, dtype=torch.long)
        group[self._perm(n_reg)] = torch.arange(n_reg) % n_groups
        ga = group[ds.rows]
        gb = group[ds.cols]
        key = torch.minimum(ga, gb) * n_groups + torch.maximum(ga, gb)
        pair_perm = self._perm(len(ds))
        key = key[pair_perm]
        sorted_key, order = torch.sort(key, stable=True)
        idx = pair_perm[order]
        counts = torch.bincount(sorted_key, minlength=n_groups * n_groups)
        counts = counts[counts > 0].tolist()
        batches = []
        for chunk in idx.split(counts):
            # a block bigger than twice the batch size (few groups) is cut up
            batches.extend(chunk.split(2 * self.batch_size))
        if self.shuffle:
            batches = [batches[i] for i in self._perm(len(batches)).tolist()]
        return batches

    def _batches(self):
        if self.sampler == "block":
            return self._block_batches()
        return self._random_batches()

    def __iter__(self):
        if self.swap is None:
            for idx in self._batches():
                yield self.dataset.batch(idx)
            return
        self.swap.new_epoch()
        for idx in self._batches():
            yield self.dataset.batch(self.swap(idx, self.generator))

    def __len__(self):
        # approximate for blocks; computing it must not consume randomness
        return math.ceil(len(self.dataset) / self.batch_size)
