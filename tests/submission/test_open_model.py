"""Open-model submission checks against the local Hub server (real HTTP, real client) and local folders."""

from __future__ import annotations

import json
import logging
import struct
import uuid
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from core.catalog import Precision, SizeClass, TaskId
from submission.open_model import Refused, plan_submission
from tests.hub_server import safetensors_bytes


def _config(*architectures: str) -> bytes:
    return json.dumps({"architectures": list(architectures), "model_type": "x"}).encode()


def _weights(parameters: int) -> bytes:
    return safetensors_bytes({"w": ("F16", [parameters])})


@pytest.fixture
def seed(hub_server):
    """Seed a model repo under a fresh name; returns (model id, commit sha)."""

    def make(files: dict[str, bytes], **metadata) -> tuple[str, str]:
        model_id = f"org/model-{uuid.uuid4().hex[:8]}"
        return model_id, hub_server.seed(model_id, files, **metadata)

    return make


def plan(api: HfApi | None, model: str, task: str = "text_generation", revision: str = "", models_dir=None):
    return plan_submission(model, revision, task, api=api, models_dir=models_dir)


def test_a_hub_model_is_resolved_to_its_commit_and_classed(hub_api, seed) -> None:
    model_id, sha = seed({"config.json": _config("LlamaForCausalLM"), "model.safetensors": _weights(1234)})
    planned = plan(hub_api, model_id)
    assert planned.model.revision == sha and planned.model.location == "hub"
    assert planned.model.parameters == 1234 and planned.size_class is SizeClass.A
    assert planned.precision is Precision.FP16
    text = planned.describe()
    assert sha in text and "1,234" in text and "class **A**" in text and "max_new_tokens = 10" in text


def test_a_case_variant_resolves_to_the_hubs_own_id(hub_api, hub_server) -> None:
    """The plan carries `model_info(...).id` with its case, not the text typed (a pasted address included)."""
    model_id = f"Acme/Tiny-LM-{uuid.uuid4().hex[:8]}"
    sha = hub_server.seed(model_id, {"config.json": _config("LlamaForCausalLM"), "model.safetensors": _weights(12)})
    for typed in (model_id, model_id.lower(), model_id.upper(), f"https://huggingface.co/{model_id.swapcase()}"):
        planned = plan(hub_api, typed)
        assert (planned.model.model_id, planned.model.revision) == (model_id, sha)
        assert model_id in planned.describe()


def test_a_branch_resolves_and_an_old_sha_is_kept(hub_api, seed, hub_server) -> None:
    model_id, first = seed({"config.json": _config("BertForSequenceClassification"), "a.safetensors": _weights(5)})
    hub_server.seed(model_id, {"b.safetensors": _weights(7)})
    assert plan(hub_api, model_id, "text_classification", revision="main").model.parameters == 12
    old = plan(hub_api, model_id, "text_classification", revision=first)
    assert old.model.revision == first and old.model.parameters == 5


@pytest.mark.parametrize(
    ("model", "revision", "task", "field", "words"),
    [
        ("", "", "text_generation", "model", "Enter a Hub model id"),
        ("bad id!", "", "text_generation", "model", "not a valid Hub model id"),
        ("org/--x", "", "text_generation", "model", "not a valid Hub model id"),
        ("org/name", "../x", "text_generation", "revision", "not a valid revision"),
        ("org/name", "", "dancing", "task", "Choose a task from the list: `dancing` is not one of"),
        ("org/name", "", None, "task", "^Choose a task.$"),
        ("https://example.org/org/name", "", "text_generation", "model", "write it as `org/name`"),
    ],
)
def test_malformed_input_is_refused_before_any_hub_call(hub_api, hub_server, model, revision, task, field, words):
    calls = len(hub_server.request_log)
    with pytest.raises(Refused, match=words) as refused:
        plan_submission(model, revision, task, api=hub_api, models_dir=None)
    assert refused.value.field == field
    assert len(hub_server.request_log) == calls


