"""Bot messages from per-locale YAML templates (bot/templates/<locale>.yaml).

A template's own `**bold**` markup is parsed before anything is filled in, and every
`{value}` becomes a span of its own: customer text can never turn into markup.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.contract import Rich, Span, Style

LOCALES = ("en", "de", "id")
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_FIELD = re.compile(r"\{([a-z_]+)\}")


class Templates:
    def __init__(self, tables: dict[str, dict[str, str | list[str]]], default_locale: str) -> None:
        self._tables = tables
        self.default_locale = default_locale

    @classmethod
    def load(cls, default_locale: str = "en") -> Templates:
        tables = {}
        for locale in LOCALES:
            data = yaml.safe_load((TEMPLATE_DIR / f"{locale}.yaml").read_text(encoding="utf-8"))
            tables[locale] = data
        return cls(tables, default_locale)

    def locale_for(self, hint: str | None) -> str:
        """A supported locale from a platform hint like "de-AT"; else the default."""
        return self.supported(hint) or self.default_locale

    def supported(self, hint: str | None) -> str | None:
        """The supported locale a platform hint like "de-AT" names; None for none or
        another language."""
        if hint:
            short = hint[:2].lower()
            if short in self._tables:
                return short
        return None

    def _raw(self, key: str, locale: str) -> str | list[str]:
        table = self._tables.get(locale, self._tables[self.default_locale])
        if key in table:
            return table[key]
        return self._tables["en"][key]

    def text(self, key: str, locale: str, **values: object) -> str:
        """A template as plain text (button labels, log-free places)."""
        raw = self._raw(key, locale)
        if not isinstance(raw, str):
            raise TypeError(f"template {key} is a list")
        return _FIELD.sub(lambda m: str(values[m.group(1)]), raw.replace("**", ""))

    def render(self, key: str, locale: str, **values: object) -> Rich:
        raw = self._raw(key, locale)
        if not isinstance(raw, str):
            raise TypeError(f"template {key} is a list")
        spans: list[Span] = []
        for index, segment in enumerate(raw.split("**")):
            style = Style.BOLD if index % 2 else Style.PLAIN
            position = 0
            for match in _FIELD.finditer(segment):
                if match.start() > position:
                    spans.append(Span(segment[position : match.start()], style))
                spans.append(Span(str(values[match.group(1)]), style))
                position = match.end()
            if position < len(segment):
                spans.append(Span(segment[position:], style))
        return tuple(span for span in spans if span.text)

    def words(self, key: str, locale: str) -> list[str]:
        """A keyword list in `locale` and in English (a German speaker may write "agent"),
        never another language's: the Indonesian "admin" asks for nobody in English."""
        words: list[str] = []
        for each in dict.fromkeys((locale, "en")):
            value = self._tables.get(each, {}).get(key, [])
            if isinstance(value, list):
                words.extend(value)
        return words
