"""Tiny models and datasets built at test time, without any download (recipe: shared/reference/stack.md).

Each model has 1 or 2 layers of width 32 or 64 and its own tokenizer (trained here on a few sentences),
image processor or feature extractor, saved with `save_pretrained` so that `config.json` carries
`architectures`. The diffusion pipeline is a Stable Diffusion layout (`model_index.json` and one folder per
component) with tiny components. Each dataset is a local folder in a format optimum-benchmark's energy_star
scenario reads: `train.jsonl`, or a parquet file with the images or audio files kept as bytes.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from pathlib import Path

from PIL import Image
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    BartConfig,
    BartForConditionalGeneration,
    BertConfig,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertModel,
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTokenizer,
    DetrConfig,
    DetrForObjectDetection,
    DetrImageProcessor,
    GPT2Config,
    GPT2LMHeadModel,
    Ministral3Config,
    Ministral3ForSequenceClassification,
    PreTrainedTokenizerFast,
    Qwen3_5ForCausalLM,
    Qwen3_5TextConfig,
    ResNetConfig,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
    ViTConfig,
    ViTForImageClassification,
    ViTImageProcessor,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    WhisperProcessor,
    WhisperTokenizerFast,
)

SENTENCES = [
    "The energy of a model is measured on a fixed set of queries.",
    "A graphics card reports its total energy through a counter.",
    "Small models answer quickly and draw little power.",
    "Every benchmark runs after a warm-up, repeated several times.",
    "The star rating compares models that share a task and hardware.",
    "Reviews of the film were mostly positive, some were negative.",
    "The river flows past the old mill towards the sea.",
    "Bread rises slowly in a warm kitchen on a winter morning.",
    "She asked where the train station was, and he pointed north.",
    "Solar panels on the roof produce power during the day.",
    "The committee published its report on Tuesday afternoon.",
    "A cat slept in the sun while the children played outside.",
]
QUESTIONS = [
    ("What reports the total energy?", SENTENCES[1]),
    ("What do small models draw?", SENTENCES[2]),
    ("Where does the river flow?", SENTENCES[6]),
    ("When was the report published?", SENTENCES[10]),
]
PROMPTS = [
    "A red lighthouse on a rocky coast at sunset",
    "A bowl of green apples on a wooden table",
    "A small cat sleeping in the sun",
    "Snowy mountains above a quiet blue lake",
]
WIDTH = 64
LAYERS = 2


def _wordpiece_tokenizer() -> PreTrainedTokenizerFast:
    """A BERT-style tokenizer: [CLS] A [SEP] (B [SEP]), with padding and unknown tokens."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(
        SENTENCES, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials, show_progress=False)
    )
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def _byte_bpe(specials: list[str]) -> Tokenizer:
    """A byte-level BPE tokenizer (GPT-2's scheme) trained on the sentences; the special tokens take ids 0, 1, …"""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(SENTENCES, trainer)
    return tokenizer


def _byte_bpe_tokenizer() -> PreTrainedTokenizerFast:
    """A GPT-2-style byte-level BPE tokenizer with one end-of-text token."""
    return PreTrainedTokenizerFast(
        tokenizer_object=_byte_bpe(["<|endoftext|>"]),
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        model_input_names=["input_ids", "attention_mask"],
    )


def _bart_tokenizer() -> PreTrainedTokenizerFast:
    """A BART-style byte-level BPE tokenizer: <s> A </s>, with BART's special-token ids (0 to 3)."""
    tokenizer = _byte_bpe(["<s>", "<pad>", "</s>", "<unk>"])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_input_names=["input_ids", "attention_mask"],
    )


