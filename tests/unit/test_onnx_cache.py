"""The ONNX model cache: exports named by the model's files, a clear error when one is missing and cannot be made."""

import importlib.util

import pytest

from embeddings.onnx import ExportMissing, cached_export, files_fingerprint, mean_pooling_model


def test_the_fingerprint_follows_the_files_contents_not_their_readme(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"weights")
    (tmp_path / "README.md").write_text("about")
    before = files_fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("about, edited")
    assert files_fingerprint(tmp_path) == before
    (tmp_path / "model.bin").write_bytes(b"weights, fine-tuned")
    assert files_fingerprint(tmp_path) != before


def test_an_export_in_the_cache_is_used_as_it_is(tmp_path):
    path = tmp_path / "st-model-abc.onnx"
    path.write_bytes(b"onnx")
    assert cached_export(path, ["st", "--model", "nowhere"]) == path


def test_a_missing_export_without_pytorch_says_how_to_make_it(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(ExportMissing, match="faqbot models export"):
        cached_export(tmp_path / "st-model-abc.onnx", ["st", "--model", "nowhere"])


def test_only_a_mean_pooling_model_folder_with_a_tokenizer_file_runs_without_sentence_transformers(tmp_path):
    import json

    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]))
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 256, "do_lower_case": False}))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True,
                                                                     "pooling_mode_cls_token": False}))
    assert mean_pooling_model(tmp_path) is None  # no tokenizer.json
    (tmp_path / "tokenizer.json").write_text("{}")
    assert mean_pooling_model(tmp_path) == 256
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    assert mean_pooling_model(tmp_path) is None
    assert mean_pooling_model(tmp_path / "missing") is None
