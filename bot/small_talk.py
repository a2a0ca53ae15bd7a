"""Small talk: messages the bot answers itself, never as an FAQ question nor with a ticket.

A message is small talk when all of it is made of small-talk phrases ("hi", "thanks a
lot", "ok bye") and a few filler words ("there", "kak", "zusammen"), in the
conversation's language or in English: "hi, where is my order?" is a question, and
the Indonesian "admin" says nothing in an English conversation. A command ("/help",
"!resolve") from a customer is small talk too: it gets the help text ("/start", which
Telegram sends when a chat begins, a greeting).

The built-in phrases are below; the FAQ's `small_talk:` section adds phrases and
replaces replies, per language (faq/model.py `SmallTalk`). The built-in replies are
templates (`small_talk_<kind>` in bot/templates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from faq.model import SMALL_TALK_MAX_WORDS, SmallTalk, SmallTalkKind
from faq.normalize import normalize

Kind = SmallTalkKind

_BUILT_IN: dict[str, dict[Kind, str]] = {
    "en": {
        Kind.GREETING: (
            "hi, hello, hey, hiya, howdy, greetings, good morning, good afternoon, "
            "good evening, good day, morning, yo"
        ),
        Kind.THANKS: (
            "thanks, thank you, thx, ty, cheers, many thanks, thanks a lot, much appreciated, "
            "appreciate it, okay, ok, alright, got it, great, perfect, cool, awesome, "
            "that helped, that helps"
        ),
        Kind.GOODBYE: (
            "bye, goodbye, bye bye, see you, see ya, good night, take care, have a nice day, "
            "have a good day, have a great day, later"
        ),
        Kind.ARE_YOU_A_BOT: (
            "are you a bot, are you a robot, are you an ai, are you human, are you a human, "
            "are you a person, are you a real person, are you real, is this a bot, "
            "is this a robot, is this ai, is this automated, is this a real person, "
            "is this a human, am i talking to a bot, am i talking to a human, "
            "am i talking to a person, am i talking to a real person, "
            "am i chatting with a bot, you are a bot, who are you, what are you"
        ),
        Kind.COMMANDS: "help, menu, start",
    },
    "de": {
        Kind.GREETING: (
            "hallo, guten morgen, guten tag, guten abend, moin, servus, grüß gott, grüezi, tag"
        ),
        Kind.THANKS: (
            "danke, danke schön, dankeschön, danke sehr, vielen dank, besten dank, "
            "herzlichen dank, merci, super, prima, perfekt, alles klar, passt, verstanden, "
            "das hat geholfen"
        ),
        Kind.GOODBYE: (
            "tschüss, tschau, ciao, auf wiedersehen, bis bald, bis dann, schönen tag, "
            "schönen tag noch, gute nacht, schönes wochenende"
        ),
        Kind.ARE_YOU_A_BOT: (
            "bist du ein bot, bist du ein roboter, bist du ein mensch, bist du echt, "
            "bist du eine ki, sind sie ein bot, sind sie ein mensch, ist das ein bot, "
            "ist das ein mensch, spreche ich mit einem bot, spreche ich mit einem menschen, "
            "rede ich mit einem bot, rede ich mit einem menschen, wer bist du, was bist du"
        ),
        Kind.COMMANDS: "hilfe",
    },
    "id": {
        Kind.GREETING: (
            "halo, hai, hallo, selamat pagi, selamat siang, selamat sore, selamat malam, "
            "pagi, siang, sore, malam, permisi, assalamualaikum, salam"
        ),
        Kind.THANKS: (
            "terima kasih, terimakasih, makasih, trims, oke, sip, siap, baik, mantap, sudah jelas"
        ),
        Kind.GOODBYE: "dadah, sampai jumpa, sampai nanti, selamat tinggal",
        Kind.ARE_YOU_A_BOT: (
            "apakah ini bot, ini bot, kamu bot, apakah kamu bot, kamu robot, "
            "apakah kamu robot, apakah kamu manusia, kamu manusia, ini manusia atau bot, "
            "ini orang asli, saya bicara dengan bot, siapa kamu"
        ),
        Kind.COMMANDS: "bantuan, mulai",
    },
}
# Words that may stand next to small talk but say nothing on their own.
_FILLERS: dict[str, str] = {
    "en": (
        "a, again, all, and, bot, everyone, folks, guys, lot, much, oh, ok, okay, really, "
        "so, team, there, too, very, well, yeah, yes, you"
    ),
    "de": (
        "auch, dir, euch, ihnen, ja, leute, nochmal, ok, okay, sehr, so, team, und, "
        "vielmals, zusammen"
    ),
    "id": (
        "admin, banyak, bro, bu, dong, gan, kak, kakak, mas, mbak, min, nih, ok, pak, "
        "sekali, sis, ya, yah"
    ),
}
# When a message mixes kinds ("thanks, bye"), the reply is to the first listed here.
_PRIORITY = (Kind.ARE_YOU_A_BOT, Kind.COMMANDS, Kind.GOODBYE, Kind.THANKS, Kind.GREETING)
# "/start", "!resolve", "/help@shop_bot now": a command's shape, whatever its name.
_COMMAND = re.compile(r"[/!]([^\W\d_][\w-]*)(?:@\w+)?(?:\s|$)")
# Telegram sends "/start" when someone opens a chat with the bot: a hello.
_GREETING_COMMANDS = frozenset({"start"})

_Phrases = dict[tuple[str, ...], Kind]


class Phrasebook:
    """What counts as small talk in each language, and the FAQ's own replies."""

    def __init__(self, own: Iterable[SmallTalk] = ()) -> None:
        own = tuple(own)
        phrases: dict[str, _Phrases] = {
            locale: _compile((kind, _listed(texts)) for kind, texts in kinds.items())
            for locale, kinds in _BUILT_IN.items()
        }
        self._replies: dict[tuple[Kind, str], str] = {}
        for said in own:
            for locale, texts in said.phrases.items():
                phrases.setdefault(locale, {}).update(_compile([(said.kind, texts)]))
            for locale, reply in said.reply.items():
                self._replies[said.kind, locale] = reply
        fillers = {locale: frozenset(_listed(words)) for locale, words in _FILLERS.items()}
        # Each language's phrases and fillers together with English ones, its own first.
        self._by_locale = {
            locale: (
                {**phrases["en"], **phrases[locale]},
                fillers["en"] | fillers.get(locale, frozenset()),
            )
            for locale in phrases
        }

    def recognize(self, text: str, locale: str) -> Kind | None:
        """The kind of small talk `text` is in a conversation in `locale`, or None for
        anything else (a question, a request)."""
        command = _COMMAND.match(text)
        if command is not None:
            if command.group(1).lower() in _GREETING_COMMANDS:
                return Kind.GREETING
            return Kind.COMMANDS
        words = normalize(text).split()
        if not words or len(words) > SMALL_TALK_MAX_WORDS:
            return None
        phrases, fillers = self._by_locale.get(locale) or self._by_locale["en"]
        found = _cover(words, phrases, fillers)
        if not found:
            return None
        return next(kind for kind in _PRIORITY if kind in found)

    def reply(self, kind: Kind, locale: str) -> str | None:
        """The FAQ's own reply to `kind` in `locale`; None: the built-in template."""
        return self._replies.get((kind, locale))