def test_a_pasted_hub_address_is_read_as_its_model_id_and_revision(hub_api, seed, hub_server) -> None:
    model_id, first = seed({"config.json": _config("BertForSequenceClassification"), "m.safetensors": _weights(5)})
    for pasted in (f"https://huggingface.co/{model_id}", f" HF.co/{model_id}/tree/main ", model_id):
        plan = plan_submission(pasted, "", "text_classification", api=hub_api, models_dir=None)
        assert (plan.model.model_id, plan.model.revision) == (model_id, first)
    hub_server.seed(model_id, {"extra.safetensors": _weights(7)})
    address = f"https://huggingface.co/{model_id}/tree/{first}"
    old = plan_submission(address, "", "text_classification", api=hub_api, models_dir=None)
    assert old.model.revision == first  # the pasted revision, not main's newer commit


@pytest.mark.parametrize(
    ("pasted", "revision", "words"),
    [
        ("https://huggingface.co/datasets/EnergyStarAI/text_generation", "", "the address of a dataset"),
        ("https://huggingface.co/spaces/org/app", "", "the address of a Space, not of a model"),
        ("https://huggingface.co/org", "", "That address names no model"),
        ("https://huggingface.co/org/name/tree/v2", "v3", "names revision `v2`, the Revision field `v3`"),
    ],
)
def test_a_pasted_address_that_is_not_a_models_page_is_refused(hub_api, hub_server, pasted, revision, words) -> None:
    calls = len(hub_server.request_log)
    with pytest.raises(Refused, match=words):
        plan_submission(pasted, revision, "text_classification", api=hub_api, models_dir=None)
    assert len(hub_server.request_log) == calls


def test_missing_private_gated_and_unknown_revision_each_say_so(hub_server, seed) -> None:
    anonymous = HfApi(endpoint=hub_server.url, token=None)
    with pytest.raises(Refused, match=r"was not found on the Hub.*private"):
        plan(anonymous, "org/does-not-exist")
    private_id, _ = seed({"config.json": _config("GPT2LMHeadModel")}, private=True)
    with pytest.raises(Refused, match="not found on the Hub"):
        plan(anonymous, private_id)
    gated_id, _ = seed({"config.json": _config("GPT2LMHeadModel"), "m.safetensors": _weights(3)}, gated="manual")
    with pytest.raises(Refused, match="is gated") as gated:
        plan(anonymous, gated_id)
    assert gated.value.field == "model"
    model_id, _ = seed({"config.json": _config("GPT2LMHeadModel"), "m.safetensors": _weights(3)})
    with pytest.raises(Refused, match="has no revision `nope`") as revision:
        plan(anonymous, model_id, revision="nope")
    assert revision.value.field == "revision"


def test_a_gated_model_is_accepted_once_the_deployment_was_granted_access(hub_server, hub_api, seed) -> None:
    files = {"config.json": _config("GPT2LMHeadModel"), "m.safetensors": _weights(3)}
    model_id, sha = seed(files, gated="auto")
    with pytest.raises(Refused, match="has not been granted access"):
        plan(hub_api, model_id)
    hub_server.grant_access(model_id)
    assert plan(hub_api, model_id).model.revision == sha


def test_an_unreachable_hub_is_reported_not_raised() -> None:
    offline = HfApi(endpoint="http://127.0.0.1:9", token=None)
    with pytest.raises(Refused, match="could not be reached"):
        plan(offline, "org/name")


@pytest.mark.parametrize(
    ("files", "metadata", "task", "words"),
    [
        ({"config.json": _config("BertForSequenceClassification")}, {}, "text_generation", "needs one of"),
        ({"config.json": _config("GPT2LMHeadModel")}, {"pipeline_tag": "fill-mask"}, "text_generation", "fill-mask"),
        ({"config.json": _config("ViTModel")}, {"library_name": "timm"}, "image_classification", "`timm` library"),
        ({"model_index.json": b'{"_class_name": "SDPipeline"}'}, {}, "text_classification", "a diffusers model"),
        ({"config.json": _config("GPT2LMHeadModel")}, {}, "image_generation", "needs a Diffusers pipeline"),
        ({"config.json": json.dumps({"model_type": "x"}).encode()}, {}, "extractive_qa", "names no architecture"),
        ({"README.md": b"hello"}, {}, "text_classification", "has no config.json"),
        ({"config.json": _config("GPT2LMHeadModel"), "pytorch_model.bin": b"\0" * 8}, {}, "text_generation", "safe"),
        (
            {
                "config.json": json.dumps(
                    {
                        "architectures": ["LlamaForCausalLM"],
                        "model_type": "llama",
                        "quantization_config": {"quant_method": "gptq", "bits": 4},
                    }
                ).encode(),
                "model.safetensors": _weights(64),
            },
            {},
            "text_generation",
            r"a quantized checkpoint \(gptq\); Text Generation is measured in float16",
        ),
    ],
)
def test_a_model_that_does_not_fit_the_task_is_refused(hub_api, seed, files, metadata, task, words) -> None:
    model_id, _ = seed(files, **metadata)
    with pytest.raises(Refused, match=words):
        plan(hub_api, model_id, task)


