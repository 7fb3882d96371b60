import hashlib
import http.server
import threading
import time
from functools import partial

import pytest

from connpredict.datasets import fetch_file, get_data_home

PAYLOAD = b"label,G1\nr1,0.5\n"
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    (root / "good.csv").write_bytes(PAYLOAD)
    (root / "bad.csv").write_bytes(PAYLOAD + b"tampered")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))

    class Quiet(handler.func):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_get_data_home_priority(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNPREDICT_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env"
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("CONNPREDICT_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == tmp_path / "home" / "connpredict_data"
    assert (tmp_path / "home" / "connpredict_data").is_dir()


def test_relative_data_home_becomes_absolute(tmp_path, monkeypatch):
    # README gives CONNPREDICT_DATA=../shared/data: relative to the working
    # directory at the time of the call, returned absolute (a symlink or a
    # later chdir must not change which folder it names)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("CONNPREDICT_DATA", "../shared/data")
    home = get_data_home()
    assert home.is_absolute()
    assert home == tmp_path / "shared" / "data"
    assert get_data_home("../shared/data") == home


def test_download_verifies_and_caches(server, tmp_path):
    path = fetch_file(
        "src/dir/good.csv", data_home=tmp_path, url=server + "good.csv", sha256=SHA
    )
    assert path == tmp_path / "src" / "dir" / "good.csv"
    assert path.read_bytes() == PAYLOAD
    assert not list(path.parent.glob("*.part"))
    # cached: a second call needs no server
    again = fetch_file(
        "src/dir/good.csv",
        data_home=tmp_path,
        url="http://127.0.0.1:9/none",
        sha256=SHA,
        download_if_missing=False,
    )
    assert again == path


def test_checksum_failure_raises_and_leaves_nothing(server, tmp_path):
    with pytest.raises(OSError, match="checksum mismatch"):
        fetch_file(
            "src/bad.csv",
            data_home=tmp_path,
            url=server + "bad.csv",
            sha256=SHA,
            n_retries=2,
            delay=0.0,
        )
    assert not (tmp_path / "src" / "bad.csv").exists()
    assert not list((tmp_path / "src").glob("*.part"))


def test_corrupted_cache_is_redownloaded(server, tmp_path):
    dest = tmp_path / "src" / "good.csv"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"corrupted")
    with pytest.raises(OSError, match="corrupted"):
        fetch_file(
            "src/good.csv",
            data_home=tmp_path,
            url=server + "good.csv",
            sha256=SHA,
            download_if_missing=False,
        )
    path = fetch_file(
        "src/good.csv", data_home=tmp_path, url=server + "good.csv", sha256=SHA
    )
    assert path.read_bytes() == PAYLOAD


def test_offline_error_names_file_url_and_destination(tmp_path):
    with pytest.raises(OSError) as info:
        fetch_file(
            "enigma-extra/ahba/allgenes_stable_r0.6_schaefer_100.csv",
            data_home=tmp_path,
            download_if_missing=False,
        )
    msg = str(info.value)
    assert "allgenes_stable_r0.6_schaefer_100.csv" in msg
    assert "https://raw.githubusercontent.com/saratheriver/enigma-extra" in msg
    assert str(tmp_path / "enigma-extra" / "ahba") in msg


def test_unreachable_server_fails_fast(tmp_path):
    start = time.perf_counter()
    with pytest.raises(OSError, match="Could not download"):
        fetch_file(
            "src/x.csv",
            data_home=tmp_path,
            url="http://127.0.0.1:9/x.csv",  # discard port: connection refused
            sha256=SHA,
            delay=0.5,
        )
    assert time.perf_counter() - start < 5


def test_http_404_is_reported(server, tmp_path):
    with pytest.raises(OSError, match="404"):
        fetch_file(
            "src/none.csv", data_home=tmp_path, url=server + "none.csv", sha256=SHA
        )
