"""Text delimited files (CSV and its PIPE, SEMICOLON, SPACE, TAB kin) as Step Functions reads them.

AWS developer guide, "How Step Functions parses input CSV files". Python's csv module differs
from those rules where it matters (a doubled quote outside quotes stays doubled there), so the
rules are implemented here, in one pass over the lines.
"""

from __future__ import annotations

import io
from collections.abc import Iterator


def delimited_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    """The records of a text delimited file, each a list of its fields.

    Newlines separate records, except inside double quotes, which may also hold delimiters. A
    doubled double quote is one double quote, inside quotes or not (the guide's
    `{""MyKey"":""MyValue""}` reads as `{"MyKey":"MyValue"}`). A backslash escapes the next
    character (a backslash, a double quote, the delimiter); before any other character the
    backslash is dropped. Empty lines are not records. Lines without quotes or backslashes, most
    of a large file, are split directly.
    """
    fields: list[str] = []
    field: list[str] = []
    started = False  # whether the current field has begun (a quote there opens quoting)
    quoted = False
    for line in io.StringIO(text, newline=""):
        body = line.rstrip("\r\n")
        if not quoted and '"' not in body and "\\" not in body:
            if body:
                yield body.split(delimiter)
            continue
        i, end = 0, len(body)
        while i < end:
            char = body[i]
            following = body[i + 1] if i + 1 < end else ""
            if char == "\\":
                field.append(following)
                i += 2
            elif char == '"' and following == '"' and (quoted or started):
                field.append('"')
                i += 2
            elif char == '"' and (quoted or not started):
                quoted = not quoted
                i += 1
            elif char == delimiter and not quoted:
                fields.append("".join(field))
                field, started = [], False
                i += 1
                continue
            else:
                field.append(char)
                i += 1
            started = True
        if quoted:
            field.append(line[len(body) :])  # a newline inside quotes is data
            continue
        fields.append("".join(field))
        row, fields, field, started = fields, [], [], False
        if row != [""]:
            yield row
    if quoted:  # an unclosed quote runs to the end of the file
        fields.append("".join(field))
        yield fields
