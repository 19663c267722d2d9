"""What Telegram's HTML parse mode accepts, for the fake Bot API server and the render tests.

The parser follows the Bot API server's (tdlib `parse_html`): the same tags, attribute
syntax, entity decoding and error texts ("Bad Request: can't parse entities: …"). It is
stricter in three ways, each a case where Telegram quietly alters the message rather than
refusing it, so a message that passes here is shown exactly as written:
- a bare `&` or `>` is refused (Telegram keeps it; the Bot API docs say to escape it);
- nesting the docs forbid is refused (Telegram drops the inner entity): nothing inside
  `code`, only `code` inside `pre`, no blockquote in a blockquote, no link, code, pre or
  blockquote inside a link;
- a link must have an http(s) or tg URL (Telegram drops a link it cannot parse).
Self-contained on purpose: fakes must not import the code they check.
"""

from __future__ import annotations

from dataclasses import dataclass

MESSAGE_LIMIT = 4096
_PREFIX = "Bad Request: can't parse entities: "
_SPACE = frozenset(" \t\r\n\0\v")
_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "span", "tg-spoiler", "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_URL_SCHEMES = ("http://", "https://", "tg://")


class TelegramHTMLError(ValueError):
    """Telegram's 400 answer; `str()` is the `description` the Bot API returns."""


@dataclass(frozen=True, slots=True)
class _Open:
    name: str
    offset: int


