"""Which of the bot's languages (en, de, id) a customer's message is written in.

A word-list method: common function words and support words of each language, plus a
few spellings only one of them has (umlauts and ß for German; the -nya and -kan
endings and meng-/peng- prefixes for Indonesian). Words that several of the languages
use ("in", "so", "hi", "admin", "ok") count for none. It needs no dependency, takes
microseconds, and is measured in tests/bot/test_language.py.

Short messages often say nothing ("ok", "PayPal?"); then the conversation keeps the
language it has (`follow`), and an established language changes only on clear evidence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from faq.normalize import normalize

LANGUAGES = ("en", "de", "id")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_EN = _word_set(
    """
    a about after again all am an and any anyone anything are arrive arrived at back be
    been before bought but buy by can cancel cant change could delivery did didnt do
    does doesnt dont each else every for from get got had has have havent hello help here
    how i if im is isnt it its ive just know last like long many me more much must my need
    never new next not now of off on one only or order other our out over paid pay please
    received return right send sent should since some still than thank thanks that the
    their them then there these they thing this those through to today too tried try two
    until up us use used very want wanted was wasnt way we were what whats when where which
    while who why will with without wont work would wrong yes yet you your youre
    """
)
_DE = _word_set(
    """
    aber alle alles als am an andere anderen auch auf aus bei beim bestellt bestellung bin bis
    bitte bleibt da dabei dafur damit danke dann darf das dass dein deine deinen dem den
    denn der des dich die dies diese diesem diesen dieser dir doch dort du durch eine einem
    einen einer eines er erhalten es etwas euch eure euren fur gibt ging gut guten habe
    haben hallo hat hatte heute hier ich ihm ihn ihr ihre ihren ist ja jetzt kann kannst
    kein keine keinen konnen konnt konnte leider lieber liefern lieferung mal mehr mein
    meine meinem meinen meiner mich mir mit mochte muss mussen nach nein nicht nichts noch
    nur oder ohne schon sehr sein seit sich sie sind soll sollte sonst uber uhr um und uns
    unser unsere viel vielen vom von vor warum was weil welche welcher wenn werden wie
    wieder will wir wird wo woche wurde wurden zu zum zur zuruck
    """
)
_ID = _word_set(
    """
    ada adalah agar akan aku akun alamat anda apa apakah atau bagaimana bagi baik banyak
    barang baru bayar beli belum berapa bisa boleh buat bukan cara cepat dalam dan dapat
    dari dengan di dia dimana dong dulu gak gimana hari harga harus ingin ini itu jadi jam
    jika juga kak kalau kalo kami kamu kapan karena kasih ke kembali kenapa kirim kok kode
    lagi lama lewat lupa makasih mana masih mau melalui mengapa min minggu mohon nggak nya
    pada pak pesan pesanan pembayaran pengiriman saja sama sampai saya sebelum sedang
    sejak selamat semua sendiri siapa sih silakan sudah supaya tapi tanggal terima tersedia
    tetapi tidak tolong toko uang udah untuk yang
    """
)
_WORDS = {"en": _EN, "de": _DE, "id": _ID}
_GERMAN_LETTERS = frozenset("äöüß")
_ID_PREFIXES = ("meng", "meny", "peng", "peny", "memb", "memp")
_ID_SUFFIXES = ("nya", "kan")
_ID_CLITICS = ("nya", "lah", "kah")
_DE_SUFFIXES = ("ung", "keit", "heit", "lich", "schaft", "chen")
_TOKEN = re.compile(r"\w+")
# A hint from a word's spelling counts half a known word.
_SPELLING = 0.5
# What an established language must be outscored by before it changes.
SWITCH_MARGIN = 2.0


@dataclass(frozen=True)
class Scores:
    """Evidence for each language in one message (known words count 1 each)."""

    en: float = 0.0
    de: float = 0.0
    id: float = 0.0

    def of(self, language: str) -> float:
        value: float = getattr(self, language)
        return value

    def best(self) -> str | None:
        """The language with the most evidence, when it leads every other by a word or more."""
        ranked = sorted(LANGUAGES, key=self.of, reverse=True)
        first, second = ranked[0], ranked[1]
        if self.of(first) - self.of(second) >= 1.0:
            return first
        return None


def score(text: str) -> Scores:
    """How much each language's words and spellings appear in `text`."""
    totals = dict.fromkeys(LANGUAGES, 0.0)
    lowered = unicodedata.normalize("NFC", text).casefold()
    for raw in _TOKEN.findall(lowered):
        if raw.isdigit():
            continue
        word = normalize(raw) if not raw.isascii() else raw
        known = False
        for language in LANGUAGES:
            if word in _WORDS[language]:
                totals[language] += 1.0
                known = True
        if not known and word.endswith(_ID_CLITICS):
            # "barangnya", "apakah": an Indonesian word with its clitic
            stem = word[:-3]
            if stem in _ID:
                totals["id"] += 1.0
                known = True
        if known:
            continue
        if _GERMAN_LETTERS.intersection(raw):
            totals["de"] += 1.0
        elif len(word) >= 6 and (word.endswith(_ID_SUFFIXES) or word.startswith(_ID_PREFIXES)):
            totals["id"] += _SPELLING
        elif len(word) >= 6 and word.endswith(_DE_SUFFIXES):
            totals["de"] += _SPELLING
    return Scores(**totals)


def detect(text: str) -> str | None:
    """The language `text` is written in, or None when it does not tell."""
    return score(text).best()


def follow(text: str, current: str, *, settled: bool) -> str:
    """The conversation's language after the customer wrote `text`.

    `current` is the language it has; `settled` says whether that came from evidence
    (earlier messages) rather than from the default. A new conversation takes whatever
    `detect` finds; a settled one changes only when another language outscores its
    own by `SWITCH_MARGIN` ("danke" alone keeps an English conversation English, "Wo ist
    meine Bestellung?" makes it German).
    """
    scores = score(text)
    found = scores.best()
    if found is None or found == current:
        return current
    if not settled or scores.of(found) - scores.of(current) >= SWITCH_MARGIN:
        return found
    return current
