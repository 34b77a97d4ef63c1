"""The metric split rule, pinned as a table: every caller (hooks, capture API, MLflow) reads it."""

from __future__ import annotations

import doctest

import pytest

from provml.capture import splits
from provml.capture.events import check_split
from provml.capture.integrations._common import split_of as hook_split_of
from provml.capture.splits import split_name, split_of
from provml.errors import CaptureError
from provml.loaders import mlflow_import

NAMES = [
    # validation words, any position
    ("val_loss", "validation"),  # Keras, Lightning
    ("val/loss", "validation"),
    ("val_loss_epoch", "validation"),  # Lightning's on_epoch suffix
    ("val_loss/dataloader_idx_0", "validation"),
    ("validation_loss", "validation"),
    ("Validation-Accuracy", "validation"),
    ("loss_val", "validation"),
    ("best_val_loss", "validation"),
    ("valid_loss", "validation"),  # fastai
    ("valid.acc", "validation"),
    ("dev_f1", "validation"),
    # evaluation: the Hugging Face Trainer's validation set, unless it names another split
    ("eval_loss", "validation"),
    ("eval_accuracy", "validation"),
    ("evaluation_loss", "validation"),
    ("eval_test_loss", "test"),
    ("eval_train_loss", "training"),
    # test words
    ("test_acc", "test"),  # Lightning
    ("test_loss", "test"),  # the Trainer's predict
    ("loss_test", "test"),
    ("mae_test", "test"),
    ("testing_accuracy", "test"),
    ("accuracy_score_X_test", "test"),  # MLflow sklearn autolog
    # training words
    ("train_loss", "training"),
    ("train/loss", "training"),
    ("training-accuracy", "training"),
    ("training_score", "training"),  # MLflow sklearn autolog
    ("loss_train", "training"),
    # the first split word decides
    ("val_test_gap", "validation"),
    ("test_val_gap", "test"),
    # words that only look like split words
    ("loss", None),
    ("score", None),
    ("accuracy", None),
    ("value_loss", None),
    ("interval", None),
    ("latest", None),
    ("frac_valid", None),  # valid and dev count only as the first word
    ("reward_std_dev", None),
    ("", None),
    ("__", None),
]


@pytest.mark.parametrize(("name", "split"), NAMES)
def test_split_of_names(name, split):
    assert split_of(name) == split


@pytest.mark.parametrize(("name", "split"), NAMES)
def test_hooks_take_unmarked_metrics_as_training(name, split):
    assert hook_split_of(name) == (split or "training")
    assert split_of(name, "training") == (split or "training")


@pytest.mark.parametrize(("name", "split"), NAMES)
def test_the_mlflow_import_uses_the_rule(name, split):
    assert mlflow_import.split_of(name) == split


@pytest.mark.parametrize(
    ("word", "split"),
    [
        ("training", "training"),
        ("train", "training"),
        ("validation", "validation"),
        ("val", "validation"),
        ("valid", "validation"),
        ("dev", "validation"),
        ("eval", "validation"),
        ("test", "test"),
        ("testing", "test"),
        ("TEST", "test"),
        ("holdout", None),
        ("", None),
    ],
)
def test_split_words(word, split):
    assert split_name(word) == split
    if split is None:
        with pytest.raises(CaptureError, match="unknown metric split"):
            check_split(word)
    else:
        assert check_split(word) == split


def test_check_split_keeps_none():
    assert check_split(None) is None


def test_docstring_examples_pass():
    outcome = doctest.testmod(splits)
    assert outcome.attempted > 0
    assert outcome.failed == 0
