"""The FAQ's `small_talk:` section: loaded, validated with file:line, carried by a reload."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from faq.loader import FaqError, load_faq
from faq.model import SmallTalk, SmallTalkKind
from faq.reload import load_elsewhere

ENTRY = "entries:\n  - {id: a, questions: [A?], answer: A.}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(FaqError) as caught:
        load_faq(path)
    return [str(problem) for problem in caught.value.problems]


def test_replies_and_phrases_plain_or_by_locale(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        ENTRY
        + """small_talk:
  greeting:
    reply: Ahoy! Ask me about your order.
    phrases: [ahoy, ahoy there matey]
  thanks:
    reply: {en: Any time!, de: Gerne!}
  commands:
    phrases: {de: [was kannst du]}
""",
    )
    faq = load_faq(file, default_locale="en")
    assert [entry.id for entry in faq.entries] == ["a"]
    assert faq.small_talk == (
        SmallTalk(
            SmallTalkKind.GREETING,
            reply={"en": "Ahoy! Ask me about your order."},
            phrases={"en": ("ahoy", "ahoy there matey")},
            source=f"{file}:4",
        ),
        SmallTalk(
            SmallTalkKind.THANKS, reply={"en": "Any time!", "de": "Gerne!"}, source=f"{file}:7"
        ),
        SmallTalk(SmallTalkKind.COMMANDS, phrases={"de": ("was kannst du",)}, source=f"{file}:9"),
    )


def test_a_file_may_hold_only_small_talk(tmp_path: Path) -> None:
    write(tmp_path / "entries.yaml", ENTRY)
    write(tmp_path / "talk.yaml", "small_talk:\n  goodbye: {reply: See you!}\n")
    faq = load_faq(tmp_path)
    assert len(faq.entries) == 1
    assert faq.small_talk[0].kind == SmallTalkKind.GOODBYE
    assert faq.small_talk[0].reply == {"en": "See you!"}


def test_an_faq_without_small_talk_has_none(tmp_path: Path) -> None:
    assert load_faq(write(tmp_path / "faq.yaml", ENTRY)).small_talk == ()


def test_every_problem_is_named_with_its_line(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        ENTRY
        + """small_talk:
  greetings: {reply: Hi}
  thanks:
    reply: ""
    answer: Thanks!
  goodbye:
    phrases: ["!!!", one two three four five six seven eight nine]
  are_you_a_bot: {}
  commands: Type your question.
""",
    )
    assert problems_of(file) == [
        f'{file}:4: small_talk: unknown key "greetings" (did you mean "greeting"?)',
        f'{file}:7: small_talk.thanks: unknown key "answer" (expected: reply, phrases)',
        f"{file}:6: small_talk.thanks: reply is empty",
        f'{file}:9: small_talk.goodbye: phrase "!!!" has no words',
        f'{file}:9: small_talk.goodbye: phrase "one two three four five six seven eight nine"'
        " is longer than 8 words (small talk is a whole short message)",
        f"{file}:10: small_talk.are_you_a_bot: give a reply, phrases or both",
        f"{file}:11: small_talk.commands: must be a mapping with reply and/or phrases",
    ]


def test_the_section_must_be_a_mapping(tmp_path: Path) -> None:
    file = write(tmp_path / "faq.yaml", ENTRY + "small_talk: [hi, hello]\n")
    assert problems_of(file) == [
        f"{file}:3: small_talk: must be a mapping of kinds (greeting, thanks, goodbye,"
        " are_you_a_bot, commands) to reply and phrases"
    ]


def test_a_kind_given_in_two_files_names_both_places(tmp_path: Path) -> None:
    one = write(tmp_path / "one.yaml", ENTRY + "small_talk:\n  thanks: {reply: Cheers}\n")
    two = write(tmp_path / "two.yaml", "small_talk:\n  thanks: {reply: Ta}\n")
    assert problems_of(tmp_path) == [f"{two}:2: small_talk.thanks: given twice, first at {one}:4"]


async def test_a_reload_in_a_child_process_keeps_the_small_talk(tmp_path: Path) -> None:
    file = write(tmp_path / "faq.yaml", ENTRY + "small_talk:\n  greeting: {reply: Ahoy!}\n")
    faq = (await load_elsewhere(file, "en")).faq
    assert faq == load_faq(file)
    assert faq.small_talk[0].reply == {"en": "Ahoy!"}
