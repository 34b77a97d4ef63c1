"""Framework hooks: one line in a user's training code records its provenance.

Each module imports its framework lazily, so ``import provml`` never loads it: ``lightning``
(a Lightning callback), ``keras`` (a Keras 3 callback), ``sklearn`` (an estimator wrapper),
``transformers`` (a Hugging Face Trainer callback) and ``torch`` (a plain PyTorch loop helper).
"""
