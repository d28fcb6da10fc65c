"""Reply text as patients see it on Telegram and Messenger: formatting, escaping and splitting."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.text import (
    MESSENGER_TEXT_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    split_markdown_for_telegram,
    split_text,
    to_plain,
    to_telegram_html,
    utf16_len,
)

# ---------------------------------------------------------------------------------------------
# What Telegram's HTML parser accepts

_TOKENS = re.compile(
    r'(?:[^<>&]|&(?:amp|lt|gt|quot);|</?(?:b|i|code)>|<a href="[^"<>]*">|</a>)*', re.DOTALL
)


class _TagStack(HTMLParser):
    """Fails on any tag but b, i, code and a, and on tags that are not properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in {"b", "i", "code", "a"}, f"unexpected <{tag}>"
        assert "code" not in self.stack, "nothing may be nested in <code>"
        assert not (tag == "code" and "a" in self.stack), "a link may not contain code"
        if tag == "a":
            assert "a" not in self.stack, "links may not be nested"
            assert [name for name, _ in attrs] == ["href"]
        else:
            assert attrs == []
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack.pop() == tag, f"</{tag}> closes another element"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise AssertionError(f"unexpected <{tag}/>")

    def handle_comment(self, data: str) -> None:
        raise AssertionError("unexpected comment")

    def handle_decl(self, decl: str) -> None:
        raise AssertionError("unexpected declaration")

    def handle_pi(self, data: str) -> None:
        raise AssertionError("unexpected processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise AssertionError("unexpected declaration")


def assert_well_formed(text: str) -> None:
    """Only escaped text and b/i/code/a tags, properly nested and closed."""
    assert _TOKENS.fullmatch(text), f"raw <, > or & or a broken entity in {text!r}"
    parser = _TagStack()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed {parser.stack} in {text!r}"


def visible(telegram_html: str) -> str:
    """The text a patient sees for Telegram HTML."""
    return html.unescape(re.sub(r"<[^>]*>", "", telegram_html))


def without_spaces(text: str) -> str:
    return "".join(char for char in text if not char.isspace())


def is_subsequence(needle: str, haystack: str) -> bool:
    rest = iter(haystack)
    return all(char in rest for char in needle)


# ---------------------------------------------------------------------------------------------
# Formatting


def test_bold_italic_and_code_render() -> None:
    answer = "Votre **prochaine visite** est le _12 mars_ : apportez `le carnet`."
    assert to_telegram_html(answer) == (
        "Votre <b>prochaine visite</b> est le <i>12 mars</i> : apportez <code>le carnet</code>."
    )
    assert to_plain(answer) == "Votre prochaine visite est le 12 mars : apportez le carnet."


def test_links_render_with_their_address_escaped() -> None:
    answer = 'Voir [le site de l\'étude](https://example.org/etude?a=1&b="2").'
    assert to_telegram_html(answer) == (
        'Voir <a href="https://example.org/etude?a=1&amp;b=&quot;2&quot;">le site de l\'étude</a>.'
    )
    assert to_plain(answer) == 'Voir le site de l\'étude (https://example.org/etude?a=1&b="2").'


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("[Écrivez-nous](mailto:etude@example.org)", "Écrivez-nous (mailto:etude@example.org)"),
        ("[Appelez](tel:+33123456789)", "Appelez (tel:+33123456789)"),
        ("[https://example.org](https://example.org)", "https://example.org"),
    ],
)
def test_mail_phone_and_bare_links(markdown: str, plain: str) -> None:
    assert to_plain(markdown) == plain
    assert to_telegram_html(markdown).startswith('<a href="')


def test_unsafe_link_schemes_stay_plain_text() -> None:
    answer = "[cliquez](javascript:alert(1)) [ici](data:text/html,x)"
    assert "<a" not in to_telegram_html(answer)
    assert visible(to_telegram_html(answer)) == answer
    assert to_plain(answer) == answer


def test_html_in_the_answer_is_shown_not_interpreted() -> None:
    answer = "Tapez <b>oui</b> & envoyez <script>alert('x')</script>"
    rendered = to_telegram_html(answer)
    assert rendered == (
        "Tapez &lt;b&gt;oui&lt;/b&gt; &amp; envoyez &lt;script&gt;alert('x')&lt;/script&gt;"
    )
    assert visible(rendered) == answer
    assert to_plain(answer) == answer


