"""The clinic's plain-text FAQ format: read into questions and Markdown answers, or say which line is wrong.

The format: a line starting ``Q?`` opens a question; the lines after it, up to the next question, are its
answer. Answer lines are kept as written, except that the clinic's bullet lines ("  • item") become
Markdown list items ("- item"), with the blank lines around the list that Markdown needs.
"""

import re
from dataclasses import dataclass

from faq.text import QUESTION_MAX_LENGTH, normalise_question

QUESTION_PREFIX = "Q?"
FORMAT_HELP = (
    "Allowed: a question is a line starting with 'Q?'; the lines after it, up to the next question, "
    "are its answer; answer lines starting with '•' are list items; the file is UTF-8 text."
)
# The clinic writes "  • item"; other bullet characters a word processor may produce are read the same.
_BULLET = re.compile(r"^\s*[•◦‣▪●]\s?(?P<item>.*)$")


class FaqFormatError(ValueError):
    """The file breaks the format at ``line`` (1-based)."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True)
class ParsedEntry:
    question: str
    answer: str
    line: int  # the line of the question, for messages


def decode_faq(data: bytes) -> str:
    """The file's text; a byte that is not UTF-8 is reported with its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise FaqFormatError(
            line, f"byte 0x{data[error.start]:02x} is not UTF-8 text. Save the file as UTF-8. {FORMAT_HELP}"
        ) from None
    return text.removeprefix("\ufeff")


def parse_faq(text: str) -> list[ParsedEntry]:
    """All entries in file order; raises FaqFormatError on the first line that breaks the format."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    entries: list[ParsedEntry] = []
    first_seen: dict[str, int] = {}
    question, question_line, answer_lines = None, 0, []
    for number, line in enumerate(lines, start=1):
        if line.startswith(QUESTION_PREFIX):
            if question is not None:
                entries.append(_entry(question, question_line, answer_lines))
            question, question_line, answer_lines = _question(line, number, first_seen), number, []
        elif question is None:
            if line.strip():
                raise FaqFormatError(number, f"this text comes before the first question. {FORMAT_HELP}")
        else:
            answer_lines.append((number, line))
    if question is None:
        raise FaqFormatError(1, f"the file holds no question. {FORMAT_HELP}")
    entries.append(_entry(question, question_line, answer_lines))
    return entries


def _question(line: str, number: int, first_seen: dict[str, int]) -> str:
    question = normalise_question(line[len(QUESTION_PREFIX) :])
    if not question:
        raise FaqFormatError(number, f"the question is empty: write it after 'Q?'. {FORMAT_HELP}")
    if len(question) > QUESTION_MAX_LENGTH:
        raise FaqFormatError(
            number, f"the question is {len(question)} characters long; at most {QUESTION_MAX_LENGTH} allowed."
        )
    if question in first_seen:
        raise FaqFormatError(
            number,
            f"the question {question!r} is already asked on line {first_seen[question]}; "
            "each question may appear once.",
        )
    first_seen[question] = number
    return question


def _entry(question: str, line: int, numbered_lines: list[tuple[int, str]]) -> ParsedEntry:
    while numbered_lines and not numbered_lines[0][1].strip():
        numbered_lines = numbered_lines[1:]
    while numbered_lines and not numbered_lines[-1][1].strip():
        numbered_lines = numbered_lines[:-1]
    if not numbered_lines:
        raise FaqFormatError(
            line, f"the question {question!r} has no answer: write it on the lines after the question."
        )
    return ParsedEntry(question=question, answer=_markdown_lists(numbered_lines), line=line)


def _markdown_lists(numbered_lines: list[tuple[int, str]]) -> str:
    """The answer with bullet lines as Markdown list items and a blank line around each list."""
    out: list[str] = []
    in_list = False
    for number, line in numbered_lines:
        bullet = _BULLET.match(line)
        if bullet:
            item = bullet["item"]
            if not item.strip():
                raise FaqFormatError(number, f"this list item is empty. {FORMAT_HELP}")
            if not in_list and out and out[-1].strip():
                out.append("")
            out.append(f"- {item}")
            in_list = True
            continue
        if in_list and line.strip():
            out.append("")
        in_list = False
        out.append(line)
    return "\n".join(out)
