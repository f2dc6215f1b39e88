"""The Images API service: generate, edit and make variations, streaming partial pictures.

`ImageService.run(request, on_partial, on_image)` sends one `ImageRequest` and hands over every
picture the moment it is complete (`on_image`), so the caller can save it before anything else can
go wrong. With `partial_images`, GPT image models stream rough versions first (`on_partial`), so
the picture sharpens in place. Pictures that come as links (DALL·E, some compatible servers) are
downloaded at once: the links expire after an hour. A failed download does not lose the others; it
is listed in `ImageResult.problems`.

A refusal by the safety system (`moderation_blocked`, or DALL·E's `content_policy_violation`)
becomes a `PolicyRefusal` carrying the API's own words.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from playground.core.api.errors import AppError, ErrorKind, from_exception
from playground.core.api.replies import (
    interrupted,
    is_event_stream,
    json_body,
    nothing_came,
    unexpected_body,
)
from playground.core.images.caps import ImageRequest, usage_from_api
from playground.core.models import Usage

PartialCallback = Callable[[int, int, bytes], None]
"""`on_partial(slot, partial_index, data)`: a rough version of picture `slot`."""
ImageCallback = Callable[["GeneratedImage"], None]
"""`on_image(image)`: a finished picture, as soon as it is complete."""
Fetcher = Callable[[str], Awaitable[tuple[bytes, str]]]
"""`await fetch(url)` -> (bytes, content type) of a picture link."""

_POLICY_CODES: Final = frozenset({"moderation_blocked", "content_policy_violation"})
_EXTENSIONS: Final = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
}
DOWNLOAD_TIMEOUT_S: Final = 60.0


@dataclass(eq=False)
class PolicyRefusal(AppError):
    """The API's safety system refused the prompt or the picture; `message` is the API's text."""


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    """One finished picture.

    Attributes:
        slot: its position in the request (0 for the first of `n`).
        data: the encoded picture.
        extension: "png", "jpg", "webp"...
        revised_prompt: the prompt the model actually used, when it says (DALL·E 3).
        from_url: True when it was downloaded from a link.
    """

    slot: int
    data: bytes = field(repr=False)
    extension: str
    revised_prompt: str = ""
    from_url: bool = False


@dataclass
class ImageProgress:
    """What has arrived so far (for the progress line, and kept when the request fails)."""

    started: float = 0.0
    partials: int = 0
    images: int = 0

    @property
    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000 if self.started else 0.0


@dataclass(frozen=True, slots=True)
class ImageResult:
    """A finished request.

    Attributes:
        images: the pictures, in order.
        usage: tokens as the server reported them, or None.
        request_id: the server's x-request-id.
        elapsed_ms: from sending to the last picture.
        problems: pictures that could not be downloaded, in plain words.
    """

    images: tuple[GeneratedImage, ...]
    usage: Usage | None
    request_id: str | None
    elapsed_ms: float
    problems: tuple[str, ...] = ()


class ImageService:
    """Sends image requests through the active client.

    Args:
        client_source: returns the `AsyncOpenAI` client to use (called per request).
        fetch: downloads a picture link; by default a plain HTTP GET without the API key.
    """

    def __init__(self, client_source: Callable[[], Any], fetch: Fetcher | None = None) -> None:
        self._client_source = client_source
        self._fetch = fetch or download

    async def run(
        self,
        request: ImageRequest,
        on_partial: PartialCallback,
        on_image: ImageCallback,
        progress: ImageProgress | None = None,
    ) -> ImageResult:
        """Sends `request`; calls `on_image` for each finished picture as it arrives.

        Raises:
            AppError: every failure in plain words (`PolicyRefusal` for a safety refusal).
                Pictures handed to `on_image` before a failure stay handed over.
        """
        progress = progress if progress is not None else ImageProgress()
        client = self._client_source()
        progress.started = time.monotonic()
        endpoint = {
            "generate": client.images.generate,
            "edit": client.images.edit,
            "variation": client.images.create_variation,
        }
        call = endpoint[request.mode]
        kwargs = request.to_api()
        try:
            if request.streams:
                return await self._stream(call, kwargs, request, on_partial, on_image, progress)
            with warnings.catch_warnings():
                # The SDK marks the variations endpoint deprecated (DALL·E 2 only); a server that
                # still offers it is exactly why the app calls it.
                warnings.simplefilter("ignore", DeprecationWarning)
                raw = await _raw(call)(**kwargs)
            request_id = raw.headers.get("x-request-id")
            response = raw.parse()
            if isinstance(response, str):  # the SDK hands over a body that is not JSON as text
                raise unexpected_body(response, raw.headers.get("content-type", ""))
        except Exception as exc:
            raise _error(exc, request, str(client.base_url)) from exc
        return await self._collect(response, request, on_image, progress, request_id)

    async def _collect(
        self,
        response: Any,
        request: ImageRequest,
        on_image: ImageCallback,
        progress: ImageProgress,
        request_id: str | None,
    ) -> ImageResult:
        """The pictures of a whole (not streamed) images response, downloading links.

        Raises:
            AppError: no picture came (the problems with each, when the server said).
        """
        images: list[GeneratedImage] = []
        problems: list[str] = []
        default_ext = _extension_of(getattr(response, "output_format", None), request)
        for slot, item in enumerate(response.data or ()):
            revised = getattr(item, "revised_prompt", None) or ""
            if getattr(item, "b64_json", None):
                data = _b64(item.b64_json)
                image = GeneratedImage(slot, data, default_ext, revised)
            elif getattr(item, "url", None):
                try:
                    data, content_type = await self._fetch(str(item.url))
                except Exception as exc:
                    problems.append(f"Picture {slot + 1} could not be downloaded: {_why(exc)}")
                    continue
                ext = _EXTENSIONS.get(content_type.split(";")[0].strip().lower(), default_ext)
                image = GeneratedImage(slot, data, ext, revised, from_url=True)
            else:
                problems.append(f"Picture {slot + 1} came without any image data.")
                continue
            images.append(image)
            progress.images += 1
            on_image(image)
        if not images:
            if problems:
                raise AppError(
                    ErrorKind.INVALID_RESPONSE, "No picture", " ".join(problems), "Try again."
                )
            raise nothing_came("picture")
        usage = usage_from_api(getattr(response, "usage", None), len(images))
        return ImageResult(tuple(images), usage, request_id, progress.elapsed_ms, tuple(problems))

    async def _stream(
        self,
        call: Any,
        kwargs: dict[str, Any],
        request: ImageRequest,
        on_partial: PartialCallback,
        on_image: ImageCallback,
        progress: ImageProgress,
    ) -> ImageResult:
        raw = await _raw(call)(**kwargs)
        request_id = raw.headers.get("x-request-id")
        if not is_event_stream(raw.headers):  # a server that ignores `stream`, or a proxy's page
            from openai.types import ImagesResponse

            body = await raw.http_response.aread()
            whole = json_body(body)
            if whole is None or not isinstance(whole.get("data"), list):
                raise unexpected_body(body, raw.headers.get("content-type", ""))
            response = ImagesResponse.model_validate(whole)
            return await self._collect(response, request, on_image, progress, request_id)
        try:
            stream = raw.parse()
        except BaseException:
            await raw.http_response.aclose()
            raise
        images: list[GeneratedImage] = []
        usages: list[Any] = []
        async with stream:
            async for event in stream:
                kind = str(getattr(event, "type", ""))
                slot = len(images)
                if kind.endswith(".partial_image"):
                    progress.partials += 1
                    on_partial(slot, int(event.partial_image_index), _b64(event.b64_json))
                elif kind.endswith(".completed"):
                    ext = _extension_of(getattr(event, "output_format", None), request)
                    image = GeneratedImage(slot, _b64(event.b64_json), ext)
                    images.append(image)
                    progress.images += 1
                    on_image(image)
                    if getattr(event, "usage", None) is not None:
                        usages.append(event.usage)
                await asyncio.sleep(0)  # big events arrive in bursts; let the window paint
        if not images:  # the stream ended before a finished picture: never "Done: 0 pictures"
            raise interrupted("picture") if progress.partials else nothing_came("picture")
        return ImageResult(
            tuple(images), _stream_usage(usages, len(images)), request_id, progress.elapsed_ms
        )


def _raw(call: Any) -> Any:
    """`images.generate` -> `images.with_raw_response.generate` (keeps the x-request-id)."""
    resource = call.__self__
    return getattr(resource.with_raw_response, call.__name__)


def _stream_usage(usages: list[Any], images: int) -> Usage | None:
    """The request's usage from its `completed` events. Each event may carry the whole request's
    usage (then they are all equal) or its own picture's (then they add up)."""
    parsed = [u for u in (usage_from_api(x, images) for x in usages) if u is not None]
    if not parsed:
        return None
    if all(u == parsed[0] for u in parsed):
        return parsed[0]
    total = parsed[0]
    for more in parsed[1:]:
        total = total + more
    return dataclasses.replace(total, images=images)


