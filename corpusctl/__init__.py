"""corpusctl: build domain-adaptive pre-training corpora for Chinese language models."""

__version__ = "0.1.0"