def test_pipeline_tag_and_diffusers_pipelines_that_fit_are_accepted(hub_api, seed) -> None:
    qa_id, _ = seed({"config.json": _config("Custom")}, pipeline_tag="question-answering")
    assert plan(hub_api, qa_id, "extractive_qa").task is TaskId.EXTRACTIVE_QA
    sd_id, _ = seed(
        {"model_index.json": b'{"_class_name": "StableDiffusionPipeline"}', "unet/x.safetensors": _weights(9)}
    )
    planned = plan(hub_api, sd_id, "image_generation")
    assert planned.model.library == "diffusers" and planned.size_class is None and planned.model.parameters == 9


def _header_only(parameters: int) -> bytes:
    """The header of a safetensors file of one F16 tensor: the Hub counts from headers, so no data is needed."""
    header = json.dumps({"w": {"dtype": "F16", "shape": [parameters], "data_offsets": [0, 2 * parameters]}}).encode()
    return struct.pack("<Q", len(header)) + header


@pytest.mark.parametrize(
    ("parameters", "size_class"), [(20_000_000_000, "A"), (30_000_000_000, "B"), (70 * 10**9, "C")]
)
def test_a_big_model_lands_in_its_size_class(hub_api, seed, parameters, size_class) -> None:
    model_id, _ = seed({"config.json": _config("LlamaForCausalLM"), "model.safetensors": _header_only(parameters)})
    planned = plan(hub_api, model_id)
    assert planned.model.parameters == parameters and planned.size_class == SizeClass(size_class)


def test_a_local_model_folder_is_used_without_the_hub(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "local" / "tiny"
    folder.mkdir(parents=True)
    (folder / "config.json").write_bytes(_config("GPT2LMHeadModel"))
    (folder / "model.safetensors").write_bytes(_weights(4321))
    planned = plan(None, "local/tiny", models_dir=tmp_path / "models")
    assert planned.model.location == "local" and planned.model.revision is None
    assert planned.model.parameters == 4321 and planned.size_class is SizeClass.A
    assert "local folder" in planned.describe()
    with pytest.raises(Refused, match="local model folder") as refused:
        plan(None, "local/tiny", revision="main", models_dir=tmp_path / "models")
    assert refused.value.field == "revision"
    with pytest.raises(Refused, match="no Hub access"):
        plan(None, "local/other", models_dir=tmp_path / "models")
    (folder / "config.json").write_text("{not json")
    with pytest.raises(Refused, match=r"config\.json cannot be read"):
        plan(None, "local/tiny", models_dir=tmp_path / "models")


@pytest.mark.parametrize("probe", ["/api/models/", "/resolve/"])
def test_a_hub_echoing_the_token_leaves_it_out_of_the_log(hub_server, seed, caplog, probe) -> None:
    """The lookup's failure is logged by its status only: the error's text quotes the server's answer, which
    here echoes the request's headers, the token included."""
    from core.settings import Settings, hub_api
    from tests.conftest import HUB_TOKEN
    from tests.fault_proxy import FaultProxy

    model_id, _ = seed({"config.json": _config("BertForSequenceClassification")}, gated="auto")
    caplog.set_level(logging.DEBUG)
    with FaultProxy(hub_server.url) as proxy:
        proxy.inject("echo", "*", probe, times=None)
        with pytest.raises(Refused, match="try again later"):
            plan(hub_api(Settings(hub_endpoint=proxy.url, hf_token=HUB_TOKEN)), model_id)  # as the app makes it
        assert any(fault == "echo" for _, _, fault in proxy.log)
    assert "HTTP 500" in caplog.text
    assert HUB_TOKEN not in caplog.text
