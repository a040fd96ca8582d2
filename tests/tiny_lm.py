"""A tiny randomly initialised causal LM and a BPE tokenizer trained on the spot, for tests and benchmarks.

Nothing is downloaded: the tokenizer is a byte-level BPE trained with the ``tokenizers`` library on the texts
given, the model a 2-layer Llama with random weights (seeded).
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


def make_tiny_model(folder: Path, corpus: list[str], *, chat: bool, hidden: int = 32, layers: int = 2,
                    seed: int = 0) -> Path:
    """A randomly initialised Llama (``layers`` x ``hidden``) and a byte-level BPE tokenizer trained on ``corpus``, saved to ``folder``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|pad|>", "<|bos|>", "<|eos|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>",
                                   pad_token="<|pad|>")
    if chat:
        fast.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=fast.vocab_size, hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=layers,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192,
                         pad_token_id=0, bos_token_id=1, eos_token_id=2)
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # larger weights than the default init, so the 6 answers get clearly different odds
        for p in model.parameters():
            p.mul_(8.0 if p.dim() > 1 else 1.0)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def echo_completions(folder: Path):
    """A ``/v1/completions`` handler computing prompt log-probabilities with the model in ``folder`` (as vLLM
    answers ``echo: true, logprobs: 1, max_tokens: 0``): for each prompt, its tokens (the tokenizer's defaults,
    special tokens included), their log-probabilities (None for the first), text offsets and top-1 logprobs;
    with ``max_tokens: 1`` one generated token more (the most likely one, at the prompt's end offset).
    Each prompt is one full forward pass, independent of how the client scores it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()

    def handle(body: dict) -> dict:
        prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
        assert body.get("echo") is True and body.get("max_tokens") in (0, 1), body
        choices = []
        for index, prompt in enumerate(prompts):
            enc = tok(prompt, return_offsets_mapping=True)
            ids = enc["input_ids"]
            with torch.inference_mode():
                logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
            token_logprobs = [None] + [float(logp[i - 1, t]) for i, t in enumerate(ids) if i]
            top = [None] + [{tok.decode([int(logp[i - 1].argmax())]): float(logp[i - 1].max())}
                            for i in range(1, len(ids))]
            tokens, offsets, text = [tok.decode([t]) for t in ids], [int(a) for a, _ in enc["offset_mapping"]], prompt
            if body["max_tokens"] == 1:
                new = tok.decode([int(logp[-1].argmax())])
                tokens, offsets, text = tokens + [new], offsets + [len(prompt)], prompt + new
                token_logprobs, top = token_logprobs + [float(logp[-1].max())], top + [{new: float(logp[-1].max())}]
            choices.append({"index": index, "text": text, "finish_reason": "length", "logprobs": {
                "tokens": tokens, "token_logprobs": token_logprobs, "text_offset": offsets, "top_logprobs": top}})
        return {"id": "cmpl-test", "object": "text_completion", "model": body["model"], "choices": choices,
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}

    return handle


if __name__ == "__main__":  # pragma: no cover - exercised by tests/test_docs_run.py through docs/runner.md
    import argparse

    ap = argparse.ArgumentParser(description="Build the tests' tiny random Llama (no download) into a folder.")
    ap.add_argument("out", type=Path, help="folder to write the model and tokenizer to")
    ap.add_argument("--dataset", default="./valueportrait", help="built dataset whose first prompts train the tokenizer")
    ap.add_argument("--chat", action="store_true", help="give the tokenizer a chat template")
    args = ap.parse_args()
    from valueportrait.dataset import open_dataset
    from valueportrait.runner.prompts import build_requests
    from valueportrait.scale import LIKERT

    data = open_dataset(args.dataset)
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v2"], limit=5)
    corpus = [m["content"] for r in reqs for m in r.messages] + [" " + p for p in LIKERT] * 20
    print(f"tiny model in {make_tiny_model(args.out, corpus, chat=args.chat)}")
