"""The metric split rule: which data split a metric name or a split word belongs to.

The one home of the rule; the framework hooks, the capture API's ``split=`` argument and the
MLflow import all call it. A name is read as words separated by ``_ - . / :`` or spaces, case
ignored:

- a validation word (``val``, ``valid``, ``validation``, ``dev``) -> ``"validation"``: Keras and
  Lightning's ``val_loss``, fastai's ``valid_loss``, ``validation_loss``, ``loss_val``;
- a test word (``test``, ``testing``) -> ``"test"``: Lightning's ``test_acc``, ``loss_test``,
  MLflow's autologged ``accuracy_score_X_test``;
- a training word (``train``, ``training``) -> ``"training"``: ``train_loss``, MLflow's
  ``training_score``;
- ``eval``/``evaluation`` -> ``"validation"``, unless another split word follows: the Hugging Face
  Trainer logs its evaluation set (the validation set) as ``eval_loss``, and a named evaluation set
  as ``eval_<name>_loss`` (``eval_test_loss`` is test);
- the first split word decides (``val_test_gap`` is validation). ``valid`` and ``dev`` count only
  as the first word, where frameworks put split names: later they mean something else
  (``frac_valid``, ``reward_std_dev``);
- no split word (``loss``, ``score``, ``value_loss``) -> ``default``: ``"training"`` for the
  framework hooks, whose unmarked metrics are the training ones (Keras' ``loss``), ``None`` for
  imported data, where an unmarked name says nothing about its data.

Standard library only: capture runs inside training jobs.
"""

from __future__ import annotations

import re

#: The split names of the event schema.
SPLITS = frozenset({"training", "validation", "test"})
#: Every word that names a split, mapped onto the schema's split name.
SPLIT_WORDS = {
    "train": "training",
    "training": "training",
    "val": "validation",
    "valid": "validation",
    "validation": "validation",
    "dev": "validation",
    "eval": "validation",
    "evaluation": "validation",
    "test": "test",
    "testing": "test",
}
#: What a ``split=`` argument may be: a schema split name or a split word.
SPLIT_NAMES = {**{split: split for split in SPLITS}, **SPLIT_WORDS}

# Evaluation words yield to a split word after them (eval_test_loss).
_WEAK = frozenset({"eval", "evaluation"})
# Common words elsewhere in a name (frac_valid, std_dev): split words only when first.
_FIRST_ONLY = frozenset({"valid", "dev"})
_SEPARATORS = re.compile(r"[_\-./: ]+")


def split_name(word: str) -> str | None:
    """The schema split a split word or split name names ('val' -> 'validation'), else None.

    >>> split_name("train"), split_name("eval"), split_name("test"), split_name("holdout")
    ('training', 'validation', 'test', None)
    """
    return SPLIT_NAMES.get(word.lower())


def split_of(metric: str, default: str | None = None) -> str | None:
    """The split a metric name belongs to by the rule above; ``default`` when it names none.

    >>> split_of("val_loss"), split_of("loss_test"), split_of("eval_loss"), split_of("loss")
    ('validation', 'test', 'validation', None)
    >>> split_of("eval_test_loss"), split_of("frac_valid", "training")
    ('test', 'training')
    """
    weak = None
    words = [word for word in _SEPARATORS.split(metric.lower()) if word]
    for position, word in enumerate(words):
        split = SPLIT_WORDS.get(word)
        if split is None or (position and word in _FIRST_ONLY):
            continue
        if word not in _WEAK:
            return split
        weak = weak or split
    return weak or default
