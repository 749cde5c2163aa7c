"""flash_rt.core.quant and friends (SPEC 7.2): weight quantization, sample reduction, the disk
cache round trip, rejection of broken or mismatched cache files, precision metadata. CPU
tests; the GPU test at the end measures activation scales with the real kernels."""

from __future__ import annotations

import json
import math

import pytest

from flash_rt.core import calibration
from flash_rt.core.precision_spec import ModelPrecisionSpec, PrecisionSpec
from flash_rt.core.quant import (
    CalibrationCacheError,
    checkpoint_hash,
    clear_calibration,
    load_calibration,
    reduce_samples,
    save_calibration,
    scales_from_amax,
)


@pytest.fixture
def ckpt(tmp_path):
    p = tmp_path / "model.safetensors"
    p.write_bytes(bytes(range(256)) * 1000)  # 256 KB: only the first 64 KiB are hashed, plus the size
    return p


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def _save(ckpt, cache, Se=816, n=4):
    enc = [0.01 * (i + 1) for i in range(n)]
    w = [0.002] * n
    return save_calibration(ckpt, Se, enc, [a * b for a, b in zip(enc, w, strict=True)], [0.5, 0.25], w,
                            cache_dir=cache)


# ---- hash -----------------------------------------------------------------------------------

def test_checkpoint_hash_spec_formula(ckpt):
    import hashlib

    data = ckpt.read_bytes()
    want = hashlib.sha256(data[:65536] + str(len(data)).encode()).hexdigest()[:16]
    assert checkpoint_hash(ckpt) == want
    assert checkpoint_hash(ckpt.parent) == want  # a directory: through model.safetensors


def test_checkpoint_hash_directory_without_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        checkpoint_hash(tmp_path)


def test_hash_changes_with_size_beyond_the_prefix(ckpt):
    h = checkpoint_hash(ckpt)
    with open(ckpt, "ab") as f:
        f.write(b"\0")
    assert checkpoint_hash(ckpt) != h


# ---- cache round trip -------------------------------------------------------------------------

def test_round_trip_and_format(ckpt, cache):
    path = _save(ckpt, cache)
    assert path.name == f"{checkpoint_hash(ckpt)}_Se816.json"
    doc = json.loads(path.read_text())
    assert doc["version"] == 1 and doc["Se"] == 816 and doc["num_enc_scales"] == 4 and doc["num_ae_scales"] == 2
    assert set(doc) == {"version", "ckpt_hash", "Se", "num_enc_scales", "num_ae_scales", "enc_scales",
                        "enc_alpha", "ae_scales", "enc_w_scales"}
    loaded = load_calibration(ckpt, 816, cache_dir=cache)
    assert loaded == doc
    assert path.read_text().startswith("{\n  ")  # indent 2


def test_missing_file_is_none(ckpt, cache):
    assert load_calibration(ckpt, 816, cache_dir=cache) is None


def test_other_sequence_length_is_another_file(ckpt, cache):
    _save(ckpt, cache, Se=816)
    assert load_calibration(ckpt, 512, cache_dir=cache) is None


@pytest.mark.parametrize("field, value, message", [
    ("version", 2, "format version"),
    ("ckpt_hash", "0123456789abcdef", "made for checkpoint"),
    ("Se", 17, "made for checkpoint"),
])
def test_mismatched_file_is_ignored_with_a_warning(ckpt, cache, field, value, message):
    path = _save(ckpt, cache)
    doc = json.loads(path.read_text())
    doc[field] = value
    path.write_text(json.dumps(doc))
    with pytest.warns(UserWarning, match=message):
        assert load_calibration(ckpt, 816, cache_dir=cache) is None


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t[: len(t) // 2], "not readable JSON"),
    (lambda t: "[]", "expected a JSON object"),
    (lambda t: json.dumps({k: v for k, v in json.loads(t).items() if k != "enc_alpha"}), "enc_alpha"),
    (lambda t: json.dumps({**json.loads(t), "enc_scales": [0.1, float("nan"), 0.1, 0.1]}), "finite positive"),
    (lambda t: json.dumps({**json.loads(t), "enc_scales": [True, 0.1, 0.1, 0.1]}), "finite positive"),
    (lambda t: json.dumps({**json.loads(t), "enc_scales": [0.1, -1.0, 0.1, 0.1]}), "finite positive"),
    (lambda t: json.dumps({**json.loads(t), "ae_scales": [0.5]}), "the header says 2"),
    (lambda t: json.dumps({**json.loads(t), "Se": "816"}), "field 'Se' expected int"),
    (lambda t: json.dumps({**json.loads(t), "enc_w_scales": "0.1"}), "expected a list"),
])
def test_corrupt_file_is_rejected_never_half_loaded(ckpt, cache, mutate, message):
    path = _save(ckpt, cache)
    path.write_text(mutate(path.read_text()))
    with pytest.raises(CalibrationCacheError, match=message):
        load_calibration(ckpt, 816, cache_dir=cache)


@pytest.mark.parametrize("kwargs, message", [
    ({"enc_scales": []}, "at least one scale"),
    ({"enc_scales": [0.1, float("inf")]}, "finite positive"),
    ({"ae_scales": [0.0]}, "finite positive"),
    ({"enc_alpha": [1.0]}, "expected 2 scales"),
    ({"Se": 0}, "positive sequence length"),
])
def test_save_validates_before_writing(ckpt, cache, kwargs, message):
    args = {"Se": 8, "enc_scales": [0.1, 0.2], "enc_alpha": [1e-3, 2e-3], "ae_scales": [0.3],
            "enc_w_scales": [0.01, 0.01], **kwargs}
    with pytest.raises(ValueError, match=message):
        save_calibration(ckpt, cache_dir=cache, **args)
    assert not cache.exists() or not list(cache.iterdir())