def _bert_config(tokenizer: PreTrainedTokenizerFast, *, width: int, layers: int, **overrides) -> BertConfig:
    settings = dict(
        vocab_size=len(tokenizer),
        hidden_size=width,
        num_hidden_layers=layers,
        num_attention_heads=max(2, width // 64),
        intermediate_size=width * 2,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
    )
    return BertConfig(**(settings | overrides))


def build_gpt2(folder: Path, *, width: int = WIDTH, layers: int = LAYERS) -> Path:
    """A causal language model for text generation (larger ones for benchmarks: `width`, `layers`)."""
    tokenizer = _byte_bpe_tokenizer()
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=128,
        n_embd=width,
        n_layer=layers,
        n_head=max(2, width // 64),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_bert_classifier(
    folder: Path, *, vocab_size: int | None = None, width: int = WIDTH, layers: int = LAYERS
) -> Path:
    """A binary text classifier. A `vocab_size` smaller than the tokenizer's makes a model that loads
    but raises on its first forward pass (a token id beyond its embedding table)."""
    tokenizer = _wordpiece_tokenizer()
    overrides = {"num_labels": 2} | ({"vocab_size": vocab_size} if vocab_size is not None else {})
    config = _bert_config(tokenizer, width=width, layers=layers, **overrides)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# Architectures that transformers 4.57 did not have (added in 5.x): a submitter of a 2026 model gets these.
NEW_ARCHITECTURES = {"ministral3": "Ministral3ForSequenceClassification", "qwen3_5_text": "Qwen3_5ForCausalLM"}


def build_ministral3_classifier(folder: Path) -> Path:
    """A binary text classifier of the Ministral 3 architecture (Mistral, December 2025; transformers 5)."""
    tokenizer = _byte_bpe_tokenizer()
    tokenizer.pad_token = tokenizer.eos_token
    config = Ministral3Config(
        vocab_size=len(tokenizer),
        hidden_size=WIDTH,
        intermediate_size=WIDTH * 2,
        num_hidden_layers=LAYERS,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=WIDTH // 2,
        max_position_embeddings=256,
        num_labels=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    Ministral3ForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_qwen3_5_lm(folder: Path) -> Path:
    """A causal language model of the Qwen3.5 architecture (2026; transformers 5): one linear-attention
    (gated delta net) layer and one full-attention layer, as its hybrid stack alternates them."""
    tokenizer = _byte_bpe_tokenizer()
    config = Qwen3_5TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=WIDTH,
        intermediate_size=WIDTH * 2,
        num_hidden_layers=2,
        layer_types=["linear_attention", "full_attention"],
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=WIDTH // 2,
        linear_num_key_heads=2,
        linear_num_value_heads=2,
        linear_key_head_dim=WIDTH // 4,
        linear_value_head_dim=WIDTH // 4,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.eos_token_id,
    )
    Qwen3_5ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_bart(folder: Path) -> Path:
    """A sequence-to-sequence model for summarization (1 encoder and 1 decoder layer of width 64)."""
    tokenizer = _bart_tokenizer()
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=WIDTH,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=WIDTH * 2,
        decoder_ffn_dim=WIDTH * 2,
        max_position_embeddings=128,
        bos_token_id=tokenizer.bos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    BartForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_bert_encoder(folder: Path) -> Path:
    """A sentence encoder (a bare BertModel, no task head) for sentence similarity."""
    tokenizer = _wordpiece_tokenizer()
    BertModel(_bert_config(tokenizer, width=WIDTH, layers=LAYERS)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_bert_qa(folder: Path) -> Path:
    """An extractive question-answering model."""
    tokenizer = _wordpiece_tokenizer()
    BertForQuestionAnswering(_bert_config(tokenizer, width=WIDTH, layers=LAYERS)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_vit_classifier(folder: Path) -> Path:
    """An image classifier on 32 × 32 images, with its image processor."""
    config = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=WIDTH,
        num_hidden_layers=LAYERS,
        num_attention_heads=2,
        intermediate_size=WIDTH * 2,
        num_labels=3,
    )
    ViTForImageClassification(config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def build_vit_gpt2_captioner(folder: Path) -> Path:
    """An image captioner: a ViT encoder on 32 × 32 images and a GPT-2 decoder with cross-attention, saved
    with its image processor and tokenizer (the layout of nlpconnect/vit-gpt2-image-captioning)."""
    tokenizer = _byte_bpe_tokenizer()
    encoder = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=WIDTH,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=WIDTH * 2,
    )
    decoder = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=128,
        n_embd=WIDTH,
        n_layer=1,
        n_head=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = tokenizer.bos_token_id
    config.pad_token_id = tokenizer.eos_token_id
    config.eos_token_id = tokenizer.eos_token_id
    VisionEncoderDecoderModel(config=config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_detr(folder: Path) -> Path:
    """An object detector: DETR on a 2-stage ResNet of transformers' own (no timm, no downloaded backbone),
    1 encoder and 1 decoder layer of width 32, 10 object queries; its image processor resizes to 32 × 32."""
    backbone = ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic", out_features=["stage2"]
    )
    config = DetrConfig(
        use_timm_backbone=False,
        use_pretrained_backbone=False,
        backbone=None,
        backbone_config=backbone,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        num_queries=10,
        num_labels=3,
    )
    DetrForObjectDetection(config).save_pretrained(folder)
    DetrImageProcessor(size={"shortest_edge": 32, "longest_edge": 32}).save_pretrained(folder)
    return folder


def build_whisper(folder: Path) -> Path:
    """A speech recogniser: an English-only Whisper (1 encoder and 1 decoder layer of width 32) on 1-second
    windows (100 frames of 80 mel bins), with its WhisperProcessor: feature extractor and byte-level tokenizer."""
    eos, start, no_timestamps = 0, 1, 2
    tokenizer = _byte_bpe(["<|endoftext|>", "<|startoftranscript|>", "<|notimestamps|>"])
    whisper_tokenizer = WhisperTokenizerFast(tokenizer_object=tokenizer, model_input_names=["input_ids"])
    config = WhisperConfig(
        vocab_size=len(whisper_tokenizer),
        num_mel_bins=80,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_source_positions=50,  # the 100 frames, halved by the encoder's stride-2 convolution
        max_target_positions=128,
        pad_token_id=eos,
        bos_token_id=eos,
        eos_token_id=eos,
        decoder_start_token_id=start,
        begin_suppress_tokens=None,
        suppress_tokens=None,
    )
    model = WhisperForConditionalGeneration(config)
    model.generation_config.no_timestamps_token_id = no_timestamps
    model.generation_config.is_multilingual = False
    model.save_pretrained(folder)
    extractor = WhisperFeatureExtractor(feature_size=80, chunk_length=1)
    WhisperProcessor(feature_extractor=extractor, tokenizer=whisper_tokenizer).save_pretrained(folder)
    return folder


def build_custom_code_model(folder: Path) -> Path:
    """A model folder that needs its own code (`auto_map`, a model type transformers does not know)."""
    folder.mkdir(parents=True)
    config = {
        "model_type": "aies-tiny-custom",
        "architectures": ["AiesTinyForSequenceClassification"],
        "auto_map": {
            "AutoConfig": "configuration_tiny.AiesTinyConfig",
            "AutoModelForSequenceClassification": "modeling_tiny.AiesTinyForSequenceClassification",
        },
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_tiny.py").write_text("raise RuntimeError('this code must never run')\n")
    return folder


def build_environment_printing_model(folder: Path, *, leaked: str, fail: bool) -> Path:
    """A text classifier with code of its own (a BERT under another model type) that, when loaded, prints its
    whole environment and `leaked` (a secret it found some other way) to stderr and stdout and into a file of
    its working folder, then raises with them in the message (`fail`) or runs."""
    build_bert_classifier(folder)
    config = json.loads((folder / "config.json").read_text())
    config |= {
        "model_type": "aies-env-dump",
        "architectures": ["EnvDumpForSequenceClassification"],
        "auto_map": {
            "AutoConfig": "configuration_envdump.EnvDumpConfig",
            "AutoModelForSequenceClassification": "modeling_envdump.EnvDumpForSequenceClassification",
        },
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "configuration_envdump.py").write_text(
        "import os\nimport sys\n\nfrom transformers import BertConfig\n\n"
        "DUMP = '\\n'.join(f'{name}={value}' for name, value in sorted(os.environ.items()))\n"
        f"DUMP += '\\nfound elsewhere: ' + {leaked!r}\n"
        "print('ENVIRONMENT BEGIN\\n' + DUMP + '\\nENVIRONMENT END', file=sys.stderr, flush=True)\n"
        "print(DUMP, flush=True)\n"
        "with open('environment.txt', 'w') as out:\n    out.write(DUMP)\n"
        + ("raise RuntimeError('environment: ' + DUMP)\n" if fail else "")
        + "\n\nclass EnvDumpConfig(BertConfig):\n    model_type = 'aies-env-dump'\n"
    )
    (folder / "modeling_envdump.py").write_text(
        "from transformers import BertForSequenceClassification\n\n"
        "from .configuration_envdump import EnvDumpConfig\n\n\n"
        "class EnvDumpForSequenceClassification(BertForSequenceClassification):\n"
        "    config_class = EnvDumpConfig\n"
    )
    return folder


def _clip_tokenizer(*, max_length: int, merges: int = 60) -> CLIPTokenizer:
    """A CLIP tokenizer (byte-level BPE, words ending in `</w>`) with merges learnt here from the prompts.

    The vocabulary holds every byte symbol alone and word-final, as CLIP's does, so any text encodes."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    symbols = list(bytes_to_unicode().values())
    vocab = symbols + [symbol + "</w>" for symbol in symbols]
    words = Counter(word for text in PROMPTS + SENTENCES for word in re.findall(r"[a-z]+", text.lower()))
    spelled = {word: (*word[:-1], word[-1] + "</w>") for word in words}
    learnt: list[tuple[str, str]] = []
    for _ in range(merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for word, parts in spelled.items():
            for pair in itertools.pairwise(parts):
                pairs[pair] += words[word]
        if not pairs:
            break
        best = max(pairs, key=lambda pair: (pairs[pair], pair))
        learnt.append(best)
        vocab.append("".join(best))
        for word, parts in spelled.items():
            merged, index = [], 0
            while index < len(parts):
                if tuple(parts[index : index + 2]) == best:
                    merged.append("".join(best))
                    index += 2
                else:
                    merged.append(parts[index])
                    index += 1
            spelled[word] = tuple(merged)
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(
        vocab={token: index for index, token in enumerate(vocab)},
        merges=learnt,
        model_max_length=max_length,
    )


def build_tiny_sd(folder: Path, *, sample_size: int = 8, max_length: int = 32, safe_serialization: bool = True) -> Path:
    """A Stable Diffusion pipeline with tiny components: a UNet of 8 and 16 channels on `sample_size`²
    latents (images twice that size), a 2-layer CLIP text encoder of width 32, a 2-block VAE, a DDIM
    scheduler and no safety checker. Loads with `DiffusionPipeline.from_pretrained(folder)` offline.
    `safe_serialization=False` saves the weights as pickled `.bin` files instead of safetensors."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    tokenizer = _clip_tokenizer(max_length=max_length)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=max_length,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    unet = UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=4,
        out_channels=4,
        block_out_channels=(8, 16),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=4,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=sample_size * 2,
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipeline = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(folder, safe_serialization=safe_serialization)
    if not safe_serialization:
        _pickle_weights(folder)
    return folder


def _pickle_weights(folder: Path) -> None:
    """Turn the safetensors files left in a pipeline into the older pickled format, as older checkpoints ship.

    transformers 5 always saves safetensors (its `save_pretrained` has no `safe_serialization` any more), so the
    text encoder of a pipeline saved with `safe_serialization=False` would be the one model not pickled."""
    import torch
    from safetensors.torch import load_file

    for weights in folder.glob("*/*.safetensors"):
        pickled = "pytorch_model.bin" if weights.name == "model.safetensors" else f"{weights.stem}.bin"
        torch.save(load_file(weights), weights.with_name(pickled))
        weights.unlink()


def build_custom_code_pipeline(folder: Path) -> Path:
    """A pipeline folder whose index names a component class in a Python file of its own."""
    (folder / "unet").mkdir(parents=True)
    index = {"_class_name": "StableDiffusionPipeline", "unet": ["aies_unet", "AiesTinyUNet"], "vae": [None, None]}
    (folder / "model_index.json").write_text(json.dumps(index))
    (folder / "unet" / "aies_unet.py").write_text("raise RuntimeError('this code must never run')\n")
    return folder


def write_jsonl_dataset(folder: Path, rows: list[dict[str, str]], *, repeat_to: int) -> Path:
    """A `train.jsonl` of `repeat_to` rows cycling through `rows`."""
    folder.mkdir(parents=True)
    with (folder / "train.jsonl").open("w") as out:
        for index in range(repeat_to):
            out.write(json.dumps(rows[index % len(rows)]) + "\n")
    return folder


def text_dataset(folder: Path, *, rows: int) -> Path:
    return write_jsonl_dataset(folder, [{"text": s} for s in SENTENCES], repeat_to=rows)


def prompt_dataset(folder: Path, *, rows: int) -> Path:
    """Text-to-image prompts in a `prompt` column."""
    return write_jsonl_dataset(folder, [{"prompt": p} for p in PROMPTS], repeat_to=rows)


def qa_dataset(folder: Path, *, rows: int) -> Path:
    return write_jsonl_dataset(folder, [{"question": q, "context": c} for q, c in QUESTIONS], repeat_to=rows)


def sentence_pair_dataset(folder: Path, *, rows: int) -> Path:
    """Pairs of sentences in `sentence1` and `sentence2` columns."""
    pairs = [{"sentence1": a, "sentence2": b} for a, b in itertools.pairwise(SENTENCES)]
    return write_jsonl_dataset(folder, pairs, repeat_to=rows)


def image_dataset(folder: Path, *, rows: int) -> Path:
    """`data/train-00000-of-00001.parquet` with an `image` column stored as bytes."""
    from datasets import Dataset, Features
    from datasets import Image as ImageFeature

    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (120, 120, 20)]
    images = [Image.new("RGB", (40, 40), colours[index % len(colours)]) for index in range(rows)]
    data = folder / "data"
    data.mkdir(parents=True)
    Dataset.from_dict({"image": images}, features=Features({"image": ImageFeature()})).to_parquet(
        data / "train-00000-of-00001.parquet"
    )
    return folder


AUDIO_RATE = 16_000  # what Whisper's feature extractor needs, and what the audio dataset declares


def audio_dataset(folder: Path, *, rows: int) -> Path:
    """`data/train-00000-of-00001.parquet` with an `audio` column (datasets' Audio feature at 16 kHz) stored as
    file bytes, as Hub audio datasets are: tones of 0.3 to 0.9 s, as 16 kHz WAV files and, every other row,
    8 kHz FLAC files (decoding resamples them to the declared rate).

    Written with pyarrow and cast: datasets 5 encodes Audio values through torchcodec, which the CPU stack lacks."""
    import io

    import numpy as np
    import soundfile
    from datasets import Audio, Dataset

    values = []
    for index in range(rows):
        rate, kind = (AUDIO_RATE, "WAV") if index % 2 == 0 else (AUDIO_RATE // 2, "FLAC")
        seconds = 0.3 + 0.1 * (index % 7)
        time = np.arange(int(rate * seconds)) / rate
        tone = 0.3 * np.sin(2 * np.pi * (220 + 40 * index) * time)
        buffer = io.BytesIO()
        soundfile.write(buffer, tone.astype(np.float32), rate, format=kind)
        values.append({"bytes": buffer.getvalue(), "path": f"tone-{index:03d}.{kind.lower()}"})
    data = folder / "data"
    data.mkdir(parents=True)
    dataset = Dataset.from_dict({"audio": values}).cast_column("audio", Audio(sampling_rate=AUDIO_RATE))
    dataset.to_parquet(data / "train-00000-of-00001.parquet")
    return folder
