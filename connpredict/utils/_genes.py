"""Matching gene symbols between a user's table and a model or a gene list.

Human gene symbols (HGNC) are upper case; tables from other tools or species
conventions (``Pvalb``, ``pvalb``) differ only in case. Symbols match exactly
first; a symbol left over matches a column that equals it ignoring case when
exactly one column does, and the caller warns about those matches. When
nothing matches, :func:`no_gene_hint` says what the columns look like.
"""

import re

_ENSEMBL = re.compile(r"^ENS[A-Z]*G\d+", re.IGNORECASE)


def match_gene_symbols(wanted, available):
    """Match gene symbols to column names: exactly, else ignoring case.

    Parameters
    ----------
    wanted : list of str
        The symbols looked for (a model's genes, a gene list).
    available : list of str
        The column names of the user's table.

    Returns
    -------
    matched : dict
        Symbol of ``wanted`` -> the column of ``available`` it matched.
    by_case : list of tuple
        ``(column, symbol)`` pairs that matched only ignoring case.
    not_found : list of str
        Symbols of ``wanted`` without a column.

    Examples
    --------
    >>> from connpredict.utils._genes import match_gene_symbols
    >>> match_gene_symbols(["PVALB", "SST", "VIP"], ["Pvalb", "SST", "sst"])
    ({'PVALB': 'Pvalb', 'SST': 'SST'}, [('Pvalb', 'PVALB')], ['VIP'])
    """
    available = [str(c) for c in available]
    exact = set(available)
    folded = {}
    for col in available:
        folded.setdefault(col.upper(), []).append(col)
    used = {str(w) for w in wanted if str(w) in exact}
    matched, by_case, not_found = {}, [], []
    for symbol in wanted:
        symbol = str(symbol)
        if symbol in exact:
            matched[symbol] = symbol
            continue
        candidates = [c for c in folded.get(symbol.upper(), []) if c not in used]
        if len(candidates) == 1:
            matched[symbol] = candidates[0]
            used.add(candidates[0])
            by_case.append((candidates[0], symbol))
        else:
            not_found.append(symbol)
    return matched, by_case, not_found


def case_warning(by_case, what, items="gene column(s)"):
    """The warning text for symbols matched ignoring case."""
    pairs = ", ".join(f"{c!r} -> {s!r}" for c, s in by_case[:5])
    more = f" and {len(by_case) - 5} more" if len(by_case) > 5 else ""
    return (
        f"{len(by_case)} {items} match {what} only when case is ignored "
        f"({pairs}{more}); they were matched. Human gene symbols (HGNC) are upper "
        "case: rename the columns to silence this warning."
    )


def no_gene_hint(wanted, available, index=(), *, names="the columns"):
    """Why no name of ``available`` is one of ``wanted``: what they look like.

    ``index`` (the row labels of the table) reveals a transposed table;
    ``names`` says what ``available`` are, in the message.

    Examples
    --------
    >>> from connpredict.utils._genes import no_gene_hint
    >>> no_gene_hint(["PVALB"], ["ENSG00000100362", "ENSG00000157005"]).split(";")[0]
    'the columns look like Ensembl gene IDs (e.g. ENSG00000100362)'
    """
    available = [str(c) for c in available]
    wanted = [str(w) for w in wanted]
    upper = {w.upper(): w for w in wanted}
    in_index = {upper[str(i).upper()] for i in index if str(i).upper() in upper}
    if in_index:
        return (
            f"{len(in_index)} of the genes label rows, not columns (e.g. "
            f"{sorted(in_index)[:3]}): the table looks transposed; give one row "
            "per region and one column per gene (transpose it)."
        )
    if (
        available
        and sum(bool(_ENSEMBL.match(c)) for c in available) > len(available) / 2
    ):
        return (
            f"{names} look like Ensembl gene IDs (e.g. {available[0]}); "
            "the genes are named by HGNC symbol (e.g. PVALB): map the IDs to "
            "symbols first."
        )
    if available and sum(c.isdigit() for c in available) > len(available) / 2:
        return (
            f"{names} look like Entrez gene IDs (e.g. {available[0]}); the "
            "genes are named by HGNC symbol (e.g. PVALB): map the IDs to symbols "
            "first."
        )
    return (
        f"none of {names} is one of the genes ({names} start {available[:3]}, "
        f"the genes include {wanted[:3]}): name genes by HGNC symbol."
    )
