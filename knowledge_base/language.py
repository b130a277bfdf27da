"""Language detection and text normalisation for English and Chinese (simplified or traditional)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect_language(text: str) -> str:
    """'zh' when the text is mostly Chinese characters, otherwise 'en'."""
    cjk = len(_CJK.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    return "zh" if cjk and cjk >= latin_words else "en"


@lru_cache(maxsize=1)
def _converter():  # a pure function of nothing: safe to share
    from opencc import OpenCC

    return OpenCC("t2s")


def normalize(text: str) -> str:
    """Fold width and case, and map traditional Chinese characters to simplified ones."""
    text = unicodedata.normalize("NFKC", text).lower()
    if _CJK.search(text):
        text = _converter().convert(text)
    return text


__all__ = ["detect_language", "normalize"]
