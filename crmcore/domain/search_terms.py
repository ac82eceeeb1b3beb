"""What a client's name is found by: pinyin in full and by initials (首字母), and short grams.

Pure functions over pypinyin's dictionaries, no I/O. ``name_terms(name)`` gives the two texts
stored beside each client (``clients.name_pinyin`` and ``clients.name_grams``) that the search
indexes read; ``normalise_query`` turns what a user typed into what is looked up.

Readings. pypinyin's phrase dictionary decides a polyphonic character (多音字) where it forms a
known word with its neighbours: 重庆 is only ``chongqing``, 银行 only ``yinhang``. A
polyphonic character that no phrase covers gets every reading listed in
:data:`COMMON_READINGS` (长隆: ``changlong`` and ``zhanglong``), because people type either;
rare readings from the dictionary (达 as ``ti``) are left out, since indexing them would only
make false matches. At most :data:`MAX_VARIANTS` spellings are kept per name.

Speed. ``pypinyin.lazy_pinyin`` costs ~80 µs per company name; a bulk import of a million
clients cannot spend 80 s on it. The same dictionaries, converted once to toneless readings and
matched by forward maximum matching (pypinyin's default segmentation), cost a few µs.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import product

#: Polyphonic characters common in company names, with every reading people type for them
#: when no phrase decides (first is the usual one). Extend as users report misses.
COMMON_READINGS: dict[str, tuple[str, ...]] = {
    "长": ("chang", "zhang"),
    "重": ("zhong", "chong"),
    "行": ("xing", "hang"),
    "乐": ("le", "yue"),
    "厦": ("xia", "sha"),
    "朝": ("chao", "zhao"),
    "传": ("chuan", "zhuan"),
    "调": ("tiao", "diao"),
    "会": ("hui", "kuai"),
    "都": ("du", "dou"),
    "藏": ("cang", "zang"),
    "曾": ("zeng", "ceng"),
    "单": ("dan", "shan"),
    "解": ("jie", "xie"),
    "查": ("cha", "zha"),
    "沈": ("shen", "chen"),
    "盛": ("sheng", "cheng"),
    "省": ("sheng", "xing"),
    "车": ("che", "ju"),
    "区": ("qu", "ou"),
    "仇": ("chou", "qiu"),
    "参": ("can", "shen"),
}
#: Spellings kept per name (each in full and by initials).
MAX_VARIANTS = 4
#: The longest phrase looked up; pypinyin's dictionary has few longer ones.
MAX_PHRASE = 4

_TONES = str.maketrans(
    {
        **dict.fromkeys("āáǎà", "a"),
        **dict.fromkeys("ēéěèê", "e"),
        **dict.fromkeys("īíǐì", "i"),
        **dict.fromkeys("ōóǒò", "o"),
        **dict.fromkeys("ūúǔù", "u"),
        **dict.fromkeys("ǖǘǚǜü", "v"),
        **dict.fromkeys("ńňǹ", "n"),
        "ḿ": "m",
    }
)


def _toneless(reading: str) -> str:
    plain = reading.translate(_TONES)
    if plain.isascii():
        return plain
    decomposed = unicodedata.normalize("NFD", plain)
    return "".join(c for c in decomposed if c.isascii())


@cache
def _chars() -> dict[str, tuple[str, ...]]:
    """Every Han character's toneless readings, the usual one first (from pypinyin)."""
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[str, tuple[str, ...]] = {}
    for code, readings in pinyin_dict.items():
        seen = dict.fromkeys(_toneless(r) for r in readings.split(","))
        table[chr(code)] = tuple(r for r in seen if r)
    return table


@cache
def _phrases() -> dict[str, tuple[str, ...]]:
    """Phrases (2..MAX_PHRASE characters) that decide at least one polyphonic character."""
    from pypinyin.phrases_dict import phrases_dict

    chars = _chars()
    table: dict[str, tuple[str, ...]] = {}
    for phrase, readings in phrases_dict.items():
        if 2 <= len(phrase) <= MAX_PHRASE and any(len(chars.get(c, ())) > 1 for c in phrase):
            table[phrase] = tuple(_toneless(r[0]) for r in readings)
    return table