@pytest.mark.parametrize(
    "literal",
    [
        "2 * 3 * 4 = 24",
        "le champ snake_case_name",
        "**pas fermé",
        "un [crochet seul",
        "un ` seul",
        "****",
        "a*b*c",
        "_ espacé _",
    ],
)
def test_unmatched_or_spaced_markers_stay_literal(literal: str) -> None:
    assert to_plain(literal) == literal
    assert visible(to_telegram_html(literal)) == literal
    assert_well_formed(to_telegram_html(literal))


def test_nested_emphasis() -> None:
    assert to_telegram_html("***très***") == "<b><i>très</i></b>"
    assert to_telegram_html("**gras *et italique***") == "<b>gras <i>et italique</i></b>"
    assert to_telegram_html("[**Important** : lire](https://x.org)") == (
        '<a href="https://x.org"><b>Important</b> : lire</a>'
    )
    assert to_telegram_html("**[`code` du jour](https://x.org)**") == (
        '<b><a href="https://x.org">code du jour</a></b>'
    )


def test_bullets_numbered_lines_and_paragraphs() -> None:
    answer = "Apportez :\n- votre carte\n* vos ordonnances\n\n\n\n1. Arrivez\n2. Attendez  \n"
    expected = "Apportez :\n• votre carte\n• vos ordonnances\n\n1. Arrivez\n2. Attendez"
    assert to_telegram_html(answer) == expected
    assert to_plain(answer) == expected
    assert to_telegram_html("\r\n  \n") == ""


def test_emoji_and_accents_pass_through() -> None:
    answer = "Merci 🙏 ! L'équipe de l'**étude** 👩‍⚕️ « à bientôt »"
    assert to_telegram_html(answer) == "Merci 🙏 ! L'équipe de l'<b>étude</b> 👩‍⚕️ « à bientôt »"


def test_utf16_length_counts_as_the_platforms_do() -> None:
    assert utf16_len("") == 0
    assert utf16_len("é") == 1
    assert utf16_len("👍") == 2
    assert utf16_len("👨‍👩‍👧") == 8  # three emoji and two joiners


# ---------------------------------------------------------------------------------------------
# Splitting

_SENTENCES = [
    "Les visites de suivi ont lieu au centre de recherche clinique de l'hôpital.",
    "Vos frais de déplacement sont remboursés sur présentation des justificatifs.",
    "En cas d'effet indésirable, appelez immédiatement le numéro de l'équipe.",
    "Vous pouvez quitter l'étude à tout moment, sans avoir à vous justifier.",
    "Les prélèvements sanguins se font à jeun, avant huit heures et demie.",
]


def french_answer(characters: int) -> str:
    """A long French answer: paragraphs of five sentences, one of them with bold and a link."""
    paragraphs: list[str] = []
    while sum(len(p) + 2 for p in paragraphs) < characters:
        n = len(paragraphs)
        lead = f"**Point {n + 1}** – voir [la notice](https://example.org/notice?p={n}&v=2)."
        paragraphs.append(" ".join([lead, *_SENTENCES]))
    return "\n\n".join(paragraphs)


def test_a_long_french_answer_is_cut_between_paragraphs() -> None:
    answer = french_answer(10_000)
    assert len(answer) >= 10_000
    chunks = split_markdown_for_telegram(answer)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert utf16_len(chunk) <= TELEGRAM_TEXT_LIMIT
        assert_well_formed(chunk)
        assert chunk.startswith("<b>Point ")
    # Every cut falls on a paragraph break: together the chunks are the whole answer.
    assert "\n\n".join(chunks) == to_telegram_html(answer)


def test_a_long_french_answer_fits_messenger_cut_between_paragraphs() -> None:
    answer = to_plain(french_answer(10_000))
    chunks = split_text(answer, MESSENGER_TEXT_LIMIT)
    assert all(utf16_len(chunk) <= MESSENGER_TEXT_LIMIT for chunk in chunks)
    assert "\n\n".join(chunks) == answer


def test_emoji_heavy_text_never_exceeds_the_limit_in_utf16_units() -> None:
    answer = "Bravo 🎉🎉🎉 pour votre visite 👏👏 ! " * 300 + "🙂" * 3000
    chunks = split_text(answer, TELEGRAM_TEXT_LIMIT)
    assert len(chunks) > 1
    assert all(utf16_len(chunk) <= TELEGRAM_TEXT_LIMIT for chunk in chunks)
    assert without_spaces("".join(chunks)) == without_spaces(answer)
    html_chunks = split_markdown_for_telegram(answer)
    assert all(utf16_len(chunk) <= TELEGRAM_TEXT_LIMIT for chunk in html_chunks)


def test_an_emoji_is_never_cut_in_half() -> None:
    chunks = split_text("👍" * 25, 10)
    assert chunks == ["👍" * 5] * 5


