"""fetch_file stays inside the data home; clear errors for a blocked home."""

import hashlib

import pytest

from connpredict.datasets import fetch_file, get_data_home

PAYLOAD = b"label,G1\nr1,0.5\n"
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.mark.parametrize(
    "key",
    [
        "../X.csv",
        "src/../../X.csv",
        "src/./X.csv",
        "src//X.csv",
        "/tmp/X.csv",
        "C:/X.csv",
        "src\\..\\X.csv",
        "",
    ],
)
def test_keys_leaving_the_data_home_are_refused(tmp_path, key):
    home = tmp_path / "home"
    url = "http://127.0.0.1:9/never"  # never contacted: the key is refused first
    with pytest.raises(ValueError, match=r"plain relative path|non-empty string"):
        fetch_file(key, data_home=home, url=url, sha256=SHA, n_retries=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
    assert list(home.iterdir()) == []


def test_data_home_that_is_a_file(tmp_path, monkeypatch):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(
        ValueError,
        match=r"The data home .*afile is a file, not a "
        r"folder: set CONNPREDICT_DATA",
    ):
        get_data_home(afile)
    with pytest.raises(ValueError, match=r"afile is a file, not a folder"):
        get_data_home(afile / "sub")
    monkeypatch.setenv("CONNPREDICT_DATA", str(afile))
    with pytest.raises(ValueError, match="is a file, not a folder"):
        fetch_file("src/X.csv", sha256=SHA, download_if_missing=False)


def test_expected_file_that_is_a_folder(tmp_path):
    (tmp_path / "src" / "X.csv").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"X.csv is a folder, not a file: delete"):
        fetch_file(
            "src/X.csv", data_home=tmp_path, sha256=SHA, url="http://127.0.0.1:9/never"
        )


def test_folder_on_the_way_that_is_a_file(tmp_path):
    (tmp_path / "src").write_text("not a folder")
    with pytest.raises(ValueError, match=r"src in the data home is a file"):
        fetch_file(
            "src/dir/X.csv",
            data_home=tmp_path,
            sha256=SHA,
            url="http://127.0.0.1:9/never",
        )


def test_cached_file_in_nested_key_still_found(tmp_path):
    dest = tmp_path / "src" / "a" / "X.csv"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(PAYLOAD)
    got = fetch_file(
        "src/a/X.csv",
        data_home=tmp_path,
        sha256=SHA,
        download_if_missing=False,
        url="http://127.0.0.1:9/never",
    )
    assert got == dest and got.read_bytes() == PAYLOAD
