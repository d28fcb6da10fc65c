"""Reply text for each platform: a small Markdown subset as Telegram HTML or plain text, and splits.

Staff write answers with paragraphs (blank lines), line breaks, `**bold**` / `__bold__`,
`*italic*` / `_italic_` (markers must hug a word), inline `` `code` ``, links
`[title](https://…)` (http, https, mailto and tel only), and bullet lines starting with `- ` or
`* `. Formatting never crosses a line break. Everything else, including unmatched markers, is
literal text. Lengths are counted as the platforms count them: in UTF-16 code units.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar, assert_never

TELEGRAM_TEXT_LIMIT = 4096
MESSENGER_TEXT_LIMIT = 2000

# ---------------------------------------------------------------------------------------------
# Inline syntax tree


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Code:
    text: str


@dataclass(frozen=True)
class _Span:
    tag: Literal["b", "i"]
    children: tuple[_Node, ...]


@dataclass(frozen=True)
class _Link:
    url: str
    children: tuple[_Node, ...]


_Node = _Text | _Code | _Span | _Link

# Emphasis markers, longest first, with the tag they produce.
_MARKERS: tuple[tuple[str, Literal["b", "i"]], ...] = (
    ("**", "b"),
    ("__", "b"),
    ("*", "i"),
    ("_", "i"),
)
_MAX_DEPTH = 16  # deeper emphasis stays literal: no runaway recursion on odd input
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")
_SAFE_URL = re.compile(r"(?:https?://|mailto:|tel:)\S", re.IGNORECASE)
_BULLET = re.compile(r"(\s*)[-*][ \t]+")
_SENTENCE_END = re.compile(r"[.!?…][\"'»”’)\]]*\Z")


@dataclass(frozen=True)
class _Line:
    """One line of inline Markdown with its code spans and links found, and emphasis closers."""

    source: str
    atoms: dict[int, tuple[_Node, int]]  # start -> (code span or link, end)
    closers: dict[str, list[int]]  # marker -> sorted positions where it can close a span
    run_ends: dict[int, int]  # closer position -> end of its run of `*` or `_`


def _parse_inline(source: str, in_link: bool = False) -> list[_Node]:
    """The inline nodes of one line of Markdown (or of a link's title)."""
    atoms = _find_atoms(source, in_link)
    closers: dict[str, list[int]] = {marker: [] for marker, _ in _MARKERS}
    run_ends: dict[int, int] = {}
    for start, end in _marker_runs(source, atoms):
        for marker, position in _run_closers(source, start, end):
            closers[marker].append(position)
            run_ends[position] = end
    line = _Line(source, atoms, {m: sorted(set(p)) for m, p in closers.items()}, run_ends)
    return _parse_range(line, 0, len(source), 0)


def _find_atoms(source: str, in_link: bool) -> dict[int, tuple[_Node, int]]:
    """Code spans and links, leftmost first; their contents are not searched for emphasis."""
    atoms: dict[int, tuple[_Node, int]] = {}
    i = 0
    while i < len(source):
        found = _atom_at(source, i, in_link)
        if found is None:
            i += 1
            continue
        atoms[i] = found
        i = found[1]
    return atoms


def _atom_at(source: str, i: int, in_link: bool) -> tuple[_Node, int] | None:
    """The code span or link that starts at `i`, with its end, if there is one.

    Telegram lets a link contain neither a link nor code: in a title, code is plain text.
    """
    if source[i] == "`":
        end = source.find("`", i + 1)
        if end > i + 1:
            code = source[i + 1 : end]
            return (_Text(code) if in_link else _Code(code)), end + 1
    elif source[i] == "[" and not in_link:
        match = _LINK.match(source, i)
        if match and match[1].strip() and _SAFE_URL.match(match[2]):
            title = tuple(_parse_inline(match[1], in_link=True))
            return _Link(match[2], title), match.end()
    return None


def _marker_runs(source: str, atoms: dict[int, tuple[_Node, int]]) -> Iterator[tuple[int, int]]:
    """The runs of `*` or `_` outside code spans and links, as (start, end)."""
    i = 0
    while i < len(source):
        if i in atoms:
            i = atoms[i][1]
        elif source[i] in "*_":
            end = i
            while end < len(source) and source[end] == source[i]:
                end += 1
            yield i, end
            i = end
        else:
            i += 1


def _run_closers(source: str, start: int, end: int) -> Iterator[tuple[str, int]]:
    """The markers the run source[start:end] may close, and where: a closer follows a non-space,
    and `_`, `__` and `*` do not close inside a word."""
    if start == 0 or source[start - 1].isspace():
        return
    char, run = source[start], end - start
    in_word = end < len(source) and source[end].isalnum()
    if run >= 2 and not (char == "_" and in_word):
        yield char * 2, start
        yield char * 2, end - 2
    if run != 2 and not in_word:
        yield char, start
        yield char, end - 1


def _parse_range(line: _Line, start: int, end: int, depth: int) -> list[_Node]:
    """The inline nodes of line.source[start:end]."""
    nodes: list[_Node] = []
    literal: list[str] = []
    i = start
    while i < end:
        found = _construct_at(line, i, end, depth)
        if found is None:
            literal.append(line.source[i])
            i += 1
            continue
        if literal:
            nodes.append(_Text("".join(literal)))
            literal = []
        nodes.append(found[0])
        i = found[1]
    if literal:
        nodes.append(_Text("".join(literal)))
    return nodes


def _construct_at(line: _Line, i: int, end: int, depth: int) -> tuple[_Node, int] | None:
    """The code span, link or emphasis that starts at `i` and ends by `end`, with its end."""
    if i in line.atoms:
        return line.atoms[i]
    if depth >= _MAX_DEPTH:
        return None
    for marker, tag in _MARKERS:
        close = _closer(line, marker, i, end)
        if close is not None:
            children = _parse_range(line, i + len(marker), close, depth + 1)
            return _Span(tag, tuple(children)), close + len(marker)
    return None


def _closer(line: _Line, marker: str, i: int, end: int) -> int | None:
    """Where the emphasis opened by `marker` at `i` closes, if it opens there and closes by end."""
    source, size = line.source, len(marker)
    if not source.startswith(marker, i) or i + size >= end or source[i + size].isspace():
        return None
    if size == 1 and source[i + 1] == marker:  # part of a `**` or `__` run
        return None
    if marker != "**" and i > 0 and source[i - 1].isalnum():  # inside a word
        return None
    positions = line.closers[marker]
    k = bisect.bisect_left(positions, i + size + 1)
    if k == len(positions) or positions[k] + size > end:
        return None
    # In a run like `***`, close as late as possible: inner spans close first.
    run_end = line.run_ends[positions[k]]
    while k + 1 < len(positions) and positions[k + 1] < run_end and positions[k + 1] + size <= end:
        k += 1
    return positions[k]


# ---------------------------------------------------------------------------------------------
# Blocks: paragraphs and lines


def _paragraphs(markdown: str) -> list[list[str]]:
    """The paragraphs of `markdown`, each the list of its non-blank lines (right-stripped)."""
    paragraphs: list[list[str]] = [[]]
    for raw in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [paragraph for paragraph in paragraphs if paragraph]


def _line_parts(line: str) -> tuple[str, list[_Node]]:
    """A line's literal prefix (indentation and `• ` for a bullet) and its inline nodes."""
    bullet = _BULLET.match(line)
    if bullet is None:
        return "", _parse_inline(line)
    return bullet[1] + "• ", _parse_inline(line[bullet.end() :])


# ---------------------------------------------------------------------------------------------
# Rendering


def _escape(text: str) -> str:
    """Text safe inside Telegram HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link_open(url: str) -> str:
    """The opening tag of a link to `url`."""
    return f'<a href="{_escape(url).replace(chr(34), "&quot;")}">'


def _html(nodes: Sequence[_Node]) -> str:
    """Telegram HTML for inline nodes."""
    return "".join(_node_html(node) for node in nodes)


def _node_html(node: _Node) -> str:
    """Telegram HTML for one inline node."""
    match node:
        case _Text(text):
            return _escape(text)
        case _Code(text):
            return f"<code>{_escape(text)}</code>"
        case _Span(tag, children):
            return f"<{tag}>{_html(children)}</{tag}>"
        case _Link(url, children):
            return f"{_link_open(url)}{_html(children)}</a>"
        case _:
            assert_never(node)


def _plain(nodes: Sequence[_Node]) -> str:
    """Plain text for inline nodes."""
    return "".join(_node_plain(node) for node in nodes)


def _node_plain(node: _Node) -> str:
    """Plain text for one inline node."""
    match node:
        case _Text(text) | _Code(text):
            return text
        case _Span(_, children):
            return _plain(children)
        case _Link(url, children):
            title = _plain(children)
            return url if title == url else f"{title} ({url})"
        case _:
            assert_never(node)


def _line_html(line: str) -> str:
    """Telegram HTML for one line of Markdown."""
    prefix, nodes = _line_parts(line)
    return _escape(prefix) + _html(nodes)


def _paragraph_html(lines: Sequence[str]) -> str:
    """Telegram HTML for one paragraph of Markdown."""
    return "\n".join(_line_html(line) for line in lines)


def to_telegram_html(markdown: str) -> str:
    """Markdown as Telegram `parse_mode="HTML"` text, well-formed whatever the input."""
    return "\n\n".join(_paragraph_html(lines) for lines in _paragraphs(markdown))


def to_plain(markdown: str) -> str:
    """Markdown as plain text, for channels without markup."""
    return "\n\n".join(
        "\n".join(prefix + _plain(nodes) for prefix, nodes in map(_line_parts, lines))
        for lines in _paragraphs(markdown)
    )


# ---------------------------------------------------------------------------------------------
# Splitting plain text

_SPACE_RUN = re.compile(r"\s+")
_NON_SPACE = re.compile(r"\S")


def utf16_len(text: str) -> int:
    """The length of `text` in UTF-16 code units, as Telegram and Messenger count it."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _units(char: str) -> int:
    """UTF-16 code units of one character."""
    return 2 if ord(char) > 0xFFFF else 1


def _require_limit(limit: int, minimum: int) -> None:
    """Refuse a limit too small to hold every single character."""
    if limit < minimum:
        raise ValueError(f"limit must be at least {minimum}, not {limit}")


def shorten(title: str, limit: int) -> str:
    """`title` in at most `limit` characters, cut with "…" when longer (a button's label)."""
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Plain text in chunks of at most `limit` UTF-16 units, cut where a reader expects it."""
    _require_limit(limit, 2)
    text = text.strip()
    chunks: list[str] = []
    start = 0
    while start < len(text):
        stop = start + _fitting(text, start, limit)
        if stop == len(text):
            chunks.append(text[start:])
            break
        cut, resume = _best_cut(text, start, stop)
        chunks.append(text[start:cut])
        found = _NON_SPACE.search(text, resume)
        start = found.start() if found else len(text)
    return chunks


def _fitting(text: str, start: int, limit: int) -> int:
    """How many characters from text[start] fit in `limit` UTF-16 units."""
    units, end = 0, start
    while end < len(text):
        units += _units(text[end])
        if units > limit:
            break
        end += 1
    return end - start


def _best_cut(text: str, start: int, stop: int) -> tuple[int, int]:
    """Where the chunk text[start:…] should end (at most `stop`) and where the rest resumes.

    The best whitespace run starting in (start, stop] wins: a paragraph break, else a line
    break, else one after a sentence end, else any; the latest of equal rank. Else a hard cut.
    """
    best: tuple[int, int, int] | None = None  # (rank, run start, run end)
    for truncated in _SPACE_RUN.finditer(text, start + 1, stop + 1):
        run = _SPACE_RUN.match(text, truncated.start())
        assert run is not None
        rank = _break_rank(text, start, run)
        if best is None or rank >= best[0]:
            best = (rank, run.start(), run.end())
    if best is None:
        return stop, stop
    return best[1], best[2]


def _break_rank(text: str, start: int, run: re.Match[str]) -> int:
    """3 for a paragraph break, 2 for a line break, 1 after a sentence, 0 for a space."""
    space = run.group()
    breaks = space.count("\n") + space.count("\r") - space.count("\r\n")
    if breaks:
        return min(breaks, 2) + 1
    before = max(start, run.start() - 8)
    return 1 if _SENTENCE_END.search(text, before, run.start()) else 0


# ---------------------------------------------------------------------------------------------
# Splitting Markdown for Telegram

_Unit = TypeVar("_Unit")
_Word = tuple[_Node, ...]
_Tags = tuple[tuple[str, str], ...]  # open elements, outermost first: (opening tag, closing tag)
_Piece = tuple[str, _Tags]  # one character, escaped, and the elements around it
_MAX_PIECE = len("&amp;")


def split_markdown_for_telegram(markdown: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Markdown as Telegram HTML chunks, each well-formed and at most `limit` UTF-16 units."""
    _require_limit(limit, _MAX_PIECE)
    return _split_units(
        _paragraphs(markdown), "\n\n", limit, _paragraph_html, lambda p: _split_paragraph(p, limit)
    )


def _split_paragraph(lines: list[str], limit: int) -> list[str]:
    """A paragraph too long for one message, cut between lines."""
    return _split_units(lines, "\n", limit, _line_html, lambda line: _split_line(line, limit))


def _split_line(line: str, limit: int) -> list[str]:
    """A line too long for one message, cut between sentences, never inside a span."""
    return _split_units(
        _sentences(_words(line)), " ", limit, _sentence_html, lambda s: _split_sentence(s, limit)
    )


def _split_sentence(words: list[_Word], limit: int) -> list[str]:
    """A sentence too long for one message, cut between words."""
    return _split_units(words, " ", limit, _html, lambda word: _split_word(word, limit))


def _split_word(word: _Word, limit: int) -> list[str]:
    """A word too long for one message, cut between characters, tags closed and reopened."""
    return _pack_pieces(list(_pieces(word, (), limit)), limit)


def _split_units(
    units: Sequence[_Unit],
    separator: str,
    limit: int,
    render: Callable[[_Unit], str],
    split: Callable[[_Unit], list[str]],
) -> list[str]:
    """Units rendered and joined while they fit; a unit too long alone is split on its own."""
    chunks: list[str] = []
    batch: list[str] = []
    for unit in units:
        html = render(unit)
        if utf16_len(html) <= limit:
            batch.append(html)
            continue
        chunks += _pack(batch, separator, limit)
        batch = []
        chunks += split(unit)
    return chunks + _pack(batch, separator, limit)


def _pack(rendered: list[str], separator: str, limit: int) -> list[str]:
    """Consecutive rendered units joined by `separator` into as few chunks as fit."""
    chunks: list[list[str]] = []
    size = 0
    for html in rendered:
        length = utf16_len(html)
        if chunks and size + len(separator) + length <= limit:
            chunks[-1].append(html)
            size += len(separator) + length
        else:
            chunks.append([html])
            size = length
    return [separator.join(chunk) for chunk in chunks]


def _words(line: str) -> list[_Word]:
    """The words of a line: nodes between top-level whitespace; the bullet joins the first."""
    prefix, nodes = _line_parts(line)
    words: list[list[_Node]] = [[]]
    for node in nodes:
        if not isinstance(node, _Text):
            words[-1].append(node)
            continue
        for k, part in enumerate(_SPACE_RUN.split(node.text)):
            if k:
                words.append([])
            if part:
                words[-1].append(_Text(part))
    found = [word for word in words if word]
    if prefix and found:
        found[0].insert(0, _Text(prefix))
    return [tuple(word) for word in found]


def _sentences(words: list[_Word]) -> list[list[_Word]]:
    """Words grouped into sentences."""
    sentences: list[list[_Word]] = [[]]
    for word in words:
        sentences[-1].append(word)
        if _SENTENCE_END.search(_plain(word)):
            sentences.append([])
    return [sentence for sentence in sentences if sentence]


def _sentence_html(words: list[_Word]) -> str:
    """Telegram HTML for a sentence."""
    return " ".join(_html(word) for word in words)


def _pieces(nodes: Sequence[_Node], tags: _Tags, limit: int) -> Iterator[_Piece]:
    """Each character of `nodes`, escaped, with its elements; an element whose tags leave no
    room for a character within `limit` is dropped (a link then shows as `title (url)`)."""
    for node in nodes:
        match node:
            case _Text(text):
                yield from ((_escape(char), tags) for char in text)
            case _Code(text):
                inner = _nest(tags, ("<code>", "</code>"), limit)
                yield from ((_escape(char), inner) for char in text)
            case _Span(tag, children):
                yield from _pieces(children, _nest(tags, (f"<{tag}>", f"</{tag}>"), limit), limit)
            case _Link(url, children):
                inner = _nest(tags, (_link_open(url), "</a>"), limit)
                if inner == tags:
                    yield from _pieces([_Text(_node_plain(node))], tags, limit)
                else:
                    yield from _pieces(children, inner, limit)
            case _:
                assert_never(node)


def _nest(tags: _Tags, tag: tuple[str, str], limit: int) -> _Tags:
    """`tags` with `tag` inside, if a character still fits with all of them."""
    nested = (*tags, tag)
    overhead = sum(utf16_len(opening) + utf16_len(closing) for opening, closing in nested)
    return nested if overhead + _MAX_PIECE <= limit else tags


def _pack_pieces(pieces: list[_Piece], limit: int) -> list[str]:
    """Pieces rendered into chunks within `limit`, cut at the last space that fits if any."""
    chunks: list[str] = []
    start = _skip_spaces(pieces, 0)
    while start < len(pieces):
        stop = _fitting_pieces(pieces, start, limit)
        resume = stop
        if stop < len(pieces):
            space = _last_space(pieces, start, stop)
            if space is not None:
                stop, resume = space, space + 1
        chunks.append(_render_pieces(pieces[start:stop]))
        start = _skip_spaces(pieces, resume)
    return chunks


def _skip_spaces(pieces: list[_Piece], start: int) -> int:
    """The first piece from `start` that is not whitespace."""
    while start < len(pieces) and pieces[start][0].isspace():
        start += 1
    return start


def _fitting_pieces(pieces: list[_Piece], start: int, limit: int) -> int:
    """The end of the longest run of pieces from `start` that renders within `limit` (≥ 1)."""
    body, end = 0, start
    open_tags: _Tags = ()
    while end < len(pieces):
        text, tags = pieces[end]
        body += utf16_len(_transition(open_tags, tags)) + utf16_len(text)
        if end > start and body + utf16_len(_transition(tags, ())) > limit:
            break
        open_tags, end = tags, end + 1
    return end


def _last_space(pieces: list[_Piece], start: int, stop: int) -> int | None:
    """The last whitespace piece in (start, stop], where a chunk may end."""
    for k in range(stop, start, -1):
        if pieces[k][0].isspace():
            return k
    return None


def _render_pieces(pieces: Sequence[_Piece]) -> str:
    """Pieces as HTML, opening and closing elements where they change."""
    out: list[str] = []
    open_tags: _Tags = ()
    for text, tags in pieces:
        out += [_transition(open_tags, tags), text]
        open_tags = tags
    out.append(_transition(open_tags, ()))
    return "".join(out)


def _transition(old: _Tags, new: _Tags) -> str:
    """The closing and opening tags that turn elements `old` into `new`."""
    common = 0
    while common < min(len(old), len(new)) and old[common] == new[common]:
        common += 1
    closing = "".join(closing for _, closing in reversed(old[common:]))
    return closing + "".join(opening for opening, _ in new[common:])