def validate_telegram_html(text: str) -> str:
    """The message text Telegram would store for `text` sent with parse_mode=HTML."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise TelegramHTMLError("Bad Request: text must be encoded in UTF-8") from None
    parsed = _Parser(text).parse().strip("".join(_SPACE))
    if not parsed:
        raise TelegramHTMLError("Bad Request: message text is empty")
    if utf16_len(parsed) > MESSAGE_LIMIT:
        raise TelegramHTMLError("Bad Request: message is too long")
    return parsed


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.out: list[str] = []
        self.open: list[_Open] = []

    def error(self, message: str) -> TelegramHTMLError:
        return TelegramHTMLError(_PREFIX + message)

    def offset(self, index: int) -> int:
        """Telegram reports positions as byte offsets into the UTF-8 text."""
        return len(self.text[:index].encode("utf-8"))

    def at(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else ""

    def parse(self) -> str:
        while self.i < len(self.text):
            char = self.text[self.i]
            if char == "&":
                self.out.append(self.entity())
            elif char == ">":
                raise self.error(f'Unescaped ">" at byte offset {self.offset(self.i)}')
            elif char != "<":
                self.out.append(char)
                self.i += 1
            elif self.at(self.i + 1) == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.open:
            name = self.open[-1].name
            raise self.error(f'Can\'t find end tag corresponding to start tag "{name}"')
        return "".join(self.out)

    def entity(self) -> str:
        begin = self.i
        decoded = self.decode_entity()
        if decoded is None:
            raise self.error(f'Unescaped "&" at byte offset {self.offset(begin)}')
        if 0xD800 <= ord(decoded) <= 0xDFFF:
            raise TelegramHTMLError(
                "Bad Request: Text contains invalid Unicode characters after decoding HTML "
                "entities, check for unmatched surrogate code units"
            )
        return decoded

    def decode_entity(self) -> str | None:
        """tdlib's decode_html_entity: numeric references and four names, `;` optional."""
        end = self.i + 1
        if self.at(end) == "#":
            end += 1
            digits = "0123456789"
            base = 10
            if self.at(end) == "x":
                end += 1
                digits += "abcdefABCDEF"
                base = 16
            start = end
            while self.at(end) and self.at(end) in digits:
                end += 1
            if end == start or end - self.i >= 10:
                return None
            code = int(self.text[start:end], base)
            if code == 0 or code >= 0x10FFFF:
                return None
            decoded = chr(code)
        else:
            start = end
            while self.at(end).isascii() and self.at(end).isalpha():
                end += 1
            name = self.text[start:end]
            if name not in _NAMED:
                return None
            decoded = _NAMED[name]
        self.i = end + 1 if self.at(end) == ";" else end
        return decoded

    def start_tag(self) -> None:
        begin = self.i
        i = begin + 1
        while self.at(i) and self.at(i) not in _SPACE and self.at(i) != ">":
            i += 1
        if not self.at(i):
            raise self.error(f"Unclosed start tag at byte offset {self.offset(begin)}")
        name = self.text[begin + 1 : i].lower()
        if name not in _TAGS:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {self.offset(begin)}')
        attributes, i = self.attributes(name, begin, i)
        self.check_attributes(name, attributes, begin)
        self.check_nesting(name, begin)
        self.open.append(_Open(name, begin))
        self.i = i + 1

    def attributes(self, name: str, begin: int, i: int) -> tuple[dict[str, str], int]:
        attributes: dict[str, str] = {}
        where = f'the tag "{name}" at byte offset {self.offset(begin)}'
        while self.at(i) != ">":
            while self.at(i) in _SPACE:
                i += 1
            if self.at(i) == ">":
                break
            if not self.at(i):
                raise self.error(f'Unclosed start tag "{name}" at byte offset {self.offset(begin)}')
            attribute_begin = i
            while self.at(i) and self.at(i) not in _SPACE and self.at(i) not in "=>":
                i += 1
            attribute = self.text[attribute_begin:i]
            if not attribute:
                raise self.error(f"Empty attribute name in {where}")
            while self.at(i) in _SPACE:
                i += 1
            if self.at(i) != "=":
                if name == "blockquote" and attribute == "expandable":
                    attributes[attribute] = ""
                    continue
                raise self.error(f"Expected equal sign in declaration of an attribute of {where}")
            i += 1
            while self.at(i) in _SPACE:
                i += 1
            if not self.at(i):
                raise self.error(f'Unclosed start tag "{name}" at byte offset {self.offset(begin)}')
            value, i = self.attribute_value(i, begin)
            attributes[attribute] = value
        return attributes, i

    def attribute_value(self, i: int, begin: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in ("'", '"'):
            token_begin = i
            while self.at(i) and (
                self.at(i) in ".-" or (self.at(i).isascii() and self.at(i).isalnum())
            ):
                i += 1
            if self.at(i) and self.at(i) not in _SPACE and self.at(i) != ">":
                offset = self.offset(token_begin)
                raise self.error(f"Unexpected end of name token at byte offset {offset}")
            if not self.at(i):
                raise self.error(f"Unclosed start tag at byte offset {self.offset(begin)}")
            return self.text[token_begin:i].lower(), i
        value: list[str] = []
        i += 1
        while self.at(i) and self.at(i) != quote:
            if self.at(i) == "&":
                self.i = i
                value.append(self.entity())
                i = self.i
            else:
                value.append(self.at(i))
                i += 1
        if not self.at(i):
            raise self.error(f"Unclosed start tag at byte offset {self.offset(begin)}")
        return "".join(value), i + 1

    def check_attributes(self, name: str, attributes: dict[str, str], begin: int) -> None:
        where = f"at byte offset {self.offset(begin)}"
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise self.error(f'Tag "span" must have class "tg-spoiler" {where}')
        if name == "a" and not attributes.get("href", "").startswith(_URL_SCHEMES):
            raise self.error(f'Tag "a" needs an http, https or tg URL in "href" {where}')

    def check_nesting(self, name: str, begin: int) -> None:
        names = [entry.name for entry in self.open]
        parent = names[-1] if names else None
        refused = (
            "code" in names
            or ("pre" in names and not (name == "code" and parent == "pre"))
            or (name == "blockquote" and "blockquote" in names)
            or (name in ("a", "code", "pre", "blockquote") and "a" in names)
        )
        if refused:
            raise self.error(
                f'"{parent}" can\'t contain "{name}" at byte offset {self.offset(begin)}'
            )

    def end_tag(self) -> None:
        begin = self.i
        if not self.open:
            raise self.error(f"Unexpected end tag at byte offset {self.offset(begin)}")
        i = begin + 2
        while self.at(i) and self.at(i) not in _SPACE and self.at(i) != ">":
            i += 1
        end_name = self.text[begin + 2 : i]
        while self.at(i) in _SPACE:
            i += 1
        if self.at(i) != ">":
            raise self.error(f"Unclosed end tag at byte offset {self.offset(begin)}")
        expected = self.open[-1].name
        if end_name and end_name != expected:
            raise self.error(
                f"Unmatched end tag at byte offset {self.offset(begin)}, "
                f'expected "</{expected}>", found "</{end_name}>"'
            )
        self.open.pop()
        self.i = i + 1
