"""A group's web address (`/g/<slug>`) made from its name, whatever the script.

Hangul is romanised by the Revised Romanization of Korean (국어의 로마자 표기법, 2000): each
syllable block is split into its initial, vowel and final jamo, and the commonest sound
changes across syllables are applied — a final consonant carried over to a silent ㅇ (한국어 →
hangugeo), ㄹ next to ㄹ or ㄴ (설날 → seollal, 신라 → silla), and nasalisation before ㄴ and ㅁ
(합니다 → hamnida). Latin letters lose their accents (Café → cafe). Anything else (Japanese,
emoji, …) makes no address of its own: the caller generates one.
"""
import re
import unicodedata

SYLLABLES = (0xAC00, 0xD7A3)  # 가 … 힣: 19 initials × 21 vowels × 28 finals
INITIALS = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
VOWELS = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
          "yu", "eu", "ui", "i"]
# A final consonant as said before a pause or another consonant (index 0: none).
FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
          "ng", "t", "t", "k", "t", "p", "t"]
# …and as carried over to a following silent ㅇ: 국어 → gugeo, 밝아 → balga, 좋아 → joa.
CARRIED = ["", "g", "kk", "ks", "n", "nj", "n", "d", "r", "lg", "lm", "lb", "ls", "lt", "lp", "r", "m", "b", "bs",
           "s", "ss", "ng", "j", "ch", "k", "t", "p", ""]
SILENT, RIEUL, NIEUN, MIEUM = 11, 5, 2, 6  # initials
NASAL = {"k": "ng", "t": "n", "p": "m"}  # a stop before ㄴ or ㅁ

MAX_BASE = 50  # leaves room for "-2", "-3", … within the 60 characters of an address


def _jamo(char: str) -> tuple[int, int, int] | None:
    """(initial, vowel, final) indices of a Hangul syllable, or None for anything else."""
    code = ord(char) - SYLLABLES[0]
    if not 0 <= code <= SYLLABLES[1] - SYLLABLES[0]:
        return None
    return code // 588, code // 28 % 21, code % 28


def _onset(initial: int, before: int) -> str:
    """How a syllable's initial sounds after the previous syllable's final (`before`, 0: none)."""
    if not before:
        return INITIALS[initial]
    if initial == SILENT:
        return ""  # the final moved over (CARRIED)
    if initial in (RIEUL, NIEUN) and FINALS[before] == "l" or initial == RIEUL and FINALS[before] == "n":
        return "l"  # 설날 → seollal, 신라 → silla
    if initial == RIEUL:
        return "n"  # 종로 → jongno, 국립 → gungnip
    return INITIALS[initial]


def _coda(final: int, after: int | None) -> str:
    """How a syllable's final sounds before the next syllable's initial (`after`, None: none)."""
    if final and after == SILENT:
        return CARRIED[final]
    if FINALS[final] == "n" and after == RIEUL:
        return "l"
    if FINALS[final] in NASAL and after in (NIEUN, MIEUM, RIEUL):
        return NASAL[FINALS[final]]  # 합니다 → hamnida, 국민 → gungmin
    return FINALS[final]


def romanise_word(word: str) -> str:
    """One run of Hangul syllables in Latin letters: 협동조합 → hyeopdongjohap."""
    blocks = [_jamo(char) for char in word]
    spelled = []
    for i, (initial, vowel, final) in enumerate(blocks):
        before = blocks[i - 1][2] if i else 0
        after = blocks[i + 1][0] if i + 1 < len(blocks) else None
        spelled.append(_onset(initial, before) + VOWELS[vowel] + _coda(final, after))
    return "".join(spelled)


def _latin(text: str) -> str:
    """Accented Latin letters as plain ones (é → e), full-width ones as ordinary (Ａ → A)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
NOT_ADDRESS = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """The address a name suggests: "마포 돌봄 협동조합" → "mapo-dolbom-hyeopdongjohap",
    "Café Ünion" → "cafe-union". Empty when the name holds nothing we can spell in a–z and 0–9."""
    # Hangul first: NFKD would split its syllables into jamo.
    spelled = HANGUL_RUN.sub(lambda m: f" {romanise_word(m.group())} ", name)
    words = NOT_ADDRESS.split(_latin(spelled).lower())
    slug = "-".join(word for word in words if word)
    if len(slug) > MAX_BASE:
        cut = slug[:MAX_BASE + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:MAX_BASE]
    return slug.strip("-")
