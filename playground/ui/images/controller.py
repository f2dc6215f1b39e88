"""The Images tab's controller: view intents -> checks -> `ImageService` -> gallery and ledger.

Every finished picture is written to the library the moment `ImageService` hands it over, before
anything else happens, so a later failure, a Stop or a crash cannot lose it. The request's usage and
cost go to the ledger (`Endpoint.IMAGES`) and into the pictures' sidecars once the request ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QIODevice, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QFileDialog

from playground.core.api.capabilities import ModelKind
from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.retirements import retired_error
from playground.core.images.caps import (
    ImageRequest,
    Mode,
    Problem,
    UploadImage,
    check_request,
    estimate_usage,
    image_spec,
)
from playground.core.images.library import ImageLibrary, LibraryError, LibraryItem
from playground.core.images.service import (
    GeneratedImage,
    ImageProgress,
    ImageResult,
    ImageService,
    PolicyRefusal,
)
from playground.core.models import Endpoint, ModelInfo, RequestStatus, Usage
from playground.core.money.formatting import format_cost, format_duration_ms
from playground.ui.common.countdown import Countdown
from playground.ui.common.feature import FeatureController
from playground.ui.images.gallery import ImageView
from playground.ui.images.tab import ImagesTab

if TYPE_CHECKING:
    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.api.session import ApiSession
    from playground.core.money.accounting import Accounting
    from playground.core.money.tokens import TokenCounter
    from playground.core.storage.settings import Settings
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)

GROUP = "images"
LOAD_GROUP = "images-load"
THUMB_GROUP = "images-thumbs"
#: GPT image models read prompts with GPT-4o's tokenizer (o200k_base).
PROMPT_ENCODING_MODEL = "gpt-4o"
THUMB_SIDE = 160  # shown at 96 px: sharp on HiDPI, small in memory
_KEEP = Qt.AspectRatioMode.KeepAspectRatio
_SMOOTH = Qt.TransformationMode.SmoothTransformation


@dataclass
class Source:
    """A source picture: the original bytes (re-converted when the model changes) and the upload."""

    name: str
    original: bytes
    upload: UploadImage


@dataclass
class _Job:
    """One running request: what was sent, what arrived, and the pictures saved so far."""

    request: ImageRequest
    progress: ImageProgress
    items: dict[int, LibraryItem]
    source_names: tuple[str, ...] = ()


class ImagesController(FeatureController):
    """Runs the Images tab.

    Args:
        view: the tab it runs.
        service: sends the requests.
        library: where every picture is saved (and the gallery is read from).
        session: the provider profile (names the pictures' provider, picks the prices).
        accounting: prices the estimate.
        counter: counts the prompt's tokens for the estimate.
        counters: writes the ledger rows and shows them in the status bar.
        runner: runs the requests and the blocking work.
        parent: the controller's QObject parent (the window).
        today: what day it is (judges which models are retired; tests pass a fixed date).
    """

    busy_groups = (GROUP,)
    picture_saved_elsewhere = Signal()  # another tab saved a picture in the library (any thread)

    def __init__(
        self,
        view: ImagesTab,
        service: ImageService,
        library: ImageLibrary,
        session: ApiSession,
        accounting: Accounting,
        counter: TokenCounter,
        counters: CountersController,
        runner: TaskRunner,
        parent: QObject | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(view, parent)
        self.today = today
        self.view: ImagesTab = view
        self.session = session
        self.accounting = accounting
        self.counter = counter
        self.counters = counters
        self.runner = runner
        self.service = service
        self.library = library
        self.sources: list[Source] = []
        self._job: _Job | None = None
        self._models: list[str] = []
        self._listed: tuple[ModelInfo, ...] | None = None  # the model list, with shutdown dates
        self._wanted_model = ""
        self._query = ""
        self._thumbs: dict[str, QPixmap] = {}
        self._thumb_failed: set[str] = set()
        self._last_error: AppError | None = None
        self._restored: dict[str, Any] | None = None
        self._retry = Countdown(self)
        self._retry.changed.connect(self._show_retry)
        self._retry.text_changed.connect(self._show_retry_text)
        # The shown failure whose wait the countdown keeps current: (field, kept suffix, details).
        self._retry_shown: tuple[str, str, str] | None = None
        # The upload rules the sources were converted for (formats, square, byte limit).
        self._source_rules: tuple[object, ...] = ()

        v = self.view
        v.generate_requested.connect(self.generate)
        v.stop_requested.connect(self.stop)
        v.options_changed.connect(self._refresh_checks)
        v.model_changed.connect(self._on_model_changed)
        v.mode_changed.connect(lambda _m: self._on_mode_changed())
        v.files_dropped.connect(self.add_source_files)
        v.image_pasted.connect(self._on_image_pasted)
        v.source_removed.connect(self.remove_source)
        v.add_files_requested.connect(self._on_add_files)
        v.result_activated.connect(lambda item_id: self.on_gallery_action("open", item_id))
        v.gallery_search_changed.connect(self._on_search)
        v.gallery_action_requested.connect(self.on_gallery_action)
        v.gallery_undo_requested.connect(self.undo_delete)
        self.runner.busy_changed.connect(self._on_busy_changed)
        v.set_thumbnail_source(self._thumbs.get)
        v.set_variations_available(False)
        self._load_library()
        self._refresh_checks()
        self.picture_saved_elsewhere.connect(self._show_saved_elsewhere)
        library.add_listener(self._on_library_add)

    def _on_library_add(self, item: LibraryItem) -> None:
        if item.meta.get("from_tab"):  # a picture from another tab (a Chat answer's drawing)
            with contextlib.suppress(RuntimeError):  # this controller is gone (app closing)
                self.picture_saved_elsewhere.emit()

    def _show_saved_elsewhere(self) -> None:
        self._on_search(self._query)

    # --- models ----------------------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        # Retired models are listed (the picker hides them unless "Show retired" is ticked); the
        # default is the newest image model with no shutdown date, never a retired one.
        picker = snapshot.picker(ModelKind.IMAGE, self.today()) if snapshot is not None else None
        self._listed = snapshot.models if snapshot is not None else None
        shows_retired = self.view.model_combo.shows_retired()
        models = picker.ids(shows_retired) if picker is not None else []
        self._models = models
        wanted = self._wanted_model or self.view.model()
        current = picker.pick(wanted, shows_retired) if picker is not None else wanted
        default = picker.default.model if picker is not None and picker.default else ""
        self.view.set_models(list(picker.choices) if picker else [], current, default)
        variations = any(image_spec(m).variations for m in models)
        self.view.set_variations_available(variations)
        self._on_model_changed(self.view.model())
        if self._restored is not None:  # options the last model offered, now that it is back
            restored, self._restored = self._restored, None
            self.view.set_options(restored)

    def apply_settings(self, settings: Settings) -> None:  # noqa: ARG002 (prices are read per call)
        """Another provider or other prices: the estimate is shown again."""
        self._refresh_checks()

    def _on_model_changed(self, model: str) -> None:
        if model:
            self._wanted_model = model
        spec = image_spec(model)
        self.view.set_spec(spec)
        self.view.set_mode_enabled(
            "edit", spec.edit or not model, "This model cannot edit pictures."
        )
        if self.view.mode() == "variation" and not spec.variations and model:
            self.view.show_error(
                f"{model} cannot make variations; pick a model that can.", field="model"
            )
        self._reprepare_sources()
        self._refresh_checks()

    def _on_mode_changed(self) -> None:
        mode = self.view.mode()
        current = self.view.model()
        if not image_spec(current).supports(mode):
            # Only some models edit or vary pictures: switch to the first listed one that does.
            able = [m for m in self._models if image_spec(m).supports(mode)]
            if able:
                self.view.set_model(able[0])
                return  # the model change re-checks everything
        self.view.set_spec(image_spec(current))
        self._reprepare_sources()
        self._refresh_checks()

    # --- the request -----------------------------------------------------------------------------

    def _painted_mask(self) -> tuple[bytes, int, int] | None:
        """The painted coverage and its size, or None when nothing is painted (or not editing)."""
        if self.view.mode() != "edit" or not self.sources:
            return None
        return self.view.painted_mask()

    def _refresh_checks(self) -> None:
        """Re-checks the form (messages next to controls) and re-estimates the cost."""
        request = self._light_request()
        problems = check_request(request)
        # A missing prompt or picture is not an error until the user tries to send; an over-long
        # prompt or a size the model cannot make is, at once.
        waiting = {"prompt"} if not request.prompt.strip() else set()
        if not request.images:
            waiting.add("images")
        shown: dict[str, str] = {p.field: p.message for p in problems if p.field not in waiting}
        if "images" not in shown and self.view.problem_text("images"):
            shown["images"] = self.view.problem_text("images")  # a file that could not be used
        self.view.show_problems(shown)
        self.view.set_estimate(self._estimate_text(request))

    def _light_request(self) -> ImageRequest:
        """The request without exporting the mask (cheap enough for every keystroke)."""
        options = self.view.options()
        return ImageRequest(
            mode=self.view.mode(),
            model=self.view.model(),
            images=tuple(s.upload for s in self.sources),
            **options,
        )

    def _estimate_text(self, request: ImageRequest) -> str:
        if not request.model:
            return "Pick a model to see the cost."
        usages = estimate_usage(request, self._prompt_tokens(request))
        n = max(request.n, 1)
        what = f"{n} picture{'s' if n != 1 else ''}"
        if not usages:
            return f"Cost of {what}: unknown for this model (no price in the table)."
        provider = self.session.profile.price_provider
        costs = [self.accounting.pricer.cost(request.model, u, provider) for u in usages]
        if any(c is None for c in costs):
            return f"Cost of {what}: unknown (no price for {request.model})."
        known = [c for c in costs if c is not None]
        if len(known) == 1:
            return f"≈ {format_cost(known[0])} for {what}"
        return (
            f"≈ {format_cost(min(known))} – {format_cost(max(known))} for {what} "
            "(quality Auto: low to high)"
        )

    def _prompt_tokens(self, request: ImageRequest) -> int | None:
        counter = self.counter
        try:
            # Counted only when it cannot block (short text, encoding already loaded); the
            # estimate falls back to about four characters a token otherwise.
            if len(request.prompt) <= 4000 and counter.is_loaded(PROMPT_ENCODING_MODEL):
                return int(counter.count(request.prompt, PROMPT_ENCODING_MODEL))
        except Exception:  # the estimate falls back to characters
            log.debug("prompt count failed", exc_info=True)
        return None

    def generate(self) -> None:
        """Checks the request and sends it (Generate, Ctrl+Enter)."""
        if self.runner.is_busy(GROUP):
            return
        self.view.hide_error()
        self._retry_shown = None
        self._last_error = None
        request = self._light_request()
        painted = self._painted_mask()
        problems = check_request(request)
        if painted is not None and request.images:
            first = request.images[0]
            if painted[1:] != (first.width, first.height):  # cannot happen: painted on it
                problems.append(Problem("mask", "The mask no longer fits the picture: clear it."))
        if problems:
            self.view.show_problems({p.field: p.message for p in problems})
            first_problem = problems[0]
            self.view.set_status(f"Not sent: {first_problem.message}")
            return
        self.view.show_problems({})
        names = tuple(s.name for s in self.sources) if request.mode != "generate" else ()
        job = _Job(request, ImageProgress(), {}, names)
        self._job = job
        count = max(request.n, 1)
        self.view.begin_results(count)
        self.view.set_status(
            f"Sending to {request.model}…"
            + (" Partial pictures will sharpen in place." if request.streams else "")
        )

        async def _send() -> ImageResult:
            if painted is not None:
                # Encoding a large mask takes tens of milliseconds: not on the GUI thread.
                from playground.core.images.files import mask_png

                mask = await self.runner.run_blocking(mask_png, *painted)
                job.request = dataclasses.replace(job.request, mask=mask)
            return await self.service.run(
                job.request,
                lambda slot, index, data: self._on_partial(job, slot, index, data),
                lambda image: self._on_image(job, image),
                job.progress,
            )

        self.runner.start(
            _send(),
            group=GROUP,
            on_result=lambda result: self._on_done(job, result),
            on_error=lambda error: self._on_failed(job, error),
            on_cancel=lambda: self._on_cancelled(job),
        )

    def stop(self) -> None:
        self.runner.cancel(GROUP)

    def _on_busy_changed(self, group: str, busy: bool) -> None:
        if group == GROUP:
            self.view.set_busy(busy)

    # --- arrivals --------------------------------------------------------------------------------

    def _on_partial(self, _job: _Job, slot: int, index: int, data: bytes) -> None:
        pixmap = _pixmap(data)
        if not pixmap.isNull():
            self.view.show_partial(slot, index, pixmap)
        self.view.set_status(f"Picture {slot + 1}: partial {index + 1} arrived…")

    def _on_image(self, job: _Job, image: GeneratedImage) -> None:
        """Saves the picture at once, then shows it."""
        request = job.request
        size = _pixmap(image.data)
        meta: dict[str, Any] = {
            "mode": request.mode,
            "model": request.model,
            "prompt": request.prompt if request.mode != "variation" else "",
            "revised_prompt": image.revised_prompt,
            "params": request.params(),
            "index": image.slot,
            "n": request.n,
            "width": size.width() if not size.isNull() else None,
            "height": size.height() if not size.isNull() else None,
            "format": image.extension,
            "from_link": image.from_url,
            "sources": list(job.source_names),
            "masked": request.mask is not None,
            "provider": self.session.profile.name,
        }
        try:
            item = self.library.add(image.data, image.extension, meta)
        except LibraryError as exc:
            self.view.show_error(str(exc), field="request")
            item = None
        if item is not None:
            job.items[image.slot] = item
            self.show_saved_picture(item, size)
        caption = f"Picture {image.slot + 1}"
        if not size.isNull():
            caption += f" · {size.width()}×{size.height()}"
        self.view.show_result(image.slot, size, item.id if item else "", caption)
        self.view.set_status(f"{job.progress.images} of {max(job.request.n, 1)} saved…")

    def show_saved_picture(self, item: LibraryItem, pixmap: QPixmap) -> None:
        """Shows a picture just saved to the library first in the gallery, with its thumbnail."""
        self.view.add_gallery_item(item)
        if not pixmap.isNull():
            thumb = pixmap.scaled(THUMB_SIDE, THUMB_SIDE, aspectMode=_KEEP, mode=_SMOOTH)
            self._thumbs[item.id] = thumb  # kept when the gallery is listed again
            self.view.set_thumbnail(item.id, thumb)

    def _on_done(self, job: _Job, result: ImageResult) -> None:
        usage = result.usage or Usage(images=len(result.images), estimated=True)
        entry = self._record(job, usage, RequestStatus.OK, result.elapsed_ms, result.request_id)
        self._update_sidecars(job, entry.cost, usage, result.request_id)
        self.view.end_results("no picture")
        parts = [
            f"{len(result.images)} picture{'s' if len(result.images) != 1 else ''}",
            format_duration_ms(result.elapsed_ms),
            format_cost(entry.cost),
        ]
        if result.usage is not None:
            parts.insert(2, f"{usage.total_tokens:,} tokens")
        self.view.set_status("Done: " + " · ".join(parts))
        if result.problems:
            self.view.show_error(" ".join(result.problems))

    def _on_failed(self, job: _Job, error: AppError) -> None:
        # A retired model's 404 says so, with its replacement (the view offers "Use <model>").
        error = retired_error(error, job.request.model, self._listed, self.today())
        self._last_error = error
        kept = len(job.items)
        status = RequestStatus.ERROR
        usage = Usage(images=kept, estimated=True)
        self._record(job, usage, status, job.progress.elapsed_ms, error.request_id)
        self.view.end_results("not made")
        field = "request"
        if isinstance(error, PolicyRefusal):
            field = "prompt" if job.request.mode == "generate" else "images"
        elif error.kind == ErrorKind.MODEL_NOT_FOUND:
            field = "model"
        suffix = (
            f" The {kept} picture{'s' if kept != 1 else ''} that arrived are saved." if kept else ""
        )
        self._retry_shown = None
        text = f"{error.title}: {error.message} {error.hint}".strip() + suffix
        self.view.show_error(text, error.details, field=field)
        self.view.offer_replacement(error)
        if error.kind == ErrorKind.RATE_LIMIT and error.retry_after:
            self._retry_shown = (field, suffix, error.details)
            self._retry.start_for(error)  # Generate waits it out; the hint names the wait left
        self.view.set_status(f"Failed after {format_duration_ms(job.progress.elapsed_ms)}")

    def _on_cancelled(self, job: _Job) -> None:
        kept = len(job.items)
        self._record(
            job,
            Usage(images=kept, estimated=True),
            RequestStatus.CANCELLED,
            job.progress.elapsed_ms,
            None,
        )
        self.view.end_results("stopped")
        self.view.set_status(
            f"Stopped. {kept} picture{'s' if kept != 1 else ''} kept in the gallery."
        )

    def _show_retry_text(self, text: str) -> None:
        """The failure's sentence with the wait still left (never a wait that is over)."""
        shown = self._retry_shown
        if shown is None or self._last_error is None:
            return
        field, suffix, details = shown
        if field != "request" and not self.view.problem_text(field):
            return  # the form was checked again since: the message is gone
        self.view.show_error(f"{self._last_error.title}: {text}{suffix}", details, field=field)

    def _show_retry(self, left: int) -> None:
        """Generate counts down the server's retry-after and is enabled once it is over."""
        self.view.set_generate_enabled(
            left <= 0, f"The server asked to wait {left} s before the next request."
        )
        self.view.set_retry_countdown(left)

    def _record(
        self,
        job: _Job,
        usage: Usage,
        status: RequestStatus,
        latency_ms: float,
        request_id: str | None,
    ) -> Any:
        entry = self.counters.record(
            profile=self.session.profile,
            tab="images",
            model=job.request.model,
            endpoint=Endpoint.IMAGES,
            usage=usage,
            latency_ms=latency_ms,
            status=status,
            request_id=request_id,
        )
        return entry

    def _update_sidecars(
        self, job: _Job, cost: Decimal | None, usage: Usage, request_id: str | None
    ) -> None:
        count = max(len(job.items), 1)
        per_image = None if cost is None else cost / count
        for item in job.items.values():
            try:
                updated = self.library.update(
                    item.id,
                    cost=per_image,
                    request_cost=cost,
                    usage=dataclasses.asdict(usage),
                    request_id=request_id,
                    elapsed_ms=round(job.progress.elapsed_ms),
                )
            except LibraryError as exc:
                log.warning("sidecar: %s", exc)
                continue
            if updated is not None:
                self.view.update_gallery_item(updated)

    # --- sources ---------------------------------------------------------------------------------

    def _on_add_files(self) -> None:
        from playground.core.chat.vision import image_file_patterns

        patterns = " ".join(image_file_patterns())
        paths, _ = QFileDialog.getOpenFileNames(
            self.view, "Add pictures", "", f"Pictures ({patterns});;All files (*)"
        )
        if paths:
            self.add_source_files(paths)

    def add_source_files(self, paths: list[str]) -> None:
        """Reads, checks and converts picture files (off the GUI thread) and adds them."""
        if self.view.mode() == "generate":
            self.view.set_mode("edit")

        async def _read() -> list[tuple[str, bytes]]:
            from playground.core.images.files import read_source

            out = []
            for path in paths:
                data, name = await self.runner.run_blocking(read_source, path, "")
                out.append((name, data))
            return out

        self.runner.start(
            _read(),
            group=LOAD_GROUP,
            on_result=lambda files: self.add_source_bytes(files),
            on_error=lambda error: self.view.show_error(error.message, field="images"),
        )

    def _on_image_pasted(self, image: QImage) -> None:
        self.add_source_bytes([("pasted.png", _png_bytes(image))])

    def add_source_bytes(self, files: list[tuple[str, bytes]]) -> None:
        """Converts pictures for the current model (off the GUI thread) and adds them."""
        spec = image_spec(self.view.model())
        self._source_rules = (spec.edit_formats, spec.edit_square, spec.edit_max_bytes)

        async def _prepare() -> tuple[list[Source], list[str]]:
            from playground.core.images.files import ImageProblem, prepare_upload

            ok: list[Source] = []
            bad: list[str] = []
            for name, data in files:
                try:
                    upload = await self.runner.run_blocking(
                        functools.partial(prepare_upload, data, spec, name=name)
                    )
                except ImageProblem as exc:
                    bad.append(str(exc))
                    continue
                ok.append(Source(name, data, upload))
            return ok, bad

        def _done(outcome: tuple[list[Source], list[str]]) -> None:
            ok, bad = outcome
            self.sources.extend(ok)
            self._show_sources(reset_mask=bool(ok) and len(self.sources) == len(ok))
            self.view.show_error(" ".join(bad), field="images")
            self._refresh_checks()
            if bad:  # shown after the checks, which would clear it
                self.view.show_error(" ".join(bad), field="images")

        self.runner.start(
            _prepare(),
            group=LOAD_GROUP,
            on_result=_done,
            on_error=lambda error: self.view.show_error(error.message, field="images"),
        )

    def replace_sources(self, sources: list[Source]) -> None:
        """Puts already converted source pictures in the form, instead of the ones there."""
        self.sources = list(sources)
        self._show_sources(reset_mask=True)
        self._refresh_checks()

    def remove_source(self, row: int) -> None:
        if 0 <= row < len(self.sources):
            del self.sources[row]
            self._show_sources(reset_mask=row == 0)
            self._refresh_checks()

    def _reprepare_sources(self) -> None:
        """Converts the sources again when the model's upload rules differ (e.g. square PNGs)."""
        spec = image_spec(self.view.model())
        rules = (spec.edit_formats, spec.edit_square, spec.edit_max_bytes)
        if not self.sources or rules == self._source_rules:
            self._source_rules = rules
            return
        self._source_rules = rules
        from playground.core.images.files import ImageProblem, prepare_upload

        first_size = (self.sources[0].upload.width, self.sources[0].upload.height)
        kept: list[Source] = []
        problems: list[str] = []
        for source in self.sources:
            try:
                upload = prepare_upload(source.original, spec, name=source.name)
            except ImageProblem as exc:
                problems.append(str(exc))
                continue
            kept.append(dataclasses.replace(source, upload=upload))
        self.sources = kept
        new_size = (kept[0].upload.width, kept[0].upload.height) if kept else None
        self._show_sources(reset_mask=new_size != first_size)
        if problems:
            self.view.show_error(" ".join(problems), field="images")

    def _show_sources(self, *, reset_mask: bool) -> None:
        rows = []
        for source in self.sources:
            upload = source.upload
            pixmap = _pixmap(upload.data).scaled(84, 84, aspectMode=_KEEP, mode=_SMOOTH)
            tip = f"{source.name} · {upload.width}×{upload.height} · {upload.mime}"
            if upload.note:
                tip += f"\n{upload.note}"
            rows.append((f"{upload.width}×{upload.height}", pixmap, tip))
        self.view.set_sources(rows)
        if reset_mask:
            if self.sources:
                image = QImage.fromData(self.sources[0].upload.data)
                self.view.set_mask_image(image)
            else:
                self.view.set_mask_image(None)
        notes = [f"{s.name}: {s.upload.note}" for s in self.sources if s.upload.note]
        self.view.set_mask_notes(notes)

    # --- gallery ---------------------------------------------------------------------------------

    def _load_library(self) -> None:
        async def _load() -> list[LibraryItem]:
            return await self.runner.run_blocking(self.library.load)

        def _show(items: list[LibraryItem]) -> None:
            self.view.set_gallery_items(self.library.items(self._query), len(items))
            self._load_thumbnails()

        self.runner.start(
            _load(),
            group=LOAD_GROUP,
            on_result=_show,
            on_error=lambda error: self.view.show_error(error.message),
        )

    def _load_thumbnails(self) -> None:
        """Makes the missing thumbnails of the shown pictures, 60 at a time, off the GUI thread."""
        missing = [
            i
            for i in self.view.ids_without_thumbnail()
            if i not in self._thumbs and i not in self._thumb_failed
        ]
        if not missing or self.runner.is_busy(THUMB_GROUP):
            return
        items = [self.library.get(i) for i in missing[:60]]

        async def _make() -> list[tuple[str, bytes]]:
            from playground.core.chat.vision import ImageProblem

            out: list[tuple[str, bytes]] = []
            for item in items:
                if item is None:
                    continue
                try:
                    data = await self.runner.run_blocking(_thumbnail, item.image_path)
                except (ImageProblem, OSError):
                    continue
                out.append((item.id, data))
            return out

        def _show(thumbs: list[tuple[str, bytes]]) -> None:
            made = dict(thumbs)
            for item in items:
                if item is not None and item.id not in made:
                    self._thumb_failed.add(item.id)  # unreadable: not tried again
            for item_id, data in thumbs:
                pixmap = _pixmap(data)
                self._thumbs[item_id] = pixmap
                self.view.set_thumbnail(item_id, pixmap)
            self._load_thumbnails()  # the next batch, or what a search showed meanwhile

        self.runner.start(_make(), group=THUMB_GROUP, on_result=_show)

    def _on_search(self, query: str) -> None:
        self._query = query
        self.view.set_gallery_items(self.library.items(query), len(self.library.load()))
        self._load_thumbnails()

    def on_gallery_action(self, action: str, item_id: str) -> None:
        """Runs a gallery action ("open", "copy", "save", "folder", "delete", "reuse", "edit",
        "variation") on a saved picture."""
        if action == "folder":
            self.library.folder.mkdir(parents=True, exist_ok=True)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.library.folder)))
            return
        item = self.library.get(item_id)
        if item is None:
            return
        if action == "open":
            self.open_viewer(item)
        elif action == "copy":
            QGuiApplication.clipboard().setImage(QImage(str(item.image_path)))
            self.view.set_status("Picture copied to the clipboard.")
        elif action == "save":
            self._save_as(item)
        elif action == "delete":
            self.delete(item.id)
        elif action == "reuse":
            self.reuse(item)
        elif action in ("edit", "variation"):
            mode: Mode = "edit" if action == "edit" else "variation"
            self.view.set_mode(mode, emit=True)
            try:
                data = item.image_path.read_bytes()
            except OSError as exc:
                self.view.show_error(f"The picture cannot be read ({exc}).", field="images")
                return
            self.sources.clear()
            self._show_sources(reset_mask=True)
            self.add_source_bytes([(item.image_path.name, data)])
            self.view.close_viewer()

    def open_viewer(self, item: LibraryItem) -> ImageView:
        """Shows a saved picture large (its actions come back as gallery actions)."""
        return self.view.show_viewer(item, QPixmap(str(item.image_path)))

    def _save_as(self, item: LibraryItem) -> None:
        target, _ = QFileDialog.getSaveFileName(
            self.view, "Save picture as", item.image_path.name, f"*{item.image_path.suffix}"
        )
        if not target:
            return
        try:
            shutil.copyfile(item.image_path, target)
        except OSError as exc:
            self.view.show_error(f"The picture could not be saved ({exc.strerror or exc}).")
            return
        self.view.set_status(f"Saved a copy as {Path(target).name}.")

    def delete(self, item_id: str) -> None:
        try:
            deleted = self.library.delete(item_id)
        except LibraryError as exc:
            self.view.show_error(str(exc))
            return
        if deleted:
            self.view.remove_gallery_item(item_id, "Picture deleted.")
            self.view.close_viewer(item_id)

    def undo_delete(self, item_id: str) -> None:
        try:
            item = self.library.undo_delete(item_id)
        except LibraryError as exc:
            self.view.show_error(str(exc))
            return
        if item is not None:
            self.view.set_gallery_items(self.library.items(self._query), len(self.library.load()))
            self._load_thumbnails()
            self.view.select_gallery_item(item_id)

    def reuse(self, item: LibraryItem) -> None:
        """Puts a saved picture's model, mode, prompt and options back in the form."""
        mode = item.mode if item.mode in ("generate", "edit", "variation") else "generate"
        if mode != "generate" and not self.sources:
            mode = "generate"
        self.view.set_mode(mode, emit=True)  # type: ignore[arg-type]
        if item.model in self._models:
            self.view.set_model(item.model)
        options = dict(item.params)
        options["prompt"] = item.prompt
        self.view.set_options(options)
        self.view.set_status("Settings of the picture put back in the form.")

    # --- state -----------------------------------------------------------------------------------

    def save_state(self) -> dict[str, Any]:
        options = self.view.options()
        return {
            "model": self.view.model() or self._wanted_model,
            "mode": self.view.mode() if self.view.mode() != "edit" or self.sources else "generate",
            **options,
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        model = state.get("model")
        if isinstance(model, str):
            self._wanted_model = model
        self.view.set_spec(image_spec(self._wanted_model))
        self.view.set_options(state)
        self._restored = dict(state)
        mode = state.get("mode")
        if mode in ("generate", "variation"):
            self.view.set_mode(mode)

    def shutdown(self) -> None:
        self.library.purge_trash()
        self.view.close_viewer()


def _thumbnail(path: Path) -> bytes:
    from playground.core.chat.vision import thumbnail_png

    return thumbnail_png(path.read_bytes(), THUMB_SIDE)


def _pixmap(data: bytes) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(data)
    return pixmap


def _png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; 6.11 wants str
    return bytes(buffer.data().data())