def _extension_of(output_format: object, request: ImageRequest) -> str:
    fmt = str(output_format or "") or request.file_extension
    return "jpg" if fmt in ("jpeg", "jpg") else fmt


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise AppError(
            ErrorKind.INVALID_RESPONSE,
            "Unreadable picture",
            "The server sent picture data that could not be decoded.",
        ) from exc


def _why(exc: BaseException) -> str:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status in (403, 404, 410):
        return f"the link has expired or is gone ({status})."
    if status:
        return f"the server answered {status}."
    return str(exc) or type(exc).__name__


def _error(exc: BaseException, request: ImageRequest, base_url: str) -> AppError:
    error = from_exception(exc, model=request.model, base_url=base_url)
    code = str(getattr(exc, "code", "") or "").lower()
    if code in _POLICY_CODES:
        what = "prompt or the picture" if request.mode != "generate" else "prompt"
        return PolicyRefusal(
            kind=error.kind,
            title="Refused by the safety system",
            message=_api_message(exc) or "The request was rejected by the safety system.",
            hint=f"Change the {what} and try again.",
            status=error.status,
            request_id=error.request_id,
            details=error.details,
        )
    return error


def _api_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else None
    return message if isinstance(message, str) else ""


async def download(url: str) -> tuple[bytes, str]:
    """GETs a picture link (no API key is sent: links point at plain storage).

    Returns:
        The bytes and the content type.

    Raises:
        httpx2.HTTPError: the link cannot be fetched.
    """
    import httpx2  # the SDK's own transport; deferred like the SDK

    async with httpx2.AsyncClient(timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=True) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.content, response.headers.get("content-type", "")
