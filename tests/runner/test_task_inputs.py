"""How the scenario feeds energy_star's preprocessing, in process: audio decoded by soundfile (lazily, resampled
to the declared rate) and the processor of a captioner saved without a processor class.

The end-to-end runs of speech recognition and image captioning are in test_engine.py.
"""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

RATE = 16_000


def _wav(samples: np.ndarray, rate: int, kind: str = "WAV") -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, samples.astype(np.float32), rate, format=kind)
    return buffer.getvalue()


def _tone(rate: int, seconds: float, hz: float = 440.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


def test_the_audio_dataset_is_read_as_energy_star_reads_it(assets):
    import datasets

    from runner.scenario import SoundfileAudio, soundfile_audio

    raw = datasets.load_dataset(str(assets.audio), "", split="train")
    assert raw.features["audio"] == datasets.Audio(sampling_rate=RATE)
    dataset = soundfile_audio(raw, "audio")
    wav, flac = dataset[0]["audio"], dataset[1]["audio"]  # 16 kHz WAV, 8 kHz FLAC
    assert isinstance(wav, SoundfileAudio)
    for audio, seconds in ((wav, 0.3), (flac, 0.4)):
        assert audio["sampling_rate"] == RATE
        assert audio["array"].dtype == np.float32 and audio["array"].shape == (round(RATE * seconds),)
        assert 0.2 < np.abs(audio["array"]).max() < 0.4
    with pytest.raises(KeyError):
        wav["path"]


def test_audio_is_decoded_only_when_its_samples_are_read(assets, monkeypatch):
    """energy_star filters every row (comparing it to "") before it selects and maps the rows it keeps: the
    filter must not decode, so that decoding happens once per kept row, in the preprocess window."""
    import datasets

    from runner import scenario

    decoded = []
    decode = scenario.decode_audio
    monkeypatch.setattr(scenario, "decode_audio", lambda *args: decoded.append(1) or decode(*args))
    dataset = scenario.soundfile_audio(datasets.load_dataset(str(assets.audio), "", split="train"), "audio")
    kept = dataset.filter(lambda example: example["audio"] != "")
    assert len(kept) == len(dataset) and decoded == []
    kept = kept.select(range(5))
    kept.map(lambda batch: {"n": [len(a["array"]) for a in batch["audio"]]}, batched=True, remove_columns=["audio"])
    assert len(decoded) == 5


def test_a_dataset_without_an_audio_feature_is_left_alone():
    import datasets

    from runner.scenario import soundfile_audio

    dataset = datasets.Dataset.from_dict({"text": ["a", "b"]})
    assert soundfile_audio(dataset, "audio") is dataset


def test_stereo_audio_is_mixed_down_and_a_path_is_read(tmp_path):
    import soundfile

    from runner.scenario import decode_audio

    left, right = _tone(RATE, 0.1), np.zeros(int(RATE * 0.1), dtype=np.float32)
    file = tmp_path / "stereo.flac"
    soundfile.write(file, np.stack([left, right], axis=1), RATE)
    samples, rate = decode_audio({"bytes": None, "path": str(file)}, None)
    assert rate == RATE and samples.shape == left.shape
    np.testing.assert_allclose(samples, left / 2, atol=1e-4)


def test_audio_keeps_its_own_rate_when_the_feature_declares_none():
    from runner.scenario import decode_audio

    samples, rate = decode_audio({"bytes": _wav(_tone(8_000, 0.25), 8_000), "path": None}, None)
    assert (rate, samples.shape) == (8_000, (2_000,))


@pytest.mark.parametrize(("rate", "target"), [(8_000, 16_000), (48_000, 16_000), (22_050, 16_000)])
def test_resampling_keeps_the_signal(rate, target):
    from runner.scenario import resample

    seconds = 0.5  # 440 Hz: a whole number of cycles, so the frequency-domain method is exact
    out = resample(_tone(rate, seconds), rate, target)
    assert out.dtype == np.float32 and out.shape == (round(target * seconds),)
    np.testing.assert_allclose(out, _tone(target, seconds), atol=1e-3)
    assert resample(np.zeros(0, dtype=np.float32), rate, target).shape == (0,)


def _backend(task: str, folder: Path):
    from optimum_benchmark.backends.transformers_utils import get_transformers_pretrained_processor

    config = SimpleNamespace(task=task, processor=str(folder), processor_kwargs={"trust_remote_code": False})
    return SimpleNamespace(config=config, pretrained_processor=get_transformers_pretrained_processor(str(folder)))


def test_a_captioner_without_a_processor_class_gets_its_image_processor_and_tokenizer_paired(assets):
    from PIL import Image
    from transformers import PreTrainedTokenizerBase, ViTImageProcessor

    from runner.scenario import ImageTextProcessor, task_processor

    backend = _backend("image-to-text", assets.vit_gpt2)
    assert isinstance(backend.pretrained_processor, PreTrainedTokenizerBase)  # AutoProcessor's pick: no images
    processor = task_processor(backend)
    assert isinstance(processor, ImageTextProcessor)
    assert isinstance(processor.image_processor, ViTImageProcessor)
    assert isinstance(processor.tokenizer, PreTrainedTokenizerBase)
    inputs = processor(images=[Image.new("RGB", (40, 40)), Image.new("RGB", (20, 30))])
    assert np.asarray(inputs["pixel_values"]).shape == (2, 3, 32, 32)


def test_a_processor_class_or_another_task_keeps_the_backends_processor(assets, tmp_path):
    from transformers import TrOCRProcessor

    from runner.scenario import task_processor

    classifier = _backend("image-classification", assets.vit_classifier)
    assert task_processor(classifier) is classifier.pretrained_processor
    whisper = _backend("automatic-speech-recognition", assets.whisper)
    assert task_processor(whisper) is whisper.pretrained_processor
    paired = _backend("image-to-text", assets.vit_gpt2)
    folder = tmp_path / "with-processor"
    TrOCRProcessor(task_processor(paired).image_processor, paired.pretrained_processor).save_pretrained(folder)
    captioner = _backend("image-to-text", folder)
    assert isinstance(captioner.pretrained_processor, TrOCRProcessor)
    assert task_processor(captioner) is captioner.pretrained_processor
