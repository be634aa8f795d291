"""The settings of one training run, in one frozen object.

`salesrl train` builds a TrainingConfig from its options and passes it down to every step that fits something
(agent.training.pipeline, lexical_fit, sequence_fit, td, ppo); the exported model's metadata.json records it
under "training_config", so a model says exactly how it was trained. An experiment changes a setting by building
a config (`dataclasses.replace`), never by changing a module's constants at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LexicalSettings:
    """The lexical score's fit (agent.training.lexical_fit)."""

    min_df: int = 2  # a term must be in this many training conversations
    max_terms: int = 200_000  # the most common terms kept, at most
    folds: int = 5  # training conversations are scored by the model fitted without their fold
    c_grid: tuple[float, ...] = (0.1, 0.3, 1.0)  # C is chosen among these on the first fold
    max_iter: int = 1000  # the logistic regression's solver


@dataclass(frozen=True)
class SequenceSettings:
    """The sequence score's fit (agent.training.sequence_fit): its label reader and its GRUs."""

    folds: int = 2  # training calls are scored by a reader and GRU fitted without their fold
    reader_min_df: int = 2  # a term must be in this many training turns
    reader_max_terms: int = 200_000  # the most common terms kept, at most
    reader_epochs: int = 4
    reader_batch: int = 2048
    reader_lr: float = 0.03
    reader_l2: float = 1e-6
    hidden: int = 128  # GRU units
    members: int = 2  # GRUs in the shipped score, each with its own seed
    fold_members: int = 1  # the GRUs that score the training calls out of fold: one each, to save training time
    dropout: float = 0.3
    latent_weight: float = 1.0  # weight of the loss on the latent probability after each turn, where recorded
    max_epochs: int = 30
    epochs_without_held_out: int = 8  # when there are no held-out calls to stop early on
    patience: int = 4  # epochs without a better held-out Brier before the GRU stops
    batch: int = 64


@dataclass(frozen=True)
class TrainingConfig:
    algo: str = "td"
    seed: int = 0
    members: int = 10  # ensemble size; 5 did as well on synthetic calls, worse on real ones (the model card's history)
    epochs: int = 20
    lam: float = 0.9
    target: str = "expected"  # agent.training.states.call_targets: the outcome's expectation where recorded
    val_fraction: float = 0.1
    ppo_steps: int = 150_000
    td_overrides: dict = field(default_factory=dict)  # TDConfig fields, for experiments
    lexical: LexicalSettings = LexicalSettings()
    sequence: SequenceSettings = SequenceSettings()
