"""What trainers import: collators over corpusctl output. Importable without torch (used only per batch).

    from corpusctl.training import DynamicMaskingCollator
    collator = DynamicMaskingCollator.from_output("out/sample")      # vocab.txt + manifest.json
    dataset = datasets.load_from_disk("out/sample/pretrain")
    args = TrainingArguments(..., remove_unused_columns=False)        # keep the metadata columns
    trainer = Trainer(model, args, train_dataset=dataset, data_collator=collator,
                      callbacks=[collator.trainer_callback()])

For pre-drawn masks, `load_from_disk("out/sample/masked/epoch-0")` with `MaskedRowsCollator.from_output(out)`.
"""

from corpusctl.stages.mask import MaskConfig, MaskVocab
from corpusctl.training.collator import DynamicMaskingCollator, MaskedRowsCollator, pad_rows

__all__ = ["DynamicMaskingCollator", "MaskConfig", "MaskVocab", "MaskedRowsCollator", "pad_rows"]
