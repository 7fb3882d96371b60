"""Parameter docs shared by the neural estimators (one text per parameter).

The docstrings of :class:`PairMLPRegressor` and :class:`SMTRegressor` hold a
line ``{name}`` (indented like a parameter name) where a shared parameter is
documented; :func:`fill_param_docs` replaces it by the entry below, so each
shared parameter is described once.
"""

import re

#: numpydoc entry (name line, then the description indented by 4) of each
#: parameter that the neural estimators document alike.
PARAM_DOCS = {
    "max_iter": """\
max_iter : int, default=60
    Maximum number of epochs (passes over the training pairs), as
    ``max_iter`` of scikit-learn's ``MLPRegressor``.""",
    "lr": """\
lr : float, default=1e-3
    AdamW learning rate.""",
    "batch_size": """\
batch_size : int, default=1024
    Region pairs per batch (approximate with ``sampler="block"``).""",
    "weight_decay": """\
weight_decay : float, default=1e-2
    AdamW weight decay.""",
    "input_dropout": """\
input_dropout : float, default=0.0
    Dropout on the standardised gene inputs during training (zeroed
    genes equal the training mean); a strong regulariser when there
    are few training regions.""",
    "standardize": """\
standardize : bool, default=True
    Standardise genes, coordinates and targets with training statistics;
    False feeds them raw (the research models).""",
    "validation_cv": """\
validation_cv : float, int, cross-validator or None, default=0.2
    Inner split of the training regions for early stopping, passed as
    ``cv`` to :func:`connpredict.model_selection.validation_split` (a
    float holds out a spatially compact block of that fraction of regions
    when coordinates are present; None is the same as 0.2). Validation
    pairs are the pairs among the held-out regions; training pairs those
    among the others. Unused when ``n_iter_no_change=None``.""",
    "n_iter_no_change": """\
n_iter_no_change : int or None, default=5
    Epochs without improvement of the validation loss before stopping
    (the best epoch is restored). 5 was chosen on hcp-schaefer200: the
    same 4-fold test r as 10 for both neural models, with a third fewer
    epochs (the user guide's research page, "Training cost"). None
    disables early stopping: no regions are held out and training runs
    for ``max_iter`` epochs on
    all training pairs (a fixed epoch budget on all training regions,
    as the research trained, without its early stopping on the test
    fold).""",
    "restore_best": """\
restore_best : bool, default=True
    At the end of early stopping, restore the weights of the epoch with
    the lowest validation loss (True), or keep those of the last epoch
    (False, what the research code's "restore" effectively did: it kept
    a reference to the live weights, not a copy).""",
    "n_ensemble": """\
n_ensemble : int, default=5
    Number of networks trained with different seeds (initialisation,
    batch order, dropout) on the same data and inner split; predictions
    are averaged. With few training regions this reduces variance
    markedly (about +0.04 r in spatial cross-validation on
    ``hcp-schaefer100``); 1 trains a single network.""",
    "strong_edge_swap": """\
strong_edge_swap : float, default=0.0
    Probability, at the first epoch, of replacing a whole training batch
    by training pairs whose target satisfies ``|y| >
    strong_edge_threshold`` (drawn without replacement); it decays
    linearly to 0 over ``max_iter`` epochs (``p = strong_edge_swap * (1 -
    epoch / max_iter)``, one draw per batch). This is the research's
    ``curriculum_swap_linear_decay`` augmentation without its
    subject-level targets. Only training pairs are drawn. 0 turns it off.""",
    "strong_edge_threshold": """\
strong_edge_threshold : float, default=0.3
    ``|y|`` above which a training pair is strong (units of ``Y``).""",
    "dropout_masks": """\
dropout_masks : {"region", "pair"}, default="region"
    ``"region"``: each region of a batch is encoded once, so its dropout
    masks in the encoder are shared by all its pairs in the batch (fast).
    ``"pair"``: each pair encodes its two regions on their own, so every
    pair has its own masks, as when the research encoded every pair row
    separately (slower: two encodings per pair).""",
    "callbacks": """\
callbacks : list of skorch callbacks or (name, callback) tuples, default=None
    Extra skorch callbacks (copied at each fit).""",
    "verbose": """\
verbose : int, default=0
    Print skorch's epoch log and a progress bar when > 0.""",
    "coord_columns": """\
coord_columns : tuple of str, default=("x", "y", "z")
    Names of the coordinate columns; other columns are genes.""",
    "region_position": """\
region_position : {"xyz", "gradients", "both"}, default="xyz"
    What positions a region wherever the network uses position (its
    coordinate input: ``use_coords`` of the pair MLP, the [CLS] token of
    ``cls="coords"`` of the SMT; and the pair distance of the decoder): its
    MNI coordinates (``"xyz"``, the original model), its values on the top
    ``n_gradients`` gradients of ``gradients`` (``"gradients"``), or both
    side by side, with one pair distance in space and one in gradient space
    (``"both"``). Gradients are never computed from the target connectome
    (see :func:`connpredict.models.region_gradients`).""",
    "gradients": """\
gradients : str or DataFrame, default="lemon-fc"
    Source of the gradients (unused with ``region_position="xyz"``):
    ``"lemon-fc"``, ``"lemon-fc-183"``, ``"hcp-sc"``, ``"expression"`` or
    a DataFrame.
    ``"lemon-fc"``/``"lemon-fc-183"``: diffusion-map gradients of the
    MPI-LEMON functional connectome, ``"hcp-sc"``: of the HCP structural
    connectome, carried onto the regions by their MNI coordinates
    (nearest reference region; needs the coordinate columns and the
    reference files in the data home).
    ``"expression"``: transcriptomic gradients, the diffusion map of the
    Pearson similarity of the training regions' standardised expression,
    fitted in ``fit`` on the training regions only; other regions are
    placed by its Nystrom extension, without refitting. A DataFrame:
    your own gradient values, one row per region label (its first
    ``n_gradients`` columns).""",
    "n_gradients": """\
n_gradients : int, default=3
    Number of gradients used.""",
    "freeze": """\
freeze : bool, default=False
    With an ``encoder``: keep the pretrained encoder's weights fixed
    during training (True), or fine-tune them with the rest of the
    network (False). The SMT's token encoder is initialised from the
    encoder either way; with True its weights get no gradient. The pair
    MLP with True takes the encoder's embeddings as fixed features
    (computed once per region); with False it runs a copy of the encoder
    inside the network, initialised from its weights, and trains it
    (each ensemble member its own copy; the ``encoder`` itself is never
    changed). Ignored without an encoder.""",
}


def fill_param_docs(cls):
    """Class decorator: put the shared entries into ``cls.__doc__``.

    A docstring line holding only ``{name}`` becomes the entry
    ``PARAM_DOCS[name]``, indented like that line.
    """

    def entry(match):
        indent, name = match.group(1), match.group(2)
        return "\n".join(indent + line for line in PARAM_DOCS[name].splitlines())

    cls.__doc__ = re.sub(r"^( *)\{(\w+)\}$", entry, cls.__doc__, flags=re.M)
    return cls
