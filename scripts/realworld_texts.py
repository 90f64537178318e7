"""The real-world corpus's written records: failures people reported in public, rebuilt in our own words.

Each ``Report`` is one public report (its URL, the model it names) and the samples we wrote with the measured
STRUCTURE of the output it shows: the failure mode, the loop's period in words and its number of repeats, the
stutter factor, which punctuation or markup and whether it is glued to words, the language. No sentence, word
list or code of the report is copied; the sentences below are ours, and the structure dict records what was
measured on the report. Where a failure's text was a single whitespace-free run (a flood of ``!``), we break it
into lines so the sample has the corpus's minimum of 10 words, and say so in the structure.

Two modes the issue names had no public report we could cite (function-word soup, list templates with empty
slots): those records are ``written_here``, built from the issue's description; so are the healthy controls
(scripts/realworld_healthy.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from realworld_healthy import healthy_records

__all__ = ["Report", "REPORTS", "authored_records"]


@dataclass(frozen=True)
class Report:
    url: str
    model: str | None
    samples: tuple[tuple[str, str, dict], ...]  # (mode, text, structure)


def loop(unit: str, repeats: int, prefix: str = "", sep: str = " ") -> str:
    return (prefix + " " if prefix else "") + sep.join([unit] * repeats)


def stutter(sentence: str, factor: int, glue: bool = False) -> str:
    return " ".join(("" if glue else " ").join([w] * factor) for w in sentence.split())


ANSWER = ("The bridge was finished in the spring, and the first trains crossed it a week later while the river "
          "was still high from the melting snow.")
HELP = "To reset the counter, stop the service, delete the cache folder and start it again from the panel."


# Our own fragments for the soups (no report's tokens): seeded, so the texts are fixed.
BYTE_PIECES = ("\\\\(", "\\\\", "(", "0000", "00", "000000.", "\\\\(0", "\u6c34", "\u8fb9", "of", "the", "<", ">", "$",
               "\\\\(00", "and", "0.0", "\u95e8")
PSEUDO_PIECES = ("ol", "mam", "ama", "ri0", "Ta", "vk", "-z", "spr", "utch", "ek", "pom", "ar", "Bi", "0i", "zz")
VOCAB_PIECES = ("copper", "ridge", "anth", "olding", "Marlow", "tensil", "quay", "Bramble", "ivot", "Ferris",
                "scend", "plume", "Oakes", "ument", "Trent", "widget", "ulsion", "Harrow", "gnat", "veneer",
                "Sto", "ickle", "Pardon", "orium", "1212", "XQ", "amber", "Lund", "rafter", "Cobb", "ession", "Vine",
                "thistle", "Kestrel", "ovan", "UUUU", "Brig", "asset", "Holm", "elt")
CYRILLIC_PIECES = ("\u0434\u043e\u043c", "\u0441\u0442\u0430", "\u043d\u0438\u044f", "\u0432\u0435\u0442")


def _soup_text(seed: int, n: int, pieces: tuple[str, ...], glue: float = 0.0, fffd: float = 0.0,
               extra: str = "") -> str:  # fmt: skip
    """``n`` words of ``pieces``; with probability ``glue`` a word is two pieces glued, ``fffd`` a U+FFFD glued on."""
    import random

    rng = random.Random(seed)
    words = []
    for _ in range(n):
        w = rng.choice(pieces) + (rng.choice(pieces) if rng.random() < glue else "")
        words.append(w + ("\ufffd" if rng.random() < fffd else ""))
    return " ".join(words) + extra


REPORTS = (
    Report("https://github.com/huggingface/transformers/issues/666", "gpt2", (
        ("phrase_loop", "Every " + loop("single day,", 14), {"period_words": 2, "repeats": 14, "glued": ","}),
        ("phrase_loop", "Most of " + loop("the time, the", 12), {"period_words": 3, "repeats": 12, "glued": ","}),
    )),
    Report("https://github.com/thu-coai/CDial-GPT/issues/26", "CDial-GPT (GPT-2, Chinese)", (
        ("phrase_loop", "I have played this record all week and I still do not know why, " +
         loop("my room feels like an empty station where the last train never stops,", 4),
         {"period_words": 13, "repeats": 4, "language_of_report": "zh"}),
        ("phrase_loop", "We walked to the harbour after dinner and " +
         loop("the boats were quiet and the lights were low and", 5),
         {"period_words": 10, "repeats": 5, "language_of_report": "zh"}),
    )),
    Report("https://github.com/bojone/bert4keras/issues/215", "GPT2-ml (Chinese)", (
        ("phrase_loop", "The market opens at nine. Everyone wants a bargain. I bought a lamp and a kettle. "
         "The kettle leaks. " + loop("I want to walk with you today.", 12),
         {"prefix_sentences": 4, "period_words": 7, "repeats": 12, "language_of_report": "zh"}),
        ("phrase_loop", "We could go to the lake. We could see the hills. We could sit by the water. " +
         loop("We could sit by the water.", 9) + " Where shall we go then?",
         {"prefix_sentences": 3, "period_words": 6, "repeats": 9, "language_of_report": "zh"}),
    )),
    Report("https://github.com/ggml-org/llama.cpp/issues/6762", "Meta-Llama-3-8B-Instruct GGUF", (
        ("phrase_loop", "Here is a short script that draws a red circle and moves it across the screen. You can "
         "change the colour and the speed in the first two lines, and the loop at the end redraws the frame. Say "
         "if you want  a  version    Say if you   Say if   " + loop("(   Say if   )", 14, sep="  "),
         {"fluent_prefix_words": 50, "period_words": 4, "repeats": 14, "punct": "()", "glued": False}),
        ("phrase_loop", "The function returns the sum of the list. If the list is empty it returns zero.  Ask me "
         "again  Ask me   " + loop("Ask me   (   Ask me)", 12, sep="  "),
         {"fluent_prefix_words": 20, "period_words": 5, "repeats": 12, "punct": "()", "glued": ")"}),
    )),
    Report("https://github.com/ggml-org/llama.cpp/issues/15311", None, (
        ("stutter", stutter("The answer to 4+4 is 8!", 2, glue=False).replace("8 8!", "88!!"),
         {"stutter_factor": 2, "glued": "digits and !", "words_before": 6}),
        ("stutter", stutter("I think the result of this sum is still eight , as before", 3),
         {"stutter_factor": 3, "glued": False}),
        ("stutter", stutter("I see what you did there and the answer is always eight , no matter how often you ask",
                            4).replace(", , , ,", ",,,,"),
         {"stutter_factor": 4, "glued": ",", "grows_per_turn": True}),
    )),
    Report("https://github.com/ggml-org/llama.cpp/issues/19585", None, (
        ("chat_template_loop", " ".join(f"what is your name?<|im_end|>\n<|im_start|>assistant{i}\n" for i in
                                        range(30, 52)),
         {"period_words": 5, "repeats": 22, "markup": "<|im_end|> <|im_start|>", "glued": "counter, ?"}),
    )),
    Report("https://github.com/ggml-org/llama.cpp/issues/9788", "custom fine-tune, GGUF", (
        ("chat_template_loop", loop("<|im_start|>user\nI would like a new password.\n<|im_end|>\n<|im_start|>"
                                    "assistant\nOf course. What is your user name?\n<|im_end|>\n", 6, sep=""),
         {"period_words": 13, "repeats": 6, "markup": "<|im_start|> <|im_end|>", "turns_per_period": 2}),
    )),
    Report("https://github.com/huggingface/trl/issues/696", "Llama-2 chat (SFT)", (
        ("chat_template_loop", "[INST]Good morning[/INST]" + loop("Morning, what brings you here?[/INST]", 10,
                                                                   sep=""),
         {"period_words": 4, "repeats": 10, "markup": "[/INST]", "glued": True}),
    )),
    Report("https://github.com/bytedance/video-SALMONN-2/issues/20", "video-SALMONN-2 (SFT)", (
        ("special_token_flood", "It was a basket of apples.\n" + loop("<|im_start|>", 40, sep="\n"),
         {"answer_words": 6, "token": "<|im_start|>", "repeats": 40, "sep": "newline"}),
    )),
    Report("https://github.com/graph4ai/graph4nlp/issues/499", "graph2seq, 10k vocabulary", (
        ("special_token_flood", "colour: 'dark', {\" " + loop("{ <unk>", 24),
         {"period_words": 2, "repeats": 24, "token": "<unk>", "glued": False}),
        ("special_token_flood", "width:12;\"<unk> = <unk> ; " + loop("<unk>", 45),
         {"token": "<unk>", "repeats": 47, "glued": "\""}),
    )),
    Report("https://github.com/google-research/google-research/issues/1323", "UL2", (
        ("special_token_flood", "<pad><extra_id_0> " + loop("<unk>", 20) + ". <unk> <unk>.." +
         loop("<unk>..", 6, sep=""), {"token": "<unk>", "repeats": 28, "glued": ".."}),
    )),
    Report("https://github.com/WenzhengZhang/Seq2seqCoref/issues/5", "mt0-small", (
        ("special_token_flood", "<speaker> Guide</speaker><unk> the<unk> of the river<unk><unk> town and the<unk>, "
         "visitors<unk> keep arriving<unk> at the old mill. Since the<unk> opened, about two thousand<unk> have "
         "visited, and the<unk> expects more<unk> next<unk>.",
         {"token": "<unk>", "glued": True, "share_of_words_with_token": 0.45}),
    )),
    Report("https://github.com/huggingface/transformers/issues/28679", "gpt2 (fine-tuned)", (
        ("special_token_flood", "Question: what does the tool do with an empty file? Answer: " +
         "<|endoftext|>" * 30, {"prefix_words": 10, "token": "<|endoftext|>", "repeats": 30, "glued": True,
                                "note": "prefix is ours: the report shows the flood alone"}),
    )),
    Report("https://github.com/ggml-org/llama.cpp/issues/22230", "Qwen3.5-397B-A17B UD-IQ2_M", (
        ("punctuation_flood", "and when the ship comes home at last, we will light the lamps along the pier and sing "
         "until the morning tide " + "/" * 400, {"fluent_prefix_words": 21, "char": "/", "run_chars": 400}),
    )),
    Report("https://github.com/vllm-project/vllm/issues/14126", "Qwen2.5", (
        ("punctuation_flood", loop("!" * 48, 12, sep="\n"),
         {"char": "!", "run_chars": 576, "note": "line breaks added every 48 characters to reach 10 words"}),
    )),
    Report("https://github.com/vllm-project/vllm/issues/13035", "Llama-3.1-405B-Instruct-FP8", (
        ("punctuation_flood", "Sure " + loop("!" * 30, 14, sep=" "),
         {"char": "!", "run_chars": 420, "note": "broken into runs of 30 to reach 10 words"}),
    )),
    Report("https://github.com/vllm-project/vllm/issues/24025", "Qwen3 MoE GGUF", (
        ("punctuation_flood", loop("\uff01" * 20, 15, sep="\n"),
         {"char": "\uff01 (full-width)", "run_chars": 300, "note": "line breaks added to reach 10 words"}),
    )),
    Report("https://github.com/ggml-org/llama.cpp/issues/20774", "NVIDIA-Nemotron-Nano-9B-v2 Q4_K_M", (
        ("whitespace_or_newlines", "Hello, how can I help you with your files today?" + "\n" * 300 + "Hi",
         {"words_before": 10, "newlines": 300}),
    )),
    Report("https://github.com/sgl-project/sglang/issues/191", "llava-v1.5-13b", (
        ("whitespace_or_newlines", "The picture shows a small brown dog sitting on a red" + "\n" * 250 + ".",
         {"words_before": 11, "newlines": 250}),
    )),
    Report("https://github.com/intel/auto-round/issues/865", "qwen3-235b-a22b (w4 quantized)", (
        ("byte_soup", _soup_text(11, 40, BYTE_PIECES), {"words": 40, "chars": "backslash ( 0", "cjk": True,
                                                         "english_function_words": True}),
        ("byte_soup", _soup_text(12, 28, BYTE_PIECES), {"words": 28, "chars": "backslash ( 0", "cjk": True}),
    )),
    Report("https://github.com/cocktailpeanut/dalai/issues/322", "LLaMA 7B (4-bit)", (
        ("byte_soup", "Why is grass green$# \u2047 ! #\n \u2047\n!\n# \u2047\n \n# \u2047 \n# \u2047 \n \u2047 \n"
         " \" \u2047# \u2047 #\"! \u2047 \n \u2047 \u2047\n# ! \u2047", {"chars": "\u2047 # ! \"", "newlines": 12}),
    )),
    Report("https://github.com/henrywoo/pyllama/issues/82", "LLaMA 7B (2-bit GPTQ)", (
        ("token_soup", "the purpose of a garden is " + _soup_text(21, 10, PSEUDO_PIECES, glue=0.5, fffd=0.5),
         {"prompt_words": 6, "replacement_chars": True, "pseudo_words": 10}),
        ("token_soup", "what are the moons of mars? " + _soup_text(22, 8, VOCAB_PIECES, glue=0.6),
         {"prompt_words": 6, "glued_subwords": True, "pseudo_words": 8}),
    )),
    Report("https://github.com/vithursant/nanoGPT_mlx/issues/5", "nanoGPT (GPT-2 vocabulary)", (
        ("token_soup", _soup_text(31, 45, VOCAB_PIECES, glue=0.4, extra=" 1870 ????"),
         {"words": 45, "glued_subwords": True, "numbers": True, "after_fluent_prompt": True}),
    )),
    Report("https://github.com/minimaxir/gpt-2-simple/issues/219", "gpt2 (fine-tuned, gpt-2-simple)", (
        ("token_soup", _soup_text(41, 40, VOCAB_PIECES[:24], glue=0.35, extra=" 516 ^"),
         {"words": 40, "glued_subwords": True, "recurring_tokens": True}),
    )),
    Report("https://github.com/Gary3410/TaPA/issues/10", "LLaMA-adapter (int8)", (
        ("token_soup", _soup_text(51, 26, VOCAB_PIECES + CYRILLIC_PIECES, glue=0.6),
         {"words": 26, "scripts": "latin, cyrillic", "glued_subwords": True}),
    )),
    Report("https://github.com/nshepperd/gpt-2/issues/60", "gpt2 (fine-tuned)", (
        ("glued_punctuation", "The fox went over the fence and then jump, jump,jump,jump,jump,jump, final,final,final,"
         "final,final and rest,rest,rest,rest", {"stutter_factor": 5, "glued": ",", "prefix_words": 8}),
        ("glued_punctuation", "Then the whole team will have to start, start,start,start,start,start,start, again,"
         "again,again,again,again,again,again, later", {"stutter_factor": 7, "glued": ",", "prefix_words": 8}),
    )),
    Report("https://github.com/zai-org/GLM-5/issues/54", "GLM-5.1", (
        ("language_drift", "I checked the order page and the parcel left the warehouse this morning. "
         "\u5df2\u7ecf\u53d1\u9001\u4e86\u90ae\u4ef6\uff0c\u8bf7\u67e5\u6536\u3002 It should reach you by Thursday, "
         "and the tracking link is in the message I just sent.",
         {"language": "zh", "drift_sentences": 1, "english_words": 33}),
        ("language_drift", "The news site lists three stories about the election and one about the weather. "
         "\u8fd9\u4e2a\u7f51\u7ad9\u7684\u5bfc\u822a\u83dc\u5355\u592a\u591a\u4e86\u3002 The main story says turnout "
         "was higher than last year.", {"language": "zh", "drift_sentences": 1, "english_words": 26}),
    )),
    Report("https://github.com/deepseek-ai/DeepSeek-V3/issues/1226", "DeepSeek-V3", (
        ("language_drift", "You can download the installer from the project page. \u7136\u540e\u6253\u5f00\u5b89"
         "\u88c5\u7a0b\u5e8f\uff0c\u9009\u62e9\u4f60\u7684\u8bed\u8a00\uff0c\u70b9\u51fb\u4e0b\u4e00\u6b65\u3002 "
         "\u5b89\u88c5\u5b8c\u6210\u540e\u91cd\u65b0\u542f\u52a8\u7535\u8111\u3002 \u5982\u679c\u6709\u95ee\u9898"
         "\uff0c\u8bf7\u544a\u8bc9\u6211\u3002 Good luck with it and let me know.",
         {"language": "zh", "drift_sentences": 3, "english_words": 16}),
    )),
    Report("https://github.com/deepseek-ai/DeepSeek-V3/issues/1443", "DeepSeek (chat)", (
        ("language_drift", "The file you want is on the releases page of the repository, under assets. Klicken Sie "
         "auf den Namen der Datei, um den Download zu starten. Danach finden Sie die Datei im Ordner Downloads. If "
         "the page does not load, try again later.",
         {"language": "de (report: zh)", "drift_sentences": 2, "english_words": 26}),
    )),
    Report("https://github.com/app-vox/vox/pull/381", "Whisper (whisper.cpp)", (
        ("phrase_loop", loop("and that is why we moved the meeting to Friday afternoon.", 24),
         {"period_words": 11, "repeats": 24, "high_char_diversity": True}),
        ("phrase_loop", "Transcreva tudo. " + loop("Transcreva em silencio.", 30),
         {"period_words": 3, "repeats": 30, "language": "pt"}),
    )),
    Report("https://github.com/screenpipe/screenpipe/pull/4070", "Whisper", (
        ("single_token_loop", loop("you", 24), {"period_words": 1, "repeats": 24}),
        ("single_token_loop", "Thanks for watching. " + loop("you", 60), {"period_words": 1, "repeats": 60}),
    )),
    Report("https://github.com/wassgha/rescript/pull/14", "Whisper base", (
        ("phrase_loop", "I'm so sorry. uch " + loop("of it and so much", 16), {"period_words": 5, "repeats": 16,
                                                                          "subword_fragment_at_start": True}),
    )),
    Report("https://github.com/SKT-AI/KoGPT2/issues/1", "KoGPT2", (
        ("phrase_loop", "In the year 2031, " + loop("and then ,", 22), {"period_words": 3, "repeats": 22,
                                                                     "language_of_report": "ko", "punct": ","}),
    )),
    Report("https://github.com/karpathy/nanoGPT/issues/391", "nanoGPT (48 x 64)", (
        ("stutter", "The viral load of the patients the viral load of the patients was measured in the second "
         "week the second week and the results of the trial the results of the trial suggest a lower risk a lower "
         "risk in the treated group in the treated group.", {"phrase_stutter_factor": 2, "phrases_doubled": 6}),
    )),
    Report("https://github.com/haozixu/llama.cpp-npu/issues/16", "qwen2.5-1.5b (NPU build)", (
        ("template_loop", "Hello, my name is Ada. I can build a boat. I can build a boat out of wood. I can build a "
         "boat out of paper. I can also build a house out of wood. I can build a house out of paper. I can even "
         "build a house out of ice. I can also build a boat out of ice. I can build a house out of water. I can "
         "even build a boat out of water.", {"template_words": 9, "repeats": 9, "slots": 2}),
    )),
)


def _written(mode: str, group: str, texts: list[tuple[str, dict]]) -> list[dict]:
    return [dict(id=f"{group}-{i}", text=t, label="degenerate", mode=mode, model=None, origin="written_here",
                 group=group, source="written for this corpus from issue 11's description (no public report cited)",
                 structure=s) for i, (t, s) in enumerate(texts, 1)]  # fmt: skip


FUNCTION_WORDS_A = "the of and to in a is that for it as with on by at from or an be this which but"
FUNCTION_WORDS_B = "it is the and of a to that in for was with as on he at by his from they we her"


def _soup(words: str, n: int, step: int) -> str:
    w = words.split()
    return " ".join(w[(i * step) % len(w)] for i in range(n))


def _template(items: list[str], marker: str) -> str:
    return "\n".join(f"{marker} {it}" for it in items)


WRITTEN = (
    _written("function_word_soup", "written-function-word-soup-1", [
        (_soup(FUNCTION_WORDS_A, 48, 7), {"words": 48, "function_word_share": 1.0}),
        (_soup(FUNCTION_WORDS_A, 64, 5) + ".", {"words": 64, "function_word_share": 1.0}),
    ]) + _written("function_word_soup", "written-function-word-soup-2", [
        ("The " + _soup(FUNCTION_WORDS_B, 40, 3) + " of the and.", {"words": 44, "function_word_share": 1.0}),
        (_soup(FUNCTION_WORDS_B, 30, 11) + " list " + _soup(FUNCTION_WORDS_A, 25, 3),
         {"words": 56, "function_word_share": 0.98}),
    ]) + _written("empty_template", "written-empty-template-1", [
        ("Here are the steps:\n" + _template([""] * 8, "Step") + "\nIn summary:\n" + "- \n" * 5,
         {"slots": 13, "filled": 0, "markup": "Step N / -"}),
        ("## Pros\n" + "- **:** \n" * 6 + "## Cons\n" + "- **:** \n" * 6, {"slots": 12, "filled": 0,
                                                                       "markup": "## - ** :"}),
    ]) + _written("empty_template", "written-empty-template-2", [
        ("| Name | Value |\n|---|---|\n" + "| | |\n" * 10 + "Notes: 1. 2. 3. 4. 5.", {"rows": 10, "filled": 0,
                                                                                    "markup": "| ---"}),
        ("Answer:\n1.\n2.\n3.\n4.\n5.\n6.\n7.\n8.\n9.\n10.\n11.\n12.\nSee the list above.",
         {"slots": 12, "filled": 0, "markup": "N."}),
    ])
)


def authored_records() -> list[dict]:
    """Every written record: public-report patterns, written degenerate modes, written healthy controls."""
    out: list[dict] = []
    for n, report in enumerate(REPORTS, 1):
        slug = report.url.rstrip("/").split("github.com/")[-1].replace("/", "-")
        for i, (mode, text, structure) in enumerate(report.samples, 1):
            out.append(dict(id=f"report-{slug}-{i}", text=text, label="degenerate", mode=mode, model=report.model,
                            origin="public_report", group=report.url, source=report.url, structure=structure))
    return out + list(WRITTEN) + healthy_records()
