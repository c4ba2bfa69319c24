"""chainrule.save / chainrule.load: round trips, safetensors compatibility, atomicity, damage."""

import collections
import io
import itertools
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule import serialization
from chainrule.serialization import load, save


def t(values, dtype=None):
    return chainrule.from_numpy(np.asarray(values, dtype=dtype))


def roundtrip(obj):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf)


def state_dict():
    rng = np.random.default_rng(0)
    return collections.OrderedDict([
        ("fc2.weight", t(rng.standard_normal((4, 3)), np.float32)),
        ("fc1.bias", t(rng.standard_normal(3), np.float64)),
        ("bn.num_batches_tracked", t(np.int64(7))),
        ("mask", t([True, False])),
        ("emb", t(np.arange(6, dtype=np.int8).reshape(2, 3))),
        ("half", t([1.5, -2.0], np.float16)),
    ])


def assert_same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a._data, b._data)


def test_state_dict_roundtrip_keeps_order_type_dtypes(tmp_path):
    sd = state_dict()
    save(sd, tmp_path / "m.pt")
    out = load(tmp_path / "m.pt")
    assert type(out) is collections.OrderedDict and list(out) == list(sd)
    for k in sd:
        assert_same(out[k], sd[k])
    assert out["bn.num_batches_tracked"].shape == ()
    assert out["fc2.weight"]._data.flags.writeable


def test_tensor_edge_cases():
    x = t(np.arange(12, dtype=np.float32).reshape(3, 4))
    for obj in (x, t(np.zeros((0, 3), np.float32)), t(np.float64(2.5)),
                chainrule.Tensor._make(x._data.T), chainrule.Tensor._make(x._data[:, ::2])):
        assert_same(roundtrip(obj), obj)
    big_endian = np.arange(5, dtype=">i4")
    np.testing.assert_array_equal(roundtrip(big_endian), big_endian)
    g = t([1.0, 2.0], np.float32).requires_grad_()
    out = roundtrip({"p": g})["p"]
    assert out.requires_grad and out.is_leaf


def test_nested_python_structures():
    obj = {
        "epoch": 12, "loss": 0.25, "best": float("inf"), "nan": float("nan"), "name": "run-1",
        "none": None, "flags": [True, False], "shape": (2, (3, 4)), "raw": b"\x00\xff",
        "ids": {3, 1}, "big": 2 ** 70, "c": 1 + 2j, "dtype": chainrule.float16,
        "arr": np.arange(3), "scalar": np.float32(1.5),
        "optimizer": {"state": {0: {"step": t(np.float32(3)), "momentum_buffer": t([0.5])}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1],
                                        "nesterov": False, "weight_decay": 0}]},
        "scheduler": {"last_epoch": 4, "_last_lr": [0.01], "base_lrs": [0.1], "gamma": 0.1},
        (1, "k"): "tuple key",
    }
    out = roundtrip(obj)
    assert list(out) == list(obj)
    for key in ("epoch", "loss", "best", "name", "none", "flags", "shape", "raw", "ids", "big",
                "c", "scheduler", (1, "k")):
        assert out[key] == obj[key] and type(out[key]) is type(obj[key])
    assert np.isnan(out["nan"]) and out["dtype"] is chainrule.float16
    assert isinstance(out["arr"], np.ndarray) and out["arr"].tolist() == [0, 1, 2]
    assert out["scalar"] == np.float32(1.5) and out["scalar"].dtype == np.float32
    opt = out["optimizer"]
    assert list(opt["state"]) == [0] and opt["param_groups"][0]["betas"] == (0.9, 0.999)
    assert_same(opt["state"][0]["momentum_buffer"], obj["optimizer"]["state"][0]
                ["momentum_buffer"])
    assert type(opt["param_groups"][0]["weight_decay"]) is int


def test_shared_tensor_is_stored_once():
    w = t(np.ones((2, 2), np.float32))
    buf = io.BytesIO()
    save({"a": w, "b": w, "c": [w]}, buf)
    buf.seek(0)
    out = load(buf)
    assert out["a"] is out["b"] is out["c"][0]
    header = json.loads(buf.getvalue()[8:8 + struct.unpack("<Q", buf.getvalue()[:8])[0]])
    assert sorted(k for k in header if k != "__metadata__") == ["a"]


def test_file_layout_is_safetensors(tmp_path):
    save(state_dict(), tmp_path / "m.pt")
    raw = (tmp_path / "m.pt").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0 and raw[8:9] == b"{"
    header = json.loads(raw[8:8 + n])
    assert header["fc2.weight"]["dtype"] == "F32" and header["fc2.weight"]["shape"] == [4, 3]
    assert all(isinstance(v, str) for v in header["__metadata__"].values())
    spans = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert spans[-1][1] == len(raw) - 8 - n


