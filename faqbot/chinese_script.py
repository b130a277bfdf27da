"""Simplified or traditional Chinese: which one a customer writes, and the bot's replies in the same one.

The knowledge base is written in simplified Chinese; a customer who writes traditional characters
(Hong Kong, Taiwan, Macau) gets the replies converted on the way out, with OpenCC.
"""

from __future__ import annotations

import re
from functools import lru_cache

SIMPLIFIED = "hans"
TRADITIONAL = "hant"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@lru_cache(maxsize=4)
def _converter(config: str):  # a pure function of its config: safe to share
    from opencc import OpenCC

    return OpenCC(config)


def detect_script(text: str) -> str | None:
    """TRADITIONAL when the text uses characters written differently in traditional Chinese, SIMPLIFIED
    when it uses simplified ones, None when it has no Chinese or only characters both scripts share."""
    chinese = "".join(_CJK.findall(text))
    if not chinese:
        return None
    if _converter("t2s").convert(chinese) != chinese:
        return TRADITIONAL
    if _converter("s2t").convert(chinese) != chinese:
        return SIMPLIFIED
    return None


def in_script(text: str, script: str | None) -> str:
    """The text as a customer writing in `script` reads it (only traditional needs converting)."""
    if script != TRADITIONAL or not text or not _CJK.search(text):
        return text
    return _converter("s2t").convert(text)