@cache
def _fast() -> tuple[re.Pattern[str], frozenset[str], dict[int, str], dict[int, str]]:
    """What lets most names skip the character-by-character walk.

    A name reads every character the usual way (which ``str.translate`` does in C) unless it
    holds a character with several common readings, or the first two characters of a phrase
    that reads some character otherwise than usual.
    """
    chars = _chars()
    several = re.compile("[" + "".join(c for c, r in COMMON_READINGS.items() if len(r) > 1) + "]")
    unusual = frozenset(
        phrase[:2]
        for phrase, syllables in _phrases().items()
        if any(chars[c][0] != r for c, r in zip(phrase, syllables, strict=True))
    )
    full = {ord(c): r[0] for c, r in chars.items() if r}
    initials = {ord(c): r[0][0] for c, r in chars.items() if r}
    return several, unusual, full, initials


_NOT_ALNUM = re.compile(r"[\W_]+")


def readings(name: str) -> list[tuple[str, ...]]:
    """Per character, the readings to index: one where a phrase decides, else the common ones.

    Characters that are not Han: ASCII letters and digits stand for themselves (lower case);
    punctuation and spaces have no reading.
    """
    chars = _chars()
    phrases = _phrases()
    n = len(name)
    found = [chars.get(c) for c in name]
    # position of the nearest polyphonic character at or after each position
    next_poly = [n] * (n + 1)
    for j in range(n - 1, -1, -1):
        f = found[j]
        next_poly[j] = j if f is not None and len(f) > 1 else next_poly[j + 1]
    out: list[tuple[str, ...]] = []
    i = 0
    while i < n:
        f = found[i]
        if f is None:
            c = name[i]
            if c.isascii() and c.isalnum():
                out.append((c.lower(),))
            i += 1
            continue
        if next_poly[i] < i + MAX_PHRASE:
            for length in range(min(MAX_PHRASE, n - i), 1, -1):
                phrase = phrases.get(name[i : i + length])
                if phrase is not None and len(phrase) == length:
                    out.extend((r,) for r in phrase)
                    i += length
                    break
            else:
                out.append(COMMON_READINGS.get(name[i], f[:1]))
                i += 1
            continue
        out.append(f[:1])
        i += 1
    return out


def spellings(name: str) -> tuple[list[str], list[str]]:
    """Pinyin spellings of ``name`` in full and by initials, at most MAX_VARIANTS of each."""
    several, unusual, full_table, initial_table = _fast()
    if not several.search(name) and unusual.isdisjoint(map(str.__add__, name, name[1:])):
        plain = _NOT_ALNUM.sub("", name.lower())
        full = plain.translate(full_table)
        if full.isascii():
            return [full], [plain.translate(initial_table)]
    per_char = readings(name)
    full_variants: list[str] = []
    initials: list[str] = []
    for combo in product(*per_char):
        full_variants.append("".join(combo))
        initials.append("".join(r[0] for r in combo))
        if len(full_variants) == MAX_VARIANTS:
            break
    return full_variants, list(dict.fromkeys(initials))


#: Marks a grams token that starts or ends a name, so one-character queries find it.
START, END = "^", "$"


def name_terms(name: str) -> tuple[str, str]:
    """(``name_pinyin``, ``name_grams``) for a client name.

    ``name_pinyin``: the spellings in full, then by initials, separated by spaces; a prefix
    search looks for `` q`` in ``' ' || lower(name) || ' ' || name_pinyin``.
    ``name_grams``: space-separated tokens for 1- and 2-character queries, which trigram
    indexes cannot answer: every adjacent pair of letters of the name and of its initials, the
    first character marked with ``^`` and the last with ``$``; a space before and after every
    token, so that ``LIKE '% zg %'`` finds a whole token.
    """
    full, initials = spellings(name)
    lowered = name.lower()
    tokens: list[str] = []
    for text in (lowered if lowered.isalnum() else _NOT_ALNUM.sub("", lowered), *initials):
        if text:
            tokens.append(START + text[0])
            tokens += map(str.__add__, text, text[1:])
            tokens.append(text[-1] + END)
    # repeated tokens are harmless to the index and cheaper than removing them
    pinyin = " ".join(full + initials) if len(full) > 1 else f"{full[0]} {initials[0]}"
    return pinyin, f" {' '.join(tokens)} "


def normalise_query(text: str) -> str:
    """What a user typed, as looked up: spaces removed (``zhong guo`` is ``zhongguo``), lower case."""
    return "".join(text.split()).lower()
