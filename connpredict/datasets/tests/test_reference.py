"""Reference connectomes for gradient positioning."""

import numpy as np
import pytest

from connpredict.datasets import load_reference_connectome, reference_names


def test_reference_names_and_bad_input(tmp_path):
    assert reference_names() == ["lemon-fc", "lemon-fc-183", "hcp-sc"]
    with pytest.raises(ValueError, match="Unknown reference connectome 'ukbb'"):
        load_reference_connectome("ukbb")
    with pytest.raises(OSError, match=r"BHA2/iPA_391/fc/fc_mean.csv is not in the"):
        load_reference_connectome(data_home=tmp_path, download_if_missing=False)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "n"), [("lemon-fc", 391), ("lemon-fc-183", 183), ("hcp-sc", 456)]
)
def test_reference_connectomes_load(name, n):
    ref = load_reference_connectome(name, download_if_missing=False)
    A = ref.connectome.to_numpy()
    assert A.shape == (n, n) and np.allclose(A, A.T) and np.all(np.diag(A) == 0)
    assert ref.regions.shape == (n, 3)
    assert list(ref.regions.index) == list(ref.connectome.index)
    assert np.all(np.abs(ref.regions.to_numpy()) < 110)  # MNI mm
