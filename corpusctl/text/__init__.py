"""Text helpers shared by the stages: characters (`chars`), sentences (`sentences`) and character n-grams
(`ngrams`). Pure functions with no recipe settings, so any stage may import them without importing another
stage."""
