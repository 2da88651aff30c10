"""The quickstart: the main job end to end on the packaged encoder, in about 5 minutes on
2 CPU cores (budget: 10). Frozen word embeddings and a fast-learning new head make a small
slice of XNLI learn quickly; BENCHMARKS.md compares it with the XTREME recipe."""

from xrobust.training.config import TrainConfig


def quickstart_config(data_dir: str, output_dir: str) -> TrainConfig:
    return TrainConfig(
        task="xnli",
        model="default",
        data_dir=data_dir,
        output_dir=output_dir,
        max_train_examples=6000,
        max_dev_examples=500,
        max_eval_examples=300,  # per language, the same rows in all 15
        epochs=1,
        learning_rate=5e-5,
        head_learning_rate=1e-3,
        freeze_word_embeddings=True,
        max_length=128,
        batch_size=32,
        checkpoint_every=100,
    )