def test_clear(ckpt, cache, tmp_path):
    other = tmp_path / "other.pkl"
    other.write_bytes(b"x" * 100)
    _save(ckpt, cache, Se=8)
    _save(ckpt, cache, Se=16)
    save_calibration(other, 8, [0.1], [0.1], [], [1.0], cache_dir=cache)
    assert clear_calibration(ckpt, cache_dir=cache) == 2
    assert load_calibration(other, 8, cache_dir=cache) is not None
    assert clear_calibration(cache_dir=cache) == 1
    assert clear_calibration(cache_dir=tmp_path / "nowhere") == 0


# ---- reductions -------------------------------------------------------------------------------

def test_reduce_samples_percentile_and_max():
    import numpy as np

    samples = [[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [100.0, 40.0]]
    assert reduce_samples(samples, 100) == [100.0, 40.0]
    assert reduce_samples(samples, 50) == pytest.approx(list(np.percentile(samples, 50, axis=0)))
    assert reduce_samples([[0.0, 5.0]], 99.9) == [1e-12, 5.0]  # floor; one sample is itself
    with pytest.raises(ValueError, match="percentile"):
        reduce_samples(samples, 0)
    with pytest.raises(ValueError, match="NaN or inf"):
        reduce_samples([[1.0, math.nan]], 100)
    with pytest.raises(ValueError, match="at least one sample"):
        reduce_samples([], 100)


def test_scales_from_amax_float32():
    import numpy as np

    assert scales_from_amax([448.0, 0.0]) == [1.0, float(np.float32(1e-12))]
    assert scales_from_amax([1.0])[0] == float(np.float32(1.0) / np.float32(448.0))


def test_calibration_helpers():
    samples = [[1.0, 1.0, 1.0], [1.0, 1.0, 50.0]]
    assert calibration.accumulate_amax(samples, 100) == [1.0, 1.0, 50.0]
    summary = calibration.summarize_amax_dispersion(samples)
    assert summary[2]["max"] == 50.0 and summary[0]["max_over_median"] == 1.0
    assert "slot    2" in calibration.format_summary(summary, top=1)
    with pytest.warns(UserWarning, match="above 20"):
        assert calibration.check_scale_ceiling([1.0, 1.0, 1.0, 30.0]) == [3]


# ---- precision metadata ------------------------------------------------------------------------

def test_precision_spec():
    PrecisionSpec().validate()
    for bad in ({"dtype": "int8"}, {"granularity": "per_channel"}, {"scheme": "asymmetric"}):
        with pytest.raises(NotImplementedError):
            PrecisionSpec(**bad).validate()
    with pytest.raises(ValueError, match="scale"):
        PrecisionSpec(scale=0.0).validate()
    spec = ModelPrecisionSpec(encoder={"layer0.qkv": PrecisionSpec(scale=0.1, calibration_percentile=99.9)},
                              source="calibration")
    assert ModelPrecisionSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ValueError, match="unknown fields"):
        ModelPrecisionSpec.from_json('{"bogus": {}}')


# ---- weights (torch, CPU) -----------------------------------------------------------------------

def test_quantize_weight():
    torch = pytest.importorskip("torch")
    from flash_rt.core.quant import quantize_weight

    w = torch.randn(64, 32, generator=torch.Generator().manual_seed(0)) * 0.05
    q, s = quantize_weight(w)
    assert q.dtype == torch.float8_e4m3fn and s.shape == (1,) and s.dtype == torch.float32
    assert float(s) == pytest.approx(float(w.abs().max()) / 448.0, rel=1e-6)
    deq = q.float() * s
    assert float((deq - w).norm() / w.norm()) < 6e-2
    assert float(q.float().abs().max()) == 448.0
    q0, s0 = quantize_weight(torch.zeros(4, 4))
    assert float(s0) == pytest.approx(1e-12) and bool((q0.float() == 0).all())
    with pytest.raises(ValueError, match="finite"):
        quantize_weight(torch.tensor([1.0, float("nan")]))


# ---- activation scales on the GPU ---------------------------------------------------------------

@pytest.mark.gpu
def test_amax_collector_true_max_over_steps_and_percentile(fvk):
    torch = pytest.importorskip("torch")
    from flash_rt.core.quant import AmaxCollector

    gen = torch.Generator(device="cpu").manual_seed(1)
    col = AmaxCollector(num_slots=2)
    expected = []
    for sample in range(3):
        amax = [0.0, 0.0]
        for step in range(4):  # the largest value comes at different steps, never always the last
            for slot, dtype in ((0, torch.float16), (1, torch.bfloat16)):
                x = torch.randn(7, 83, generator=gen) * (1 + sample + (step == sample % 4) * 5)
                x = x.to(dtype)
                amax[slot] = max(amax[slot], float(x.float().abs().max()))
                col.observe(slot, x.cuda())
        col.end_sample()
        expected.append(scales_from_amax(amax))
    got = col.scales(percentile=100)
    want = reduce_samples(expected, 100)
    assert got == pytest.approx(want, rel=1e-6)
    assert col.scales(50) == pytest.approx(reduce_samples(expected, 50), rel=1e-6)