def test_safetensors_reads_our_files(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    sd = state_dict()
    save(sd, tmp_path / "m.safetensors")
    loaded = st_numpy.load_file(str(tmp_path / "m.safetensors"))
    assert set(loaded) == set(sd)
    for k in sd:
        np.testing.assert_array_equal(loaded[k], sd[k]._data)
    try:
        import torch
        from safetensors.torch import load_file
    except ImportError:
        return
    tl = load_file(str(tmp_path / "m.safetensors"))
    assert tl["fc2.weight"].dtype == torch.float32 and tl["mask"].dtype == torch.bool
    np.testing.assert_array_equal(tl["fc1.bias"].numpy(), sd["fc1.bias"]._data)


def test_we_read_safetensors_files(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    arrays = {"b": np.arange(6, dtype=np.int32).reshape(2, 3), "a": np.ones(2, np.float16),
              "s": np.array(3.5)}
    st_numpy.save_file(arrays, str(tmp_path / "x.safetensors"), metadata={"k": "v"})
    out = load(tmp_path / "x.safetensors")
    assert set(out) == set(arrays)
    for k, v in arrays.items():
        assert isinstance(out[k], chainrule.Tensor)
        np.testing.assert_array_equal(out[k]._data, v)
        assert out[k]._data.dtype == v.dtype
    try:
        import torch
        from safetensors.torch import save_file
    except ImportError:
        return
    save_file({"w": torch.tensor([1.0, -2.5], dtype=torch.bfloat16)}, str(tmp_path / "b.st"))
    assert load(tmp_path / "b.st")["w"].tolist() == [1.0, -2.5]  # bfloat16 widened to float32


def test_crash_mid_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save({"epoch": 1, "w": t([1.0, 2.0], np.float32)}, path)
    before = path.read_bytes()
    real = serialization._write_array
    calls = []

    def crash_after_first(fh, arr):
        calls.append(1)
        if len(calls) > 1:
            raise OSError("disk full (simulated)")
        real(fh, arr)

    monkeypatch.setattr(serialization, "_write_array", crash_after_first)
    with pytest.raises(OSError, match="simulated"):
        save({"epoch": 2, "w": t([3.0], np.float32), "v": t([4.0], np.float64)}, path)
    assert len(calls) == 2
    assert path.read_bytes() == before and load(path)["epoch"] == 1
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]  # no temporary file left behind
    monkeypatch.setattr(serialization, "_write_array", real)
    with pytest.raises(TypeError, match="cannot save an object of type"):
        save({"model": object()}, tmp_path / "other.pt")
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_damaged_files_raise_clear_errors(tmp_path):
    path = tmp_path / "m.pt"
    save(state_dict(), path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    for cut, msg in [(0, "truncated"), (5, "truncated"), (8 + n // 2, "truncated"),
                     (len(raw) - 3, "truncated")]:
        (tmp_path / "cut.pt").write_bytes(raw[:cut])
        with pytest.raises(RuntimeError, match=msg):
            load(tmp_path / "cut.pt")
    flipped = bytearray(raw)
    flipped[-5] ^= 0xFF
    (tmp_path / "flip.pt").write_bytes(bytes(flipped))
    with pytest.raises(RuntimeError, match="checksum"):
        load(tmp_path / "flip.pt")
    (tmp_path / "extra.pt").write_bytes(raw + b"junk")
    with pytest.raises(RuntimeError, match="unexpected bytes"):
        load(tmp_path / "extra.pt")
    (tmp_path / "garbage.pt").write_bytes(struct.pack("<Q", 4) + b"{no}")
    with pytest.raises(RuntimeError, match="not valid JSON"):
        load(tmp_path / "garbage.pt")
    (tmp_path / "huge.pt").write_bytes(b"\xff" * 16)
    with pytest.raises(RuntimeError, match="not plausible"):
        load(tmp_path / "huge.pt")
    (tmp_path / "zip.pt").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(RuntimeError, match="PyTorch pickle checkpoint"):
        load(tmp_path / "zip.pt")


def test_arguments(tmp_path):
    save([1, 2], str(tmp_path / "a.pt"))
    assert load(Path(tmp_path / "a.pt"), map_location="cpu", weights_only=False) == [1, 2]
    assert load(str(tmp_path / "a.pt"), map_location=chainrule.device("cpu")) == [1, 2]
    with pytest.raises(RuntimeError, match="CPU only"):
        load(tmp_path / "a.pt", map_location="cuda:0")
    seen = []
    save({"w": t([1.0])}, tmp_path / "b.pt")
    load(tmp_path / "b.pt", map_location=lambda tensor, loc: seen.append(loc))
    assert seen == ["cpu"]
    with pytest.raises(FileNotFoundError):
        save([1], tmp_path / "missing" / "x.pt")
    cyc = []
    cyc.append(cyc)
    with pytest.raises(ValueError, match="contains itself"):
        save(cyc, io.BytesIO())
    with pytest.raises(TypeError, match="path or a binary file"):
        save([1], 3)


def test_resume_training_with_optimizer_and_scheduler(tmp_path):
    try:
        from chainrule import nn, optim
        from chainrule.optim import lr_scheduler
    except ImportError:
        pytest.skip("chainrule.nn / chainrule.optim not available")

    def make():
        chainrule.manual_seed(0)
        model = nn.Linear(3, 2)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return model, opt, lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    x = t(np.random.default_rng(0).standard_normal((8, 3)), np.float32)

    def train_step(model, opt, sched):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        sched.step()

    model, opt, sched = make()
    train_step(model, opt, sched)
    save({"epoch": 0, "model": model.state_dict(), "optimizer": opt.state_dict(),
          "scheduler": sched.state_dict()}, tmp_path / "ck.pt")
    train_step(model, opt, sched)
    model2, opt2, sched2 = make()
    ck = load(tmp_path / "ck.pt")
    model2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optimizer"])
    sched2.load_state_dict(ck["scheduler"])
    train_step(model2, opt2, sched2)
    for (k, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        np.testing.assert_allclose(a._data, b._data, rtol=1e-6, err_msg=k)
    assert sched2.get_last_lr() == sched.get_last_lr()
    params = roundtrip(list(model.parameters()))
    assert [type(p).__name__ for p in params] == ["Parameter", "Parameter"]
    assert all(p.requires_grad for p in params)
