"""Checksums (SHA256) of the upstream files the real datasets use.

Keys are upstream paths ``<source>/<path inside the source repository>``;
the same layout is used in the data home. Generated from the SHA-256 sums of
the upstream files (see ``data/README.md``).
"""

SOURCES = {
    "enigma-extra": "https://raw.githubusercontent.com/saratheriver/enigma-extra/master/",
    "ENIGMA": "https://raw.githubusercontent.com/MICA-MNI/ENIGMA/master/",
    "GeneEx2Conn": "https://raw.githubusercontent.com/neuroinfolab/GeneEx2Conn/main/",
}

CHECKSUMS = {
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/funcLabels_with_sctx_schaefer_100.csv": (
        "76ea6a84370b5ba1dca288e4ecd2c94716d704a69e4327386a98c563aba0ee41"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/funcLabels_with_sctx_schaefer_200.csv": (
        "c06fe19de89d85c22e9eadd9714ff260c6906bf1021f8c17e5734eb5226fa945"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/funcLabels_with_sctx_schaefer_300.csv": (
        "c7147d0c388bd31027caec73406404850bddce6e4f39b23d962094d489d8c7bb"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/funcLabels_with_sctx_schaefer_400.csv": (
        "69a4bbfa817f2714db9dc074ff14175fe9e20d57100abc008b514c39435cde6e"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/funcMatrix_with_ctx_schaefer_100.csv": (
        "afb3c0661e39530f67b3c24ca9dd4957bb0473780a8f7491857e3268d87cad0d"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/funcMatrix_with_ctx_schaefer_200.csv": (
        "7299a21f596ce568a399dfa6bd35cf2eed26a9cdead65e181c9d8f3b95c21790"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/funcMatrix_with_ctx_schaefer_300.csv": (
        "6b5a8d651806c7ad142be917606b8a3a17132b63383b0db62b8145e2438557f4"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/funcMatrix_with_ctx_schaefer_400.csv": (
        "e566ee0c83cb96e075051b4aac41be9bc1a694dad83c2318e6802bb3c7fa127a"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/strucLabels_with_sctx_schaefer_100.csv": (
        "76ea6a84370b5ba1dca288e4ecd2c94716d704a69e4327386a98c563aba0ee41"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/strucLabels_with_sctx_schaefer_200.csv": (
        "c06fe19de89d85c22e9eadd9714ff260c6906bf1021f8c17e5734eb5226fa945"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/strucLabels_with_sctx_schaefer_300.csv": (
        "c7147d0c388bd31027caec73406404850bddce6e4f39b23d962094d489d8c7bb"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/strucLabels_with_sctx_schaefer_400.csv": (
        "69a4bbfa817f2714db9dc074ff14175fe9e20d57100abc008b514c39435cde6e"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/strucMatrix_with_sctx_schaefer_100.csv": (
        "01023b1d8252a55adc1b2595483173f0d0b3cf7546dc4cde14914d113d4dbfa2"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/strucMatrix_with_sctx_schaefer_200.csv": (
        "b9c46f463076536a79a5290d466c1c4466944395455df1901b1f80a051f71c39"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/strucMatrix_with_sctx_schaefer_300.csv": (
        "0062dc9fdaba38e2414917adcd57c33d6c1be0090d0f873f24de23544a03d415"
    ),
    "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/strucMatrix_with_sctx_schaefer_400.csv": (
        "43233cc011d28b596f8d9c1f0884592566a25dddd3372c364b0874d8f1f95d44"
    ),
    "enigma-extra/ahba/allgenes_stable_r0.6_schaefer_100.csv": (
        "1ae348737fccf620d143c214f51aa6e8a88939333385931dcff6b4d527e2be9a"
    ),
    "enigma-extra/ahba/allgenes_stable_r0.6_schaefer_200.csv": (
        "af0df30b087050d06b8c49d49ba9958498af8ecc095e27d81d82bdbaaf06e0db"
    ),
    "enigma-extra/ahba/allgenes_stable_r0.6_schaefer_300.csv": (
        "c30e02910b82c9765f710e59753295ca5da2cba1b313e33210043f48a44c7e70"
    ),
    "enigma-extra/ahba/allgenes_stable_r0.6_schaefer_400.csv": (
        "44b0aefc00ea50ad3db1c46073e5fdf248527152abb1fd26d0f7a9d490def7a0"
    ),
    "enigma-extra/ahba/allgenes_stable_r0.8_schaefer_100.csv": (
        "893c75d5e6953aadc1a053d2dbc3effd0e322050f4f71ae5875eb39f8a22477c"
    ),
    "enigma-extra/ahba/allgenes_stable_r0.8_schaefer_400.csv": (
        "afabe1d8587768d376aedd28a01bd9de51092d069f60008b18694da81a0ed074"
    ),
    "GeneEx2Conn/data/enigma/gene_lists/richiardi2015.txt": (
        "441a58499684c999775cce63f935119379000e2b1dc93a10074bacbd9fe3dbad"
    ),
    "GeneEx2Conn/data/enigma/gene_lists/syngo.txt": (
        "ab6349a674956e97a7fbfd380e48a2f54227151c306b880d1a102614c504de54"
    ),
    "GeneEx2Conn/data/enigma/schaef400_Jorstad_cell_types.csv": (
        "e356a516b95a8a0887dd83111ab0485a6cf26f1d85fb6b50426a854193b154ab"
    ),
    "GeneEx2Conn/data/enigma/schaef400_LakeDFC_cell_types.csv": (
        "3c4c4dabd98cd58c3dcbe1e1a083bda47a7ff9d0fdf1a8ef35165c683abb73ee"
    ),
}
