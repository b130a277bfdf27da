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


def test_texts_of_very_different_lengths_go_through_separate_passes():
    from embeddings.onnx import length_groups

    def groups(lengths):
        return [sorted(g.tolist()) for g in length_groups(lengths)]

    assert groups([3, 3, 3, 3, 3, 3, 3, 40]) == [[0, 1, 2, 3, 4, 5, 6], [7]]
    assert groups([12, 11, 12, 13]) == [[0, 1, 2, 3]]  # little padding: one pass
    assert groups([5]) == [[0]]
    assert groups([]) == []
    mixed = [4, 60, 5, 58, 4, 6, 61, 5]
    assert sorted(i for g in length_groups(mixed) for i in g.tolist()) == list(range(len(mixed)))
    assert groups(mixed) == [[0, 2, 4, 5, 7], [1, 3, 6]]
