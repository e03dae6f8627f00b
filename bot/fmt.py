"""Formatting of single values for Slack mrkdwn: escaping user text, unbreakable code spans,
numbers and money. Used by :mod:`bot.render` and :mod:`bot.tables`; no Block Kit here."""

from __future__ import annotations

_SYMBOLS = {"USD": "$", "CNY": "¥"}


def esc(text: object) -> str:
    """``text`` safe for Slack mrkdwn: ``&``, ``<`` and ``>`` escaped (Slack's formatting rules), so
    user-derived text can never become a mention (``<!channel>``, ``<@U…>``) or a labelled link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: Stands in for a backtick inside code: Slack has no escape for one, so a real one would end the span.
BACKTICK_STAND_IN = "\u02cb"


def code(text: object) -> str:
    """``text`` as an inline code span that user text cannot break out of (escaped, no backticks)."""
    return "`" + esc(text).replace("`", BACKTICK_STAND_IN).replace("\n", " ") + "`"


def code_block(text: object) -> str:
    """``text`` as a preformatted block that user text cannot break out of."""
    return "```" + esc(text).replace("`", BACKTICK_STAND_IN) + "```"


def num(x: float) -> str:
    """A number with 4 significant digits and thousands separators (``1,234``, ``0.01235``)."""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def money(x: float, currency: str) -> str:
    """``$1.85``, ``¥13.2``, or ``1.85 EUR`` for a currency without a symbol here."""
    sym = _SYMBOLS.get(currency.upper())
    if abs(x) >= 100:
        body = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.2f}"
    elif abs(x) >= 0.1:
        body = f"{x:.2f}"
    else:
        body = f"{x:.3g}"
    return f"{sym}{body}" if sym else f"{body} {currency}"
