from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings, load_settings

TOKEN = "hf_supersecret_value_42"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("AIES_BACKEND", "AIES_DATA_DIR", "AIES_REQUESTS_REPO", "AIES_RESULTS_REPO", "AIES_HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AIES_SETTINGS_FILE", raising=False)


def test_default_is_the_local_store_with_no_setup():
    settings = load_settings()
    assert settings.backend == "local"
    assert settings.data_dir == Path("data")


def test_hub_backend_from_environment(monkeypatch):
    monkeypatch.setenv("AIES_BACKEND", "hub")
    monkeypatch.setenv("AIES_REQUESTS_REPO", "org/requests")
    monkeypatch.setenv("AIES_RESULTS_REPO", "org/results")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    settings = load_settings()
    assert (settings.backend, settings.results_repo) == ("hub", "org/results")
    assert settings.hf_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert TOKEN not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AIES_BACKEND": "s3"}, "backend"),
        ({"AIES_BACKEND": "hub", "AIES_RESULTS_REPO": "org/results"}, "AIES_REQUESTS_REPO must be set"),
        (
            {"AIES_BACKEND": "hub", "AIES_REQUESTS_REPO": "org/r", "AIES_RESULTS_REPO": "bad repo!"},
            "AIES_RESULTS_REPO='bad repo!' is not a valid repo id",
        ),
        ({"AIES_BACKEND": "hub", "AIES_REQUESTS_REPO": "r", "AIES_RESULTS_REPO": "o/r"}, "must be 'namespace/name'"),
    ],
)
def test_bad_settings_are_rejected_with_a_message(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        load_settings()


def test_settings_file_and_environment_precedence(monkeypatch, tmp_path):
    path = tmp_path / "space.env"
    path.write_text(
        f"AIES_BACKEND=hub\nAIES_REQUESTS_REPO=org/requests\nAIES_RESULTS_REPO=org/results\nAIES_HF_TOKEN={TOKEN}\n"
    )
    monkeypatch.setenv("AIES_SETTINGS_FILE", str(path))
    assert load_settings().results_repo == "org/results"
    monkeypatch.setenv("AIES_RESULTS_REPO", "org/other")
    assert load_settings().results_repo == "org/other"


def test_missing_settings_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_settings(tmp_path / "nope.env")


def test_unknown_setting_in_file_is_rejected(tmp_path):
    path = tmp_path / "s.env"
    path.write_text("AIES_BAKCEND=hub\n")
    with pytest.raises(ValidationError, match="bakcend"):
        load_settings(path)


def test_settings_object_is_built_explicitly():
    assert Settings(backend="local", data_dir=Path("/tmp/x")).data_dir == Path("/tmp/x")
