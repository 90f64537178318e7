"""The vocabularies and patterns coursekit.alarm.signals looks for: function words, special tokens, glued runs,
empty list slots. Kept apart from the signals so each list can be read, and argued with, on its own.
"""

import re

__all__ = ["FUNCTION_WORDS", "SPECIAL_TOKEN", "FOREIGN_FUNCTION_WORDS", "GLUED_REPEAT", "EMPTY_SLOT"]

# English function words (articles, pronouns, prepositions, conjunctions, auxiliaries): the words that carry
# grammar, not content. Prose holds many; a soup of them is nothing else (benchmarks/bench_realworld.py).
FUNCTION_WORDS = frozenset(
    "a an the this that these those my your his her its our their i you he she it we they me him us them "
    "who whom whose which what of in on at by for with from to into onto upon about over under between through "
    "during before after above below up down out off again and or but nor so yet if then than as because while "
    "although though is am are was were be been being have has had do does did will would shall should can could "
    "may might must not no there here when where how all any both each few more most other some such only own "
    "same too very just also".split()
)

# Special tokens and chat markup that leak into text: <unk> <pad> <s> </s> <mask> <|anything|> <extra_id_3>,
# [INST] [/INST] [UNK] [PAD] [CLS] [SEP] [MASK], U+FFFD (undecodable bytes) and U+2047 (llama.cpp's unknown).
# HTML tags (<li>, <a href=...>) are deliberately not matched: healthy technical text has them.
SPECIAL_TOKEN = re.compile(r"<\|[^|<>\s]{0,30}\|>|</?(?:unk|pad|s|mask|eos|bos)>|<extra_id_\d+>|"
                           r"\[/?(?:INST|UNK|PAD|CLS|SEP|MASK)\]|[\ufffd\u2047]")  # fmt: skip

# High-frequency function words of German, French, Spanish, Portuguese and Italian, minus those that are common
# English words too (die, an, in, so, was, will, man, no, me ...). A window of prose in one of these languages
# holds several; English holds one at most (a "de" in a name). Why not "few English words in a window": on the
# real-world corpus's dev split a tiny model's healthy babble has windows of non-words as well, so a low English
# share cannot tell drift from babble, while these words appear only when the model writes the other language.
FOREIGN_FUNCTION_WORDS = frozenset(
    "der des dem den das und ist nicht auf mit sich eine einen einem einer ein zu von für auch wird werden sie "
    "ich wir oder aber wenn dass nach bei im um es sind zum zur noch nur wie "
    "le la les une et est du pour dans qui que pas sur avec ce cette sont au aux ou vous nous il elle "
    "el los las y del por con para es se lo su como más pero muy "
    "os um uma não em do da dos das com ao pelo pela "
    "di che non per gli della delle sono".split()
)

GLUED_REPEAT = re.compile(r"(.{2,}?)\1{2,}")  # a piece of 2+ characters, then itself twice or more, glued

# A line that is only a list bullet, a number, a table row of bare pipes, a heading mark or an empty bold label.
EMPTY_SLOT = re.compile(r"\s*(?:[-*+\u2022]|\d{1,3}[.)]|(?:\|\s*)+\|?|#{1,6})?\s*(?:\*\*\s*:?\s*\*\*)?\s*:?\s*")