def test_split_prefers_paragraphs_then_lines_then_sentences_then_spaces() -> None:
    assert split_text("Un deux.\n\nTrois quatre cinq", 20) == ["Un deux.", "Trois quatre cinq"]
    assert split_text("Un. Deux\ntrois quatre cinq", 20) == ["Un. Deux", "trois quatre cinq"]
    assert split_text("Un deux. Trois quatre cinq", 20) == ["Un deux.", "Trois quatre cinq"]
    assert split_text("Un deux trois quatre cinq", 20) == ["Un deux trois quatre", "cinq"]
    assert split_text("Anticonstitutionnellement", 10) == ["Anticonsti", "tutionnell", "ement"]


def test_short_and_empty_texts() -> None:
    assert split_text("  Bonjour !  ", 2000) == ["Bonjour !"]
    assert split_text(" \n\t ", 2000) == []
    assert split_text("", 2000) == []
    assert split_markdown_for_telegram("\n\n") == []
    assert split_markdown_for_telegram("**Bonjour** !") == ["<b>Bonjour</b> !"]


def test_limits_too_small_for_one_character_are_refused() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 1)
    with pytest.raises(ValueError):
        split_markdown_for_telegram("abc", 4)


def test_long_lines_are_cut_between_sentences_never_inside_a_span() -> None:
    answer = " ".join(f"Phrase {n} avec **un passage en gras {n}** et la fin." for n in range(40))
    chunks = split_markdown_for_telegram(answer, 200)
    assert len(chunks) > 1
    for chunk in chunks:
        assert utf16_len(chunk) <= 200
        assert_well_formed(chunk)
        assert chunk.startswith("Phrase ")
        assert chunk.endswith("la fin.")
    assert " ".join(chunks) == to_telegram_html(answer)


def test_a_word_longer_than_the_limit_never_breaks_an_entity() -> None:
    word = "R&D<&>" * 50
    chunks = split_markdown_for_telegram(word, 50)
    for chunk in chunks:
        assert utf16_len(chunk) <= 50
        assert_well_formed(chunk)
    assert "".join(chunks) == to_telegram_html(word)


def test_a_span_longer_than_the_limit_is_closed_and_reopened() -> None:
    answer = "**" + " ".join(["important"] * 40) + "**"
    chunks = split_markdown_for_telegram(answer, 100)
    assert len(chunks) > 1
    for chunk in chunks:
        assert utf16_len(chunk) <= 100
        assert_well_formed(chunk)
        assert re.fullmatch(r"<b>important( important)*</b>", chunk)


# ---------------------------------------------------------------------------------------------
# Properties

_MARKDOWN_TOKENS = [
    "**", "__", "*", "_", "`", "[", "]", "(", ")", "](", "[titre](https://ex.org/a_b?x=1&y=2)",
    "https://ex.org", "mailto:a@b.fr", "javascript:x", " ", "  ", "\t", "\n", "\n\n", "\r\n",
    "- ", "* ", "1. ", "mot", "é", "👍", "👩‍⚕️", "<b>", "</i>", "&", "&amp;", '"', ".", "? ", "!",
    "\u00a0", "snake_case", "[`c` t](tel:+331)",
]  # fmt: skip
markdownish = st.lists(st.sampled_from(_MARKDOWN_TOKENS), max_size=80).map("".join)
any_text = st.one_of(st.text(), markdownish)
limits = st.integers(min_value=20, max_value=200)


@given(any_text)
def test_telegram_html_is_always_well_formed(markdown: str) -> None:
    rendered = to_telegram_html(markdown)
    assert_well_formed(rendered)
    # Plain text shows the same words, plus link addresses.
    assert is_subsequence(without_spaces(visible(rendered)), without_spaces(to_plain(markdown)))


@given(any_text, limits)
def test_telegram_chunks_fit_and_are_each_well_formed(markdown: str, limit: int) -> None:
    chunks = split_markdown_for_telegram(markdown, limit)
    for chunk in chunks:
        assert chunk.strip()
        assert utf16_len(chunk) <= limit
        assert_well_formed(chunk)
    seen = without_spaces("".join(visible(chunk) for chunk in chunks))
    assert is_subsequence(without_spaces(visible(to_telegram_html(markdown))), seen)


@given(st.one_of(st.text(), st.text(alphabet="ab é👍.?!\n\t ")), limits)
def test_split_text_keeps_every_character_within_the_limit(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert without_spaces("".join(chunks)) == without_spaces(text)
    for chunk in chunks:
        assert chunk and chunk == chunk.strip()
        assert utf16_len(chunk) <= limit