class Phrasebooks:
    """The phrasebook of the FAQ in service, built again only when the FAQ's
    `small_talk` section is another object (a reload)."""

    def __init__(self) -> None:
        self._source: tuple[SmallTalk, ...] = ()
        self._book = Phrasebook()

    def of(self, own: tuple[SmallTalk, ...]) -> Phrasebook:
        if own is not self._source:
            self._book = Phrasebook(own)
            self._source = own
        return self._book


def _listed(texts: str) -> list[str]:
    return [text.strip() for text in texts.split(",")]


def _compile(kinds: Iterable[tuple[Kind, Iterable[str]]]) -> _Phrases:
    return {tuple(normalize(phrase).split()): kind for kind, texts in kinds for phrase in texts}


def _cover(
    words: list[str], phrases: Mapping[tuple[str, ...], Kind], fillers: frozenset[str]
) -> set[Kind]:
    """The kinds of the phrases that, with fillers, make up all of `words` (longest
    phrase first at each place); empty when some word belongs to neither."""
    found: set[Kind] = set()
    position = 0
    while position < len(words):
        for end in range(len(words), position, -1):
            kind = phrases.get(tuple(words[position:end]))
            if kind is not None:
                found.add(kind)
                position = end
                break
        else:
            if words[position] not in fillers:
                return set()
            position += 1
    return found
