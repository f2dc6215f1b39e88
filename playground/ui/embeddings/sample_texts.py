"""The texts "Try it with sample texts" puts in the editor: sixteen texts on four topics, so a first
run shows clear clusters, pairs and search hits."""

from __future__ import annotations

SAMPLE_TOPICS: tuple[tuple[str, ...], ...] = (
    (
        "The cat curled up on the warm windowsill.",
        "A kitten naps on the rug after playing.",
        "Our dog loves long walks in the park.",
        "The puppy chewed my favourite slippers.",
    ),
    (
        "Stocks fell sharply after the rate decision.",
        "The central bank raised interest rates again.",
        "Bond yields climbed to a ten-year high.",
        "Investors moved money into safer assets.",
    ),
    (
        "Knead the dough for ten minutes, then let it rise.",
        "Roast the vegetables with olive oil and garlic.",
        "Simmer the tomato sauce until it thickens.",
        "Whisk the eggs and fold in the flour gently.",
    ),
    (
        "The striker scored twice in the second half.",
        "The team won the championship on penalties.",
        "She broke the national record in the 400 metres.",
        "The coach changed tactics at half time.",
    ),
)
