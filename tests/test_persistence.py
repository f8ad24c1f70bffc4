"""Saving and loading: exact round trips, and a clear error for every kind of bad file."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rnndyn as rd
from rnndyn import _io


def _network() -> rd.ESN:
    net = rd.ESN(30, 2, 2, bias=True, tau=np.linspace(5, 15, 30), seed=4)
    rd.train_force(net, *rd.tasks.FlipFlop(2, seed=0).sample(300))
    return net


def _history() -> rd.TrainingHistory:
    net = rd.ESN(20, 1, 1, seed=0)
    return rd.train_force(
        net, rd.tasks.FlipFlop(1, seed=0).sample(200), snapshot_every=50, record_states=True
    )


def _fixed_points() -> rd.FixedPoints:
    net = rd.ESN(20, 1, 1, g=1.5, seed=2)
    starts = rd.sample_states(net.run(np.zeros((300, 1))).states, 6, seed=0)
    return rd.find_fixed_points(net, starts)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_network_round_trip_is_exact(tmp_path, dtype: str):
    net = _network().copy(dtype=dtype)
    loaded = rd.ESN.load(net.save(tmp_path / "net"))
    assert loaded == net and loaded.dtype == net.dtype
    assert np.array_equal(loaded.run(np.ones((5, 2))).states, net.run(np.ones((5, 2))).states)


# Archives written by rnndyn before the weights had one description (format 1): each must
# still load, to the network its seeded constructor gives today.
ARCHIVES = Path(__file__).parent / "archives"


def _archived_float64() -> rd.ESN:
    net = rd.ESN(6, 2, 2, bias=True, tau=np.linspace(5, 15, 6), seed=4)
    # written before W_r's draws were rounded to float32: the seed's first draw as it was
    net.recurrent = np.random.default_rng(4).normal(0.0, 1.5 / np.sqrt(6), size=(6, 6))
    net.readout = np.random.default_rng(5).normal(size=(2, 6))
    return net


def _archived_float32() -> rd.ESN:
    return rd.ESN(5, 0, 1, seed=1, activation="logistic", dt=0.5, tau=3.0, dtype=np.float32)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("esn_format1_float64.npz", _archived_float64),
        ("esn_format1_float32.npz", _archived_float32),
    ],
)
def test_archives_written_by_older_versions_still_load(name: str, expected) -> None:
    loaded = rd.ESN.load(ARCHIVES / name)
    assert loaded == expected()
    assert loaded.dtype == expected().dtype and np.ndim(loaded.tau) == np.ndim(expected().tau)


def test_results_round_trip_exactly(tmp_path):
    for result in (_history(), _fixed_points()):
        loaded = type(result).load(result.save(tmp_path / type(result).__name__))
        for name, value in vars(result).items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(getattr(loaded, name), value)
                assert getattr(loaded, name).dtype == value.dtype
            else:
                assert getattr(loaded, name) == value


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        rd.ESN.load(tmp_path / "nowhere.npz")


def test_truncated_file(tmp_path):
    path = _network().save(tmp_path / "net")
    data = path.read_bytes()
    for keep in (0, 10, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:keep])
        with pytest.raises(ValueError, match="not a readable rnndyn archive"):
            rd.ESN.load(path)


def test_corrupt_file(tmp_path):
    path = _network().save(tmp_path / "net")
    data = bytearray(path.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 64] = b"\xff" * 64  # inside the compressed arrays
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a readable rnndyn archive"):
        rd.ESN.load(path)
    path.write_text("not a zip file at all")
    with pytest.raises(ValueError, match="not a readable rnndyn archive"):
        rd.ESN.load(path)


def test_wrong_kind_and_foreign_archives(tmp_path):
    history = _history().save(tmp_path / "history")
    with pytest.raises(ValueError, match="holds a 'TrainingHistory', not a 'ESN'"):
        rd.ESN.load(history)
    with pytest.raises(ValueError, match="holds a 'TrainingHistory', not a 'FixedPoints'"):
        rd.FixedPoints.load(history)
    plain = tmp_path / "plain.npz"
    np.savez(plain, weights=np.eye(3))
    with pytest.raises(ValueError, match="no metadata"):
        rd.ESN.load(plain)


def _rewrite_meta(path, change) -> None:
    """Rewrite the archive at `path` with its metadata passed through `change`."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    arrays["__meta__"] = np.array(change(meta))
    np.savez(path, **arrays)


def test_newer_format_and_bad_metadata(tmp_path):
    path = _network().save(tmp_path / "net")
    _rewrite_meta(path, lambda meta: json.dumps({**meta, "format": _io.FORMAT_VERSION + 1}))
    with pytest.raises(ValueError, match="upgrade rnndyn"):
        rd.ESN.load(path)
    _rewrite_meta(path, lambda meta: "{not json")
    with pytest.raises(ValueError, match="corrupt metadata"):
        rd.ESN.load(path)


def test_archive_lacking_an_array(tmp_path):
    path = _network().save(tmp_path / "net")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files if name != "readout"}
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="lacks 'readout'"):
        rd.ESN.load(path)


def test_pickled_arrays_are_refused(tmp_path):
    path = _network().save(tmp_path / "net")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["readout"] = np.array([object()], dtype=object)
    np.savez(path, **arrays)  # stores the object array by pickle
    with pytest.raises(ValueError, match="not a readable rnndyn archive"):
        rd.ESN.load(path)


def test_interrupted_save_leaves_the_old_file_and_no_debris(tmp_path, monkeypatch):
    net = _network()
    path = net.save(tmp_path / "net")
    before = path.read_bytes()

    def fail_midway(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", fail_midway)
    with pytest.raises(KeyboardInterrupt):
        rd.ESN(30, 2, 2, seed=5).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.npz"]
    assert rd.ESN.load(path) == net


def test_saved_files_are_zip_archives_without_pickle(tmp_path):
    path = _fixed_points().save(tmp_path / "fps")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "__meta__.npy" in names
    with np.load(path, allow_pickle=False) as archive:  # would raise on any pickled array
        assert all(archive[name].dtype != object for name in archive.files)
