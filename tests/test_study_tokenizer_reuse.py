"""`reuse_tokenizers()`: a study's units share one tokenizer per set of tokenizer files."""

import shutil

from xrobust.encoders.loading import EncoderSource, load_encoder, reuse_tokenizers


def _source(folder) -> EncoderSource:
    return EncoderSource(str(folder), str(folder), "test")


def test_copies_of_one_tokenizer_are_loaded_once_inside_the_block_only(tiny_model_dir, tmp_path):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "copy")  # as every checkpoint holds one
    changed = shutil.copytree(tiny_model_dir, tmp_path / "changed")
    config = changed / "tokenizer_config.json"
    config.write_text(config.read_text().replace('"model_max_length": 512', '"model_max_length": 64'))
    with reuse_tokenizers():
        first, _ = load_encoder(_source(tiny_model_dir))
        again, _ = load_encoder(_source(copy))
        other, _ = load_encoder(_source(changed))
    assert again is first
    assert other is not first and other.model_max_length == 64
    outside, _ = load_encoder(_source(copy))
    assert outside is not first
