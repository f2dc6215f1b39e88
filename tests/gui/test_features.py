"""Feature tabs are built on first show, get the model list and keep their state across runs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from playground.ui.registry import LazyTab

pytestmark = pytest.mark.gui

FEATURE_KEYS = [
    "images",
    "audio",
    "embeddings",
    "moderation",
    "compare",
    "lab",
    "platform",
    "usage",
]


def test_feature_tabs_are_built_only_when_first_shown(make_app: Any) -> None:
    app = make_app()
    host = app.controller.features
    assert app.window.tab_keys == ["chat", *FEATURE_KEYS]
    assert host.controllers == {}
    for key in FEATURE_KEYS:
        assert isinstance(app.window.tab(key), LazyTab)
    app.window.show_tab("embeddings")
    assert list(host.controllers) == ["embeddings"]
    page = app.window.tab("embeddings")
    assert host.controllers["embeddings"].view.parent() is page


def test_every_feature_builds_with_a_visible_page(make_app: Any) -> None:
    app = make_app()
    for key in FEATURE_KEYS:
        app.window.show_tab(key)
        view = app.feature(key).view
        assert view.isVisible()


def test_feature_state_is_saved_and_restored(make_app: Any, tmp_path: Any) -> None:
    from playground.ui.registry import FeatureController

    app = make_app()
    controller = app.feature("audio")

    def save_state() -> dict[str, Any]:
        return {"voice": "coral"}

    controller.save_state = save_state  # an instance override: the hook is the contract
    app.controller.save_window_state()
    saved = app.controller.store.load().tabs
    assert saved["audio"] == {"voice": "coral"}

    restored: list[dict[str, Any]] = []

    class Recorder(FeatureController):
        def restore_state(self, state: dict[str, Any]) -> None:
            restored.append(state)

    again = make_app(home=app.home)
    host = again.controller.features
    page = host.pages["audio"]
    original = page.feature
    page.feature = dataclasses.replace(  # this run's page only
        original, build=lambda ctx: Recorder(original.build(ctx).view, ctx.window)
    )
    host.controller("audio")
    assert restored == [{"voice": "coral"}]


def test_models_reach_a_feature_built_later(make_app: Any, wait_until: Any) -> None:
    from playground.ui.registry import FeatureController

    app = make_app()
    app.controller.refresh_models()
    wait_until(lambda: app.controller.features._snapshot is not None)
    seen: list[Any] = []

    class Recorder(FeatureController):
        def show_models(self, snapshot: Any) -> None:
            seen.append(snapshot)

    host = app.controller.features
    page = host.pages["images"]
    original = page.feature
    page.feature = dataclasses.replace(  # this run's page only
        original, build=lambda ctx: Recorder(original.build(ctx).view, ctx.window)
    )
    host.controller("images")
    assert len(seen) == 1
    assert seen[0] is not None
    assert seen[0].models


def test_the_start_up_table_matches_every_feature_module() -> None:
    from playground.ui.registry import FEATURE_TABLE, feature_module

    for key, title, icon, module in FEATURE_TABLE:
        feature = feature_module(module)
        assert (feature.key, feature.title, feature.icon) == (key, title, icon)
