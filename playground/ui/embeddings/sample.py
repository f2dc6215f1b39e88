"""Sample content for `--screenshot`: sixteen texts on four topics, with vectors made up locally.

The screenshot mode talks to no server, so the vectors are topic centres plus noise (seeded):
enough to show what each view looks like with real-looking structure. Nothing here is used when
the app runs normally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playground.ui.embeddings.controller import EmbeddingsController

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
SAMPLE_QUERY = "a pet having a nap"


def fill_sample(controller: EmbeddingsController) -> None:
    import numpy as np

    from playground.core.embeddings.maths import analyze, as_matrix, rank
    from playground.ui.embeddings.controller import EmbeddingResult

    rng = np.random.default_rng(7)
    dims = 256
    centres = rng.normal(size=(len(SAMPLE_TOPICS), dims))
    # Spread the topics along three directions so the 2-D map separates them, as real topics do.
    centres[:, :3] += 6 * np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    texts: list[str] = []
    rows = []
    for topic, members in enumerate(SAMPLE_TOPICS):
        for text in members:
            texts.append(text)
            rows.append(centres[topic] + 0.6 * rng.normal(size=dims))
    vectors = as_matrix(np.asarray(rows))
    analysis = analyze(vectors)
    tab = controller.tab
    model = "text-embedding-3-small"
    tab.model_combo.setCurrentText(model)
    tab.set_text("\n".join(texts))
    controller.result = EmbeddingResult(model, None, tuple(texts), vectors, analysis)
    tab.show_analysis(
        texts,
        analysis.similarity,
        analysis.projection.points,
        analysis.labels,
        analysis.projection.explained,
        analysis.pairs,
        analysis.suggested_k,
        analysis.k,
    )
    tab.set_estimate("<b>16</b> texts · nothing to send · <b>16</b> cached (free)")
    tab.show_result(
        "✓ Sent 187 tok · $0.000004 in 1 request for 16 new. 16 vectors of 1,536 numbers."
    )
    query = centres[0] + 0.9 * rng.normal(size=dims)
    tab.query_edit.setText(SAMPLE_QUERY)
    tab.show_search(SAMPLE_QUERY, rank(query.tolist(), analysis.matrix))
    tab.heatmap.hover_cell(1, 0)
    tab.heatmap.show_detail(1, 0)
    tab.clusters.hover_point(5)
