"""The release's model card, parsed once per run and shared by the card, license and openness rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from releasekit.context import Context

if TYPE_CHECKING:
    from releasekit.cardmeta.frontmatter import CardDocument

CARD_PATH = "README.md"
MEMO_KEY = "cardmeta.card"
# A card is text; anything past this is not read (and the Hub would not render it either).
MAX_CARD_BYTES = 2 * 1024 * 1024


def load_card(ctx: Context) -> CardDocument | None:
    """The parsed root README.md, or None when the release has none."""

    def compute() -> CardDocument | None:
        f = ctx.release.top_level(CARD_PATH)
        if f is None:
            return None
        from releasekit.cardmeta.frontmatter import parse_card  # YAML: only when there is a card

        return parse_card(ctx.read_text(f, MAX_CARD_BYTES), f.path)

    return ctx.memo(MEMO_KEY, compute)


def card_metadata(ctx: Context) -> dict[str, object]:
    """The card's metadata, or {} when there is no card or it has no valid metadata."""
    card = load_card(ctx)
    return dict(card.metadata) if card is not None and card.metadata is not None else {}
