"""View code and paste-to-fill: a `ChatRequest` as JSON, curl and Python, and the way back.

Writing: `to_json`, `to_curl` and `to_python` show exactly the body `ChatRequest.to_api` builds, so
what the user copies is what the app sends. The key never appears: curl reads `$OPENAI_API_KEY` (or
`$AZURE_OPENAI_API_KEY`) from the shell, and the Python client reads the same variable itself.
Image data URLs can be shortened for display (`abbreviate_data=True`, the default of `code_views`);
the copy functions keep them whole unless asked.

Reading: `parse_request` takes a curl command (bash, `$'…'`, cmd `^` and PowerShell backtick line
continuations) or a bare JSON body and returns a `ParsedRequest`. It never raises on what a user
pastes: everything it could not use is listed in plain words (`problems`) or by name (`ignored`), and
a key found in the text is dropped, never kept (`key_dropped`).

Both APIs: a request goes to `/chat/completions` (`client.chat.completions.create`) or, when
`api="responses"` (or the request is a `ResponsesRequest` and no API is named), to `/responses`
(`client.responses.create`, with the body `to_responses` builds). A pasted Responses body (`input`,
`instructions`…) or a curl command to `/responses` is read back into a `ResponsesRequest`, with
`ParsedRequest.api == "responses"`.

`chat_params_to_dict` / `chat_params_from_dict` convert the parameters of a `ChatRequest` (its
fields, not the wire names) to and from JSON values; presets and exports store them that way.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from playground.core.chat.builtin_tools import (
    BuiltinTool,
    CodeInterpreterTool,
    FileSearchTool,
    ImageGenerationTool,
    McpTool,
    UserLocation,
    WebSearchTool,
)
from playground.core.chat.context import COMPACTED_PLACEHOLDER
from playground.core.chat.responses import to_responses
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.core.models import ImagePart, Message, Role, ToolCall

log = logging.getLogger(__name__)

#: Where the OpenAI SDK sends requests when no base URL is given.
DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
#: The environment variables the generated code reads (the SDK's own names).
OPENAI_KEY_VAR: Final = "OPENAI_API_KEY"
AZURE_KEY_VAR: Final = "AZURE_OPENAI_API_KEY"
AZURE_ENDPOINT_VAR: Final = "AZURE_OPENAI_ENDPOINT"
API_VERSION_VAR: Final = "OPENAI_API_VERSION"
#: Characters of a data URL's payload kept when it is shortened for display.
DATA_URL_KEEP: Final = 32
#: The two APIs a request can go to (`ChatResult.api`'s values).
API_CHAT: Final = "chat.completions"
API_RESPONSES: Final = "responses"
#: What replaces a key-looking string found inside a pasted request.
KEY_REMOVED: Final = "[API key removed]"

_PY_WIDTH = 88  # line length of the generated Python (black's default, what most readers expect)
_ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
_DATA_URL = re.compile(r"data:[^,\s]{0,200},", re.IGNORECASE)
# OpenAI keys: sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…; long enough not to hit "sk-learn".
_KEY_LIKE = re.compile(r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}")
# "$OPENAI_API_KEY", "${OPENAI_API_KEY}", "%OPENAI_API_KEY%" (cmd), "$env:OPENAI_API_KEY" (PowerShell).
_VAR_REF = re.compile(
    r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%|\$env:[A-Za-z_][A-Za-z0-9_]*",
    re.IGNORECASE,
)
_PLACEHOLDER_KEY = re.compile(
    r"^(<[^>]*>|\[[^\]]*\]|\{[^}]*\}|your[-_ a-z]*key|\*+|x+|\.\.\.)$", re.I
)


# --- writing ---------------------------------------------------------------------------------------


def shorten_data_url(url: str, *, keep: int = DATA_URL_KEEP) -> str:
    """A long `data:` URL cut to its header and first `keep` payload characters, for display.

    `data:image/png;base64,iVBORw0KGgo…[+48,213 characters]`. Other URLs, and data URLs too short to be
    worth it, come back unchanged. The result is no longer a working URL: it is for reading only.
    """
    match = _DATA_URL.match(url)
    if match is None:
        return url
    payload = len(url) - match.end()
    if payload <= keep + 24:
        return url
    return f"{url[: match.end() + keep]}…[+{payload - keep:,} characters]"


def _shorten_data_urls(value: Any) -> tuple[Any, int]:
    """A copy of a JSON value with every long data URL shortened, and how many were."""
    if isinstance(value, str):
        short = shorten_data_url(value)
        return short, int(short != value)
    if isinstance(value, list):
        items = [_shorten_data_urls(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        pairs = {k: _shorten_data_urls(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, sum(n for _, n in pairs.values())
    return value, 0


def api_of(request: ChatRequest, api: str = "") -> str:
    """The API `request` goes to: `api` when named, else Responses for a `ResponsesRequest`."""
    if api in (API_CHAT, API_RESPONSES):
        return api
    return API_RESPONSES if isinstance(request, ResponsesRequest) else API_CHAT


def _body(
    request: ChatRequest, *, stream: bool, abbreviate_data: bool, api: str = ""
) -> tuple[dict[str, Any], int]:
    if api_of(request, api) == API_RESPONSES:
        body = to_responses(request, stream=stream)
    else:
        body = request.to_api(stream=stream)
    if not abbreviate_data:
        return body, 0
    short, count = _shorten_data_urls(body)
    return _hide_compactions(short), count


def _hide_compactions(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with each compaction item's encrypted content (kilobytes only OpenAI can read)
    shown as a placeholder (`context.COMPACTED_PLACEHOLDER`), for display only."""
    items = body.get("input")
    if not isinstance(items, list) or not any(
        isinstance(i, dict) and i.get("type") == "compaction" for i in items
    ):
        return body
    hidden = [
        {**i, "encrypted_content": COMPACTED_PLACEHOLDER}
        if isinstance(i, dict) and i.get("type") == "compaction"
        else i
        for i in items
    ]
    return {**body, "input": hidden}


def to_json(
    request: ChatRequest, *, stream: bool, abbreviate_data: bool = False, api: str = ""
) -> str:
    """The request body exactly as `request.to_api(stream=stream)` (or, for Responses,
    `to_responses`) builds it, pretty-printed.

    Args:
        request: the request.
        stream: the body of a streamed request (adds `stream` and `stream_options`).
        abbreviate_data: shorten image data URLs (for display only: the result is then not the
            request the app sends).
        api: "chat.completions" or "responses" ("": see `api_of`).
    """
    body, _ = _body(request, stream=stream, abbreviate_data=abbreviate_data, api=api)
    return _dumps(body)


def _dumps(value: Any) -> str:
    """Readable JSON (non-ASCII as is); a lone surrogate, which no file can hold, as `\\udXXX`."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, indent=2, ensure_ascii=True)
    return text


def to_curl(
    request: ChatRequest,
    *,
    base_url: str | None = None,
    stream: bool,
    azure: bool = False,
    deployment: str | None = None,
    api_version: str | None = None,
    abbreviate_data: bool = False,
    api: str = "",
) -> str:
    """The request as a bash/zsh curl command, in the layout of OpenAI's documentation.

    The key is never written: the command reads `$OPENAI_API_KEY` (`Authorization: Bearer`) or, for
    Azure, `$AZURE_OPENAI_API_KEY` (`api-key` header) from the shell.

    Args:
        request: the request.
        base_url: the API base URL (`https://api.openai.com/v1` when None). For Azure, the resource
            endpoint (`https://<resource>.openai.azure.com`); None writes `$AZURE_OPENAI_ENDPOINT`.
            An Azure base URL that already ends in `/openai/deployments/<name>` or `/openai/v1` is
            used as it is.
        stream: a streamed request (`-N` so curl prints each event as it arrives).
        azure: send to an Azure OpenAI deployment URL with the `api-key` header.
        deployment: the Azure deployment (default: the model id).
        api_version: the Azure `api-version`; None writes `$OPENAI_API_VERSION`.
        abbreviate_data: shorten image data URLs (for display only).
        api: "chat.completions" or "responses" ("": see `api_of`).
    """
    api = api_of(request, api)
    body, count = _body(request, stream=stream, abbreviate_data=abbreviate_data, api=api)
    path = "/responses" if api == API_RESPONSES else "/chat/completions"
    text = _dumps(body).replace(
        "\n", "\n  "
    )  # JSON strings hold no raw newlines, so this only indents
    if azure:
        parts = _azure_url_parts(request, base_url, deployment, api_version)
        if api == API_RESPONSES:  # Azure serves Responses under its v1 API only
            root = (base_url or "").strip().rstrip("/").removesuffix("/openai/v1")
            parts = [(root, False) if root else (f"${AZURE_ENDPOINT_VAR}", True)]
            parts.append(("/openai/v1/responses", False))
        url = _shell_quote_url(parts)
        auth = f'"api-key: ${AZURE_KEY_VAR}"'
    else:
        root = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
        url = _shell_quote_url([(root + path, False)])
        auth = f'"Authorization: Bearer ${OPENAI_KEY_VAR}"'
    lines = []
    if count:
        lines.append(f"# {_shortened_note(count)}")
    lines.append(f"curl {url}{' -N' if stream else ''} \\")
    lines.append('  -H "Content-Type: application/json" \\')
    lines.append(f"  -H {auth} \\")
    lines.append(f"  -d {_shell_single_quote(text)}")
    return "\n".join(lines)


def _azure_url_parts(
    request: ChatRequest, base_url: str | None, deployment: str | None, api_version: str | None
) -> list[tuple[str, bool]]:
    """The Azure chat URL as (text, is_shell_variable) pieces."""
    version: list[tuple[str, bool]] = (
        [(quote(api_version.strip(), safe=""), False)]
        if api_version and api_version.strip()
        else [(f"${API_VERSION_VAR}", True)]
    )
    root = (base_url or "").strip().rstrip("/")
    endpoint: list[tuple[str, bool]] = (
        [(root, False)] if root else [(f"${AZURE_ENDPOINT_VAR}", True)]
    )
    if root.endswith("/openai/v1"):  # Azure's v1 API: OpenAI's paths, no api-version
        return [(root + "/chat/completions", False)]
    if re.search(r"/openai/deployments/[^/]+$", root):
        return [*endpoint, ("/chat/completions?api-version=", False), *version]
    name = quote((deployment or "").strip() or request.model, safe="")
    return [
        *endpoint,
        (f"/openai/deployments/{name}/chat/completions?api-version=", False),
        *version,
    ]


_SHELL_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def _shell_quote_url(parts: list[tuple[str, bool]]) -> str:
    """Quote a URL for bash: bare when safe, single quotes if literal, double quotes around variables."""
    if not any(is_var for _, is_var in parts):
        text = "".join(t for t, _ in parts)
        return text if _SHELL_SAFE.fullmatch(text) else _shell_single_quote(text)
    out = []
    for text, is_var in parts:
        out.append(text if is_var else re.sub(r'([\\"$`])', r"\\\1", text))
    return '"' + "".join(out) + '"'


def _shell_single_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def to_python(
    request: ChatRequest,
    *,
    base_url: str | None,
    stream: bool,
    azure: bool = False,
    deployment: str | None = None,
    api_version: str | None = None,
    abbreviate_data: bool = False,
    api: str = "",
) -> str:
    """The request as a Python script using the openai SDK.

    The client reads the key from the environment (`OPENAI_API_KEY`, or `AZURE_OPENAI_API_KEY` for
    Azure). The body becomes keyword arguments of `client.chat.completions.create`, written as
    Python literals, so `ast.literal_eval` of each argument gives back `request.to_api(...)`.

    Args:
        request: the request.
        base_url: the API base URL; written only when it is not OpenAI's default. For Azure, the
            resource endpoint (None: the SDK reads `AZURE_OPENAI_ENDPOINT`).
        stream: a streamed request: the script prints the text as it arrives (skipping the final
            usage chunk, which has no choices) and then the token usage.
        azure: use `AzureOpenAI`.
        deployment: the Azure deployment (None: the SDK uses the model id).
        api_version: the Azure API version (None: the SDK reads `OPENAI_API_VERSION`).
        abbreviate_data: shorten image data URLs (for display only).
        api: "chat.completions" or "responses" ("": see `api_of`); Responses calls
            `client.responses.create` and prints the text events.
    """
    api = api_of(request, api)
    body, count = _body(request, stream=stream, abbreviate_data=abbreviate_data, api=api)
    lines: list[str] = []
    if count:
        lines += [f"# {_shortened_note(count)}", ""]
    if azure:
        lines += _azure_client_lines(base_url, deployment, api_version)
    else:
        lines += ["from openai import OpenAI", ""]
        root = (base_url or "").strip().rstrip("/")
        lines.append(f"# The client reads the key from the {OPENAI_KEY_VAR} environment variable.")
        if root and root != DEFAULT_BASE_URL:
            lines.append(f"client = OpenAI(base_url={_py_str(root)})")
        else:
            lines.append("client = OpenAI()")
    lines.append("")
    responses = api == API_RESPONSES
    target = "stream" if stream else ("response" if responses else "completion")
    call = "client.responses.create" if responses else "client.chat.completions.create"
    lines.append(f"{target} = {call}(")
    extra: dict[str, Any] = {}
    for name, value in body.items():
        if name.isidentifier() and not keyword.iskeyword(name) and name != "extra_body":
            lines.append(f"    {name}={_py_literal(value, 4, len(name) + 1)},")
        else:
            extra[name] = value
    if extra:
        lines.append(f"    extra_body={_py_literal(extra, 4, len('extra_body='))},")
    lines.append(")")
    lines.append("")
    if responses:
        lines += _responses_output_lines(stream)
    elif stream:
        lines += [
            "usage = None",
            "for chunk in stream:",
            "    # The last chunk has no choices: it carries only the token usage.",
            "    if chunk.choices and chunk.choices[0].delta.content:",
            '        print(chunk.choices[0].delta.content, end="", flush=True)',
            "    if chunk.usage is not None:",
            "        usage = chunk.usage",
            "print()",
            "if usage is not None:",
            '    print(f"Tokens: {usage.prompt_tokens} in, {usage.completion_tokens} out")',
        ]
    elif request.n != 1:
        lines += [
            "for choice in completion.choices:",
            '    print(f"--- choice {choice.index}")',
            "    print(choice.message.content)",
        ]
    else:
        lines += ["message = completion.choices[0].message", "print(message.content)"]
        if request.tools:
            lines += [
                "for call in message.tool_calls or []:",
                "    print(call.function.name, call.function.arguments)",
            ]
    return "\n".join(lines) + "\n"


def _responses_output_lines(stream: bool) -> list[str]:
    if not stream:
        return [
            "print(response.output_text)",
            "usage = response.usage",
            'print(f"Tokens: {usage.input_tokens} in, {usage.output_tokens} out")',
        ]
    return [
        "for event in stream:",
        '    if event.type == "response.output_text.delta":',
        '        print(event.delta, end="", flush=True)',
        '    elif event.type == "response.reasoning_summary_text.delta":',
        '        print(event.delta, end="", flush=True)  # the reasoning summary',
        '    elif event.type == "response.completed":',
        "        usage = event.response.usage",
        "        print()",
        '        print(f"Tokens: {usage.input_tokens} in, {usage.output_tokens} out")',
        '    elif event.type in ("response.failed", "error"):',
        "        print()",
        "        print(event)",
    ]


def _azure_client_lines(
    base_url: str | None, deployment: str | None, api_version: str | None
) -> list[str]:
    from_env = [AZURE_KEY_VAR]
    args: list[str] = []
    endpoint = (base_url or "").strip().rstrip("/")
    if endpoint:
        args.append(f"azure_endpoint={_py_str(endpoint)}")
    else:
        from_env.append(AZURE_ENDPOINT_VAR)
    if deployment and deployment.strip():
        args.append(f"azure_deployment={_py_str(deployment.strip())}")
    if api_version and api_version.strip():
        args.append(f"api_version={_py_str(api_version.strip())}")
    else:
        from_env.append(API_VERSION_VAR)
    lines = [
        "from openai import AzureOpenAI",
        "",
        f"# Reads {', '.join(from_env)} from the environment.",
    ]
    if args:
        lines.append("client = AzureOpenAI(")
        lines += [f"    {a}," for a in args]
        lines.append(")")
    else:
        lines.append("client = AzureOpenAI()")
    return lines


def _py_str(text: str) -> str:
    """A double-quoted Python string literal (JSON escapes are valid Python escapes)."""
    return _dumps(text)


def _py_inline(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return f'float("{value}")'
    if isinstance(value, str):
        return _py_str(value)
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{_py_str(str(k))}: {_py_inline(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_py_inline(v) for v in value) + "]"
    return _py_str(str(value))


def _py_literal(value: Any, indent: int, prefix: int) -> str:
    """A Python literal laid out like black: on one line if it fits, else one item per line.

    Args:
        value: a JSON value.
        indent: the indentation of the line the literal starts on.
        prefix: characters on that line before the literal (`name=` or `"key": `).
    """
    inline = _py_inline(value)
    fits = indent + prefix + len(inline) + 1 <= _PY_WIDTH
    if fits or not isinstance(value, dict | list | tuple) or not value:
        return inline
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = _py_str(str(k))
            items.append(f"{pad}{key}: {_py_literal(v, indent + 4, len(key) + 2)},")
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{_py_literal(v, indent + 4, 0)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _shortened_note(count: int) -> str:
    what = "1 image's data is" if count == 1 else f"{count} images' data are"
    return f"{what} shortened for display; Copy gives the full request."


@dataclass(frozen=True, slots=True)
class CodeViews:
    """The three "View code" tabs for one request.

    Attributes:
        python: the openai SDK script.
        curl: the curl command.
        json: the request body.
        shortened: how many image data URLs were shortened (0 when the views are exact).
        note: a sentence saying so, or "" when nothing was shortened.
    """

    python: str
    curl: str
    json: str
    shortened: int = 0
    note: str = ""


def code_views(
    request: ChatRequest,
    *,
    base_url: str | None,
    stream: bool,
    azure: bool = False,
    deployment: str | None = None,
    api_version: str | None = None,
    abbreviate_data: bool = True,
    api: str = "",
) -> CodeViews:
    """Python, curl and JSON for display, with long image data shortened unless asked not to.

    For the clipboard, call `to_python`/`to_curl`/`to_json` (exact by default).
    """
    api = api_of(request, api)
    _, count = _body(request, stream=stream, abbreviate_data=abbreviate_data, api=api)
    return CodeViews(
        python=to_python(
            request,
            base_url=base_url,
            stream=stream,
            azure=azure,
            deployment=deployment,
            api_version=api_version,
            abbreviate_data=abbreviate_data,
            api=api,
        ),
        curl=to_curl(
            request,
            base_url=base_url,
            stream=stream,
            azure=azure,
            deployment=deployment,
            api_version=api_version,
            abbreviate_data=abbreviate_data,
            api=api,
        ),
        json=to_json(request, stream=stream, abbreviate_data=abbreviate_data, api=api),
        shortened=count,
        note=_shortened_note(count) if count else "",
    )


# --- parameters as JSON values -----------------------------------------------------------------------

#: The `ChatRequest` fields that are parameters (everything but the messages).
PARAM_FIELDS: Final[tuple[str, ...]] = tuple(
    f.name for f in dataclasses.fields(ChatRequest) if f.name != "messages"
)
_DEFAULTS: Final[dict[str, Any]] = {
    f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    for f in dataclasses.fields(ChatRequest)
    if f.name in PARAM_FIELDS
}


def chat_params_to_dict(request: ChatRequest, *, include_model: bool = True) -> dict[str, Any]:
    """The parameters of `request` that differ from the defaults, as JSON values, by field name.

    Unlike `to_api`, nothing is dropped for the model and the names are `ChatRequest`'s own
    (`max_output_tokens`, not `max_completion_tokens`), so `chat_params_from_dict` restores them
    exactly. Messages are not included.
    """
    out: dict[str, Any] = {}
    for name in PARAM_FIELDS:
        if name == "model" and not include_model:
            continue
        value = getattr(request, name)
        if value == _DEFAULTS[name] and name != "model":
            continue
        if name == "model" and not value:
            continue
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def chat_params_from_dict(
    raw: Mapping[str, Any], *, where: str = ""
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Checks JSON values by `ChatRequest` field name.

    Args:
        raw: field name -> JSON value; null means the default.
        where: prefixed to each problem ("Preset "Terse": ").

    Returns:
        `(fields, problems, unknown)`: keyword arguments for `ChatRequest` (only the valid ones),
        plain-language problems for values of the wrong type (those are left at their defaults), and
        the names that are not parameters.
    """
    fields_: dict[str, Any] = {}
    problems: list[str] = []
    unknown: list[str] = []
    for name, value in raw.items():
        check = _CHECKS.get(name)
        if check is None:
            unknown.append(str(name))
            continue
        if value is None:
            continue
        try:
            fields_[name] = check(value)
        except _WrongType as exc:
            problems.append(f"{where}{name} should be {exc}, not {_describe(value)}; left unset.")
    return fields_, problems, unknown


class _WrongType(ValueError):
    """The message is what the value should have been ("a number")."""


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _WrongType("a number")
    try:
        number = float(value)  # an int past 1e308 raises OverflowError
    except OverflowError:
        raise _WrongType("a number that is not so large") from None
    if not math.isfinite(number):
        raise _WrongType("a number")
    return number


_INT64: Final = 2**63  # the API's integers (seed) are 64-bit
_COUNT_LIMIT: Final = 2**31  # counts (tokens, answers) also go into 32-bit spin boxes


def _whole(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _WrongType("a whole number")
    return value


def _integer(value: Any) -> int:
    number = _whole(value)
    if not -_INT64 <= number < _INT64:
        raise _WrongType(f"a whole number between {-_INT64:,} and {_INT64 - 1:,}")
    return number


def _count(value: Any) -> int:
    number = _whole(value)
    if not 0 <= number < _COUNT_LIMIT:
        raise _WrongType(f"a whole number from 0 to {_COUNT_LIMIT - 1:,}")
    return number


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _WrongType("text")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _WrongType("true or false")
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _WrongType("a JSON object")
    return value


def _stop(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _WrongType("text or a list of texts")


def _tools(value: Any) -> tuple[dict[str, Any], ...]:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return tuple(value)
    raise _WrongType("a list of tool objects")


def _tool_choice(value: Any) -> str | dict[str, Any]:
    if isinstance(value, str | dict):
        return value
    raise _WrongType('"auto", "none", "required" or a tool object')


_CHECKS: Final[dict[str, Callable[[Any], Any]]] = {
    "model": _string,
    "temperature": _number,
    "top_p": _number,
    "max_output_tokens": _count,
    "frequency_penalty": _number,
    "presence_penalty": _number,
    "seed": _integer,
    "stop": _stop,
    "n": _count,
    "logprobs": _flag,
    "top_logprobs": _count,
    "response_format": _object,
    "tools": _tools,
    "tool_choice": _tool_choice,
    "reasoning_effort": _string,
}
if set(_CHECKS) != set(PARAM_FIELDS):  # pragma: no cover - a new ChatRequest field needs a check
    raise RuntimeError(f"codegen checks {sorted(_CHECKS)} but ChatRequest has {PARAM_FIELDS}")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "…"
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and abs(value) >= 10**30:
        return "a very long number"
    return str(value)


# --- reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """What `parse_request` made of a pasted curl command or JSON body.

    `request` is None only when no request body could be read at all; otherwise it holds what could
    be taken (a missing model is "", missing messages are ()), and `problems` says what is missing or
    was skipped. The UI fills the tab from `request` and shows `problems`, `notes` and `ignored`.

    Attributes:
        request: the request, or None.
        source: "curl" or "json" (what the text was read as), or "" if neither.
        base_url: the URL the command sends to, without `/chat/completions` or `/responses`
            (for Azure, the resource endpoint), or None when no usable URL was given.
        stream: the request asked to stream.
        azure: the URL is an Azure OpenAI deployment URL (or an `api-key` header was used).
        deployment: the Azure deployment from the URL, if any.
        api_version: the Azure `api-version` from the URL, if any.
        ignored: body parameters (and curl headers, as "header X") that were not taken.
        problems: plain-language errors and skipped parts.
        notes: plain-language remarks that are not errors (a key dropped, a variable left as is).
        key_dropped: an API key was found in the text and dropped (never stored anywhere).
        written_for: the API the body was written for when `request`'s type does not say it (a
            Chat Completions body with prompt cache settings is read into a `ResponsesRequest`,
            the request type that carries them); "" otherwise.
    """

    request: ChatRequest | None
    source: Literal["curl", "json", ""] = ""
    base_url: str | None = None
    stream: bool = False
    azure: bool = False
    deployment: str | None = None
    api_version: str | None = None
    ignored: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    key_dropped: bool = False
    written_for: str = ""

    @property
    def api(self) -> str:
        """The API the request was written for: "responses" for a Responses body."""
        if self.written_for:
            return self.written_for
        return API_RESPONSES if isinstance(self.request, ResponsesRequest) else API_CHAT

    @property
    def ok(self) -> bool:
        """A request was read and nothing went wrong."""
        return self.request is not None and not self.problems

    def messages_for_user(self) -> list[str]:
        """Problems, then notes, then one line naming what was ignored: ready to show."""
        out = [*self.problems, *self.notes]
        if self.ignored:
            out.append("Not taken: " + ", ".join(self.ignored) + ".")
        return out


_KEY_NOTE = "An API key in the pasted text was dropped; the app uses the key from Settings."


@dataclass(slots=True)
class _Reader:
    """Mutable state while one paste is read."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    key_dropped: bool = False
    written_for: str = ""

    def scrub(self, value: Any) -> Any:
        """A copy of a JSON value with every key-looking string replaced."""
        if isinstance(value, str):
            text = _KEY_LIKE.sub(KEY_REMOVED, value)
            for secret in self.secrets:
                text = text.replace(secret, KEY_REMOVED)
            if text != value:
                self.key_dropped = True
            return text
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        return value


def parse_request(text: str) -> ParsedRequest:
    """Reads a pasted curl command or JSON request body. Never raises on user input.

    Args:
        text: a curl command (with `\\`, `^` or backtick line continuations, `-d/--data/--data-raw/
            --data-binary/--json`, `-H`, any quoting) or a JSON object as sent to
            `/v1/chat/completions`. Shell variables (`$OPENAI_API_KEY`) are left as they are.

    Returns:
        The request and what could not be used. See `ParsedRequest`.
    """
    reader = _Reader()
    try:
        return _parse(text, reader)
    except Exception:  # a bug here must not take the window down with a pasted text
        log.exception("could not read a pasted request")
        return ParsedRequest(
            request=None,
            problems=["This could not be read (an internal error was logged)."],
            key_dropped=reader.key_dropped,
            notes=[_KEY_NOTE] if reader.key_dropped else [],
        )


def _parse(text: str, reader: _Reader) -> ParsedRequest:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip().lstrip("\ufeff")
    if _KEY_LIKE.search(text):
        reader.key_dropped = True
    if not text:
        return _result(
            reader, None, problems=["Nothing to read: paste a curl command or a JSON body."]
        )
    curl_start = re.search(r"(?m)^[ \t]*(?:[$>][ \t]+)?(curl(?:\.exe)?)(?=\s|$)", text)
    if curl_start is not None and not text.startswith(("{", "[")):
        return _parse_curl(text[curl_start.start(1) :], reader)
    if text[0] in "'\"" and text[-1] == text[0] and text[1:2] in ("{", "["):
        text = text[1:-1]  # the -d argument copied with its quotes
    if text[0] in "{[":
        body = _load_json(text, reader, what="This")
        built = _build(body, reader) if body is not None else None
        request, stream = built if built is not None else (None, False)
        return _result(reader, request, source="json", stream=stream)
    reader.problems.append(
        "This is neither a curl command nor a JSON request body. Paste a command that starts with "
        "curl, or the JSON object a request sends."
    )
    return _result(reader, None)


def _result(
    reader: _Reader,
    request: ChatRequest | None,
    *,
    problems: list[str] | None = None,
    source: Literal["curl", "json", ""] = "",
    **url: Any,
) -> ParsedRequest:
    notes = list(reader.notes)
    if reader.key_dropped:
        notes.insert(0, _KEY_NOTE)
    return ParsedRequest(
        request=request,
        source=source,
        ignored=list(dict.fromkeys(reader.ignored)),
        problems=[*reader.problems, *(problems or [])],
        notes=notes,
        key_dropped=reader.key_dropped,
        written_for=reader.written_for,
        **url,
    )


class _Constant(ValueError):
    """NaN or Infinity in a pasted body (Python reads them; the API does not)."""


def _load_json(text: str, reader: _Reader, *, what: str) -> Any:
    def no_constants(name: str) -> Any:
        raise _Constant(f"{name} is not allowed in JSON")

    try:
        return json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        reader.problems.append(
            f"{what} is not valid JSON: line {exc.lineno}, column {exc.colno}: "
            f"{_json_hint(exc, text)}"
        )
    except _Constant as exc:
        reader.problems.append(f"{what} is not valid JSON: {exc}.")
    except ValueError:  # int() refuses numbers of more than 4,300 digits
        reader.problems.append(f"{what} is not valid JSON: a number in it is too long to read.")
    except RecursionError:
        reader.problems.append(f"{what} is nested too deeply to read.")
    return None


def _json_hint(exc: json.JSONDecodeError, text: str) -> str:
    msg = exc.msg[:1].lower() + exc.msg[1:]
    before = text[: exc.pos].rstrip()
    if msg.startswith(("expecting property name", "expecting value")) and before.endswith(","):
        return f"{msg} (a comma before a closing bracket is not allowed in JSON)."
    if msg.startswith("expecting property name") and text[exc.pos : exc.pos + 1] == "'":
        return f"{msg} (JSON needs double quotes, not single quotes)."
    if msg.startswith("expecting value") and re.match(r"True|False|None", text[exc.pos :]):
        return f"{msg} (JSON writes true, false and null in lower case)."
    return msg + "."


_BODY_ALIASES: Final = {
    "max_completion_tokens": "max_output_tokens",
    "max_tokens": "max_output_tokens",
}
_BODY_HANDLED: Final = frozenset({"messages", "stream", "stream_options"})


def _build(body: Any, reader: _Reader) -> tuple[ChatRequest, bool] | None:
    """A `ChatRequest` (and the stream flag) from a decoded JSON body."""
    if not isinstance(body, dict):
        kind = "a list" if isinstance(body, list) else "not an object"
        reader.problems.append(f"The JSON is {kind}; a request body is an object {{…}}.")
        return None
    if (
        body.get("object") in ("chat.completion", "chat.completion.chunk", "response")
        or "choices" in body
        or "output" in body
    ):
        reader.problems.append("This looks like a response from the API, not a request.")
        return None
    for name in ("api_key", "apiKey", "key"):
        if isinstance(body.get(name), str) and body[name]:
            body = {k: v for k, v in body.items() if k != name}
            reader.key_dropped = True
    body = reader.scrub(body)
    if _is_responses_body(body):
        return _build_responses(body, reader)

    params: dict[str, Any] = {}
    cache: dict[str, Any] = {}
    for name, value in body.items():
        if name in _BODY_HANDLED:
            continue
        if name in _PROMPT_CACHE_PARAMS:
            _prompt_cache(name, value, cache, reader)
            continue
        target = _BODY_ALIASES.get(name, name)
        if (
            target == "max_output_tokens"
            and "max_completion_tokens" in body
            and name == "max_tokens"
        ):
            reader.ignored.append("max_tokens")  # both given: the newer name wins, as on the server
            continue
        if target not in _CHECKS:
            reader.ignored.append(name)
            continue
        params[target] = value
    if "stop" in params and isinstance(params["stop"], list) and len(params["stop"]) > 4:
        reader.notes.append(
            "Only the first 4 stop sequences are sent; the rest were kept but unused."
        )
    fields_, problems, _ = chat_params_from_dict(params)
    reader.problems += problems
    model = fields_.pop("model", "")
    if not model:
        reader.problems.append("No model in the request; the tab keeps its current model.")

    messages: list[Message] = []
    raw_messages = body.get("messages")
    if raw_messages is None or raw_messages == []:
        reader.problems.append("No messages in the request.")
    elif not isinstance(raw_messages, list):
        reader.problems.append(f"messages should be a list, not {_describe(raw_messages)}.")
    else:
        for i, raw in enumerate(raw_messages, start=1):
            message = _message(raw, i, reader)
            if message is not None:
                messages.append(message)

    stream = body.get("stream") is True
    if "stream" in body and not isinstance(body["stream"], bool):
        reader.problems.append(f"stream should be true or false, not {_describe(body['stream'])}.")
    if cache:  # only a `ResponsesRequest` carries them; the body stays a Chat Completions one
        reader.written_for = API_CHAT
        return ResponsesRequest(model=model, messages=tuple(messages), **fields_, **cache), stream
    return ChatRequest(model=model, messages=tuple(messages), **fields_), stream


_PROMPT_CACHE_PARAMS: Final = frozenset({"prompt_cache_key", "prompt_cache_options"})


def _prompt_cache(name: str, value: Any, out: dict[str, Any], reader: _Reader) -> None:
    """Reads `prompt_cache_key` or `prompt_cache_options` (its `ttl`; the rest is listed as not
    taken) into `ResponsesRequest` fields."""
    if value is None:
        return
    if name == "prompt_cache_key":
        if isinstance(value, str):
            if value.strip():
                out["prompt_cache_key"] = value.strip()
        else:
            reader.problems.append(
                f"prompt_cache_key should be text, not {_describe(value)}; left unset."
            )
        return
    if not isinstance(value, dict):
        reader.problems.append(
            f"prompt_cache_options should be an object, not {_describe(value)}; left unset."
        )
        return
    ttl = value.get("ttl")
    if isinstance(ttl, str) and ttl:
        out["prompt_cache_ttl"] = ttl
    elif ttl is not None:
        reader.problems.append(
            f"prompt_cache_options.ttl should be text, not {_describe(ttl)}; left unset."
        )
    for other in sorted(set(value) - {"ttl"}):
        reader.ignored.append(f"prompt_cache_options.{other}")


def _message(raw: Any, index: int, reader: _Reader) -> Message | None:
    where = f"Message {index}"
    if not isinstance(raw, dict):
        reader.problems.append(f"{where} is {_describe(raw)}, not an object; skipped.")
        return None
    role = raw.get("role")
    if not isinstance(role, str) or not role:
        reader.problems.append(f"{where} has no role; skipped.")
        return None
    if role not in _ROLES:
        reader.problems.append(f'{where}: the role "{role}" is not supported here; skipped.')
        return None
    texts: list[str] = []
    images: list[ImagePart] = []
    content = raw.get("content")
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for part in content:
            _content_part(part, where, texts, images, reader)
    elif content is not None:
        reader.problems.append(f"{where}: content should be text or a list of parts; left empty.")
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        reader.problems.append(f"{where}: name should be text; left out.")
        name = None
    tool_call_id = raw.get("tool_call_id")
    if tool_call_id is not None and not isinstance(tool_call_id, str):
        reader.problems.append(f"{where}: tool_call_id should be text; left out.")
        tool_call_id = None
    calls = _tool_calls(raw.get("tool_calls"), where, reader)
    for extra in sorted(set(raw) - {"role", "content", "name", "tool_calls", "tool_call_id"}):
        reader.ignored.append(f"{extra} (message {index})")
    return Message(
        role=role,  # type: ignore[arg-type]  # checked against Role above
        content="\n".join(texts),
        name=name or None,
        images=tuple(images),
        tool_calls=tuple(calls),
        tool_call_id=tool_call_id or None,
    )


def _content_part(
    part: Any, where: str, texts: list[str], images: list[ImagePart], reader: _Reader
) -> None:
    if isinstance(part, str):
        texts.append(part)
        return
    if not isinstance(part, dict):
        reader.problems.append(f"{where}: a content part is {_describe(part)}; skipped.")
        return
    kind = part.get("type")
    if kind in ("text", "input_text") and isinstance(part.get("text"), str):
        texts.append(part["text"])
    elif kind in ("image_url", "input_image"):
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        detail = image.get("detail") if isinstance(image, dict) else part.get("detail")
        if not isinstance(url, str) or not url:
            reader.problems.append(f"{where}: an image part has no URL; skipped.")
            return
        if detail is not None and detail not in ("auto", "low", "high"):
            reader.problems.append(
                f'{where}: image detail "{detail}" is not auto, low or high; auto used.'
            )
            detail = None
        images.append(ImagePart(url=url, detail=detail or "auto"))
    else:
        shown = kind if isinstance(kind, str) else "unknown"
        reader.problems.append(f"{where}: a {shown} part is not supported here; skipped.")


def _tool_calls(raw: Any, where: str, reader: _Reader) -> list[ToolCall]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.problems.append(f"{where}: tool_calls should be a list; left out.")
        return []
    calls: list[ToolCall] = []
    for call in raw:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            reader.problems.append(f"{where}: a tool call without a function name was skipped.")
            continue
        arguments = function.get("arguments", "")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        call_id = call.get("id")
        calls.append(
            ToolCall(
                id=call_id if isinstance(call_id, str) else "",
                name=function["name"],
                arguments=arguments,
            )
        )
    return calls


# --- Responses bodies --------------------------------------------------------------------------------

_RESPONSES_KEYS: Final = frozenset(
    {"input", "instructions", "previous_response_id", "conversation"}
)
_RESPONSES_DIRECT: Final = {
    "model": "model",
    "temperature": "temperature",
    "top_p": "top_p",
    "max_output_tokens": "max_output_tokens",
}
_RESPONSES_SKIPPED: Final = frozenset({"stream", "stream_options", "include", "store"})
_TOOL_KINDS: Final[dict[str, type[Any]]] = {
    "web_search": WebSearchTool,
    "web_search_preview": WebSearchTool,
    "file_search": FileSearchTool,
    "code_interpreter": CodeInterpreterTool,
    "image_generation": ImageGenerationTool,
    "mcp": McpTool,
}


def _is_responses_body(body: dict[str, Any]) -> bool:
    return "messages" not in body and bool(_RESPONSES_KEYS & set(body))


def _build_responses(body: dict[str, Any], reader: _Reader) -> tuple[ChatRequest, bool]:
    """A `ResponsesRequest` (and the stream flag) from a `responses.create` body."""
    params: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in body.items():
        if name in _RESPONSES_DIRECT:
            params[_RESPONSES_DIRECT[name]] = value
        elif name in _RESPONSES_KEYS or name in _RESPONSES_SKIPPED or name in ("tools", "text"):
            continue
        elif name == "reasoning" and isinstance(value, dict):
            if value.get("effort") is not None:
                params["reasoning_effort"] = value["effort"]
            if isinstance(value.get("summary"), str):
                extra["reasoning_summary"] = value["summary"]
            for other in sorted(set(value) - {"effort", "summary"}):
                reader.ignored.append(f"reasoning.{other}")
        elif name == "top_logprobs":
            params["logprobs"] = True
            if value:
                params["top_logprobs"] = value
        elif name == "service_tier" and isinstance(value, str):
            extra["service_tier"] = value
        elif name in _PROMPT_CACHE_PARAMS:
            _prompt_cache(name, value, extra, reader)
        elif name == "tool_choice":
            params["tool_choice"] = (
                {"type": "function", "function": {"name": value["name"]}}
                if isinstance(value, dict) and value.get("type") == "function" and "name" in value
                else value
            )
        else:
            reader.ignored.append(name)
    if body.get("conversation"):
        # The id names a conversation someone else made: what it holds cannot be seen here, and
        # continuing it could mix in turns the user never saw. So the turns in the request are
        # filled in, "Keep on OpenAI" as an OpenAI conversation is switched on, and the first
        # send starts a conversation of its own with them.
        extra.update(store=True, keep_as="conversation")
        reader.notes.append(
            "The request continues an OpenAI conversation made elsewhere; only the turns in it "
            "were filled in. “Keep on OpenAI” is on, as an OpenAI conversation: the first send "
            "starts a new one with these turns (the other one is left as it is)."
        )
    if body.get("previous_response_id"):
        reader.notes.append(
            "The request continues a stored response (previous_response_id); only the turns in "
            "it were filled in."
        )
    text = body.get("text")
    if isinstance(text, dict):
        if isinstance(text.get("verbosity"), str):
            extra["verbosity"] = text["verbosity"]
        fmt = text.get("format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            schema = {k: v for k, v in fmt.items() if k != "type"}
            params["response_format"] = {"type": "json_schema", "json_schema": schema}
        elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
            params["response_format"] = {"type": "json_object"}
    tools, builtin = _responses_tools(body.get("tools"), reader)
    if tools:
        params["tools"] = tools
    if builtin:
        extra["builtin_tools"] = tuple(builtin)
    fields_, problems, _ = chat_params_from_dict(params)
    reader.problems += problems
    model = fields_.pop("model", "")
    if not model:
        reader.problems.append("No model in the request; the tab keeps its current model.")
    messages: list[Message] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions.strip():
        messages.append(Message("system", instructions))
    messages += _input_messages(body.get("input"), reader)
    if len(messages) == (1 if messages and messages[0].role == "system" else 0):
        reader.problems.append("No input in the request.")
    stream = body.get("stream") is True
    for name in ("reasoning_summary", "verbosity", "service_tier"):
        if name in extra and not isinstance(extra[name], str):
            del extra[name]
    request = ResponsesRequest(model=model, messages=tuple(messages), **fields_, **extra)
    return request, stream


def _responses_tools(raw: Any, reader: _Reader) -> tuple[list[dict[str, Any]], list[BuiltinTool]]:
    functions: list[dict[str, Any]] = []
    builtin: list[BuiltinTool] = []
    if raw is None:
        return functions, builtin
    if not isinstance(raw, list):
        reader.problems.append("tools should be a list; left out.")
        return functions, builtin
    for tool in raw:
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == "function" and isinstance(tool.get("name"), str):
            function = {k: tool[k] for k in ("name", "description", "parameters", "strict")
                        if k in tool}  # fmt: skip
            functions.append({"type": "function", "function": function})
        elif kind in _TOOL_KINDS:
            built = _builtin_tool(str(kind), tool, reader)
            if built is not None:
                builtin.append(built)
        else:
            reader.ignored.append(f"tool {kind if isinstance(kind, str) else '?'}")
    return functions, builtin


def _builtin_tool(kind: str, raw: dict[str, Any], reader: _Reader) -> BuiltinTool | None:
    if kind in ("web_search", "web_search_preview"):
        filters = raw.get("filters") if isinstance(raw.get("filters"), dict) else {}
        location = raw.get("user_location")
        return WebSearchTool(
            context_size=raw.get("search_context_size"),
            allowed_domains=tuple(str(d) for d in (filters or {}).get("allowed_domains") or ()),
            user_location=UserLocation(
                **{
                    k: str(location[k])
                    for k in ("city", "region", "country", "timezone")
                    if location.get(k)
                }
            )
            if isinstance(location, dict)
            else None,
        )
    if kind == "file_search":
        ids = raw.get("vector_store_ids")
        if not isinstance(ids, list) or not ids:
            reader.problems.append("A file_search tool names no vector store; left out.")
            return None
        return FileSearchTool(vector_store_ids=tuple(str(i) for i in ids))
    if kind == "code_interpreter":
        container = raw.get("container")
        return CodeInterpreterTool(container_id=container if isinstance(container, str) else None)
    if kind == "image_generation":
        return ImageGenerationTool(
            model=raw.get("model"), size=raw.get("size"), quality=raw.get("quality")
        )
    url, label = raw.get("server_url"), raw.get("server_label")
    if not isinstance(url, str) or not isinstance(label, str):
        reader.problems.append("An mcp tool needs server_url and server_label; left out.")
        return None
    if raw.get("headers"):
        reader.notes.append(
            f"The headers of the MCP server {label} were not taken (they may hold a key)."
        )
    allowed_tools = raw.get("allowed_tools")
    return McpTool(
        server_label=label,
        server_url=url,
        allowed_tools=tuple(str(t) for t in allowed_tools)
        if isinstance(allowed_tools, list)
        else (),
        require_approval="never" if raw.get("require_approval") == "never" else "always",
    )


def _input_messages(raw: Any, reader: _Reader) -> list[Message]:
    if isinstance(raw, str):
        return [Message("user", raw)] if raw else []
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.problems.append(f"input should be text or a list, not {_describe(raw)}.")
        return []
    out: list[Message] = []
    for index, item in enumerate(raw, start=1):
        kind = item.get("type", "message") if isinstance(item, dict) else None
        if kind == "message" and isinstance(item, dict):
            content = item.get("content")
            if isinstance(content, list):  # output_text parts of an assistant turn read as text
                content = [
                    {**p, "type": "input_text"}
                    if isinstance(p, dict) and p.get("type") == "output_text"
                    else p
                    for p in content
                ]
            message = _message({"role": item.get("role"), "content": content}, index, reader)
            if message is not None:
                out.append(message)
        elif kind == "function_call" and isinstance(item, dict):
            call = ToolCall(
                id=str(item.get("call_id") or ""),
                name=str(item.get("name") or ""),
                arguments=str(item.get("arguments") or ""),
            )
            if out and out[-1].role == "assistant" and not out[-1].content:
                last = out.pop()
                out.append(dataclasses.replace(last, tool_calls=(*last.tool_calls, call)))
            else:
                out.append(Message("assistant", "", tool_calls=(call,)))
        elif kind == "function_call_output" and isinstance(item, dict):
            output = item.get("output")
            out.append(
                Message(
                    "tool",
                    output if isinstance(output, str) else json.dumps(output),
                    tool_call_id=str(item.get("call_id") or ""),
                )
            )
        else:
            reader.ignored.append(f"input item {index} ({kind if isinstance(kind, str) else '?'})")
    return out


# --- curl --------------------------------------------------------------------------------------------

# Options that take a value (the next word, or the rest of a short-option word).
_SHORT_WITH_VALUE: Final = frozenset("dHXuoAebcxmwTFEryYzCKQUt")
# fmt: off
_LONG_WITH_VALUE: Final = frozenset(
    {
        "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "--json",
        "--header", "--request", "--url", "--user", "--output", "--user-agent", "--referer",
        "--cookie", "--cookie-jar", "--proxy", "--proxy-user", "--max-time", "--connect-timeout",
        "--write-out", "--retry", "--retry-delay", "--retry-max-time", "--form", "--form-string",
        "--upload-file", "--cert", "--key", "--cacert", "--capath", "--config", "--resolve",
        "--limit-rate", "--oauth2-bearer", "--aws-sigv4", "--range", "--max-filesize",
        "--interface", "--dns-servers", "--unix-socket", "--variable", "--trace", "--trace-ascii",
        "--stderr", "--keepalive-time", "--expect100-timeout", "--speed-limit", "--speed-time",
        "--noproxy", "--connect-to", "--local-port", "--create-dirs-mode", "--output-dir",
    }
)
# fmt: on
_DATA_OPTIONS: Final = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--json"}
)
_SHORT_LONG: Final = {
    "-d": "--data",
    "-H": "--header",
    "-X": "--request",
    "-u": "--user",
    "-F": "--form",
    "-T": "--upload-file",
}


def _parse_curl(text: str, reader: _Reader) -> ParsedRequest:
    words = _split_command(text, reader)
    if not words or not re.fullmatch(r"curl(\.exe)?", words[0], re.IGNORECASE):
        reader.problems.append("This does not look like a curl command.")
        return _result(reader, None)
    options = _curl_options(words[1:], reader)
    url_info = _read_url(options.url, reader)
    azure = url_info.pop("azure", False) or options.api_key_header

    bodies = options.bodies
    if not bodies:
        reader.problems.append(
            "The command sends no request body (no -d, --data or --json); nothing to fill in."
        )
        return _result(reader, None, source="curl", azure=azure, **url_info)
    if len(bodies) > 1:
        reader.problems.append("The command has several -d options; only the first was read.")
    option, body_text = bodies[0]
    if option != "--data-raw" and body_text.startswith("@"):
        reader.problems.append(
            f"The body is read from a file ({body_text}); paste the JSON itself instead."
        )
        return _result(reader, None, source="curl", azure=azure, **url_info)
    body = _load_json(body_text, reader, what="The request body")
    built = _build(body, reader) if body is not None else None
    request, stream = built if built is not None else (None, False)
    return _result(reader, request, source="curl", stream=stream, azure=azure, **url_info)


@dataclass(slots=True)
class _CurlOptions:
    url: str | None = None
    bodies: list[tuple[str, str]] = field(default_factory=list)
    api_key_header: bool = False


def _curl_options(words: list[str], reader: _Reader) -> _CurlOptions:
    out = _CurlOptions()
    pairs: list[tuple[str, str]] = []
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            positional += words[i:]
            break
        if word.startswith("--"):
            name, eq, attached = word.partition("=")
            if name in _LONG_WITH_VALUE:
                if eq:  # curl itself has no --opt=value, but people write it
                    pairs.append((name, attached))
                elif i < len(words):
                    pairs.append((name, words[i]))
                    i += 1
                else:
                    reader.problems.append(f"{name} at the end of the command has no value.")
            continue
        if word.startswith("-") and len(word) > 1:
            for j, letter in enumerate(word[1:], start=1):
                if letter in _SHORT_WITH_VALUE:
                    short = "-" + letter
                    if j + 1 < len(word):
                        pairs.append((short, word[j + 1 :]))
                    elif i < len(words):
                        pairs.append((short, words[i]))
                        i += 1
                    else:
                        reader.problems.append(f"{short} at the end of the command has no value.")
                    break
            continue
        positional.append(word)

    for option, value in pairs:
        name = _SHORT_LONG.get(option, option)
        if option in _DATA_OPTIONS or name in _DATA_OPTIONS:
            out.bodies.append((name, value))
        elif name == "--header":
            _curl_header(value, out, reader)
        elif name == "--url" and out.url is None:
            out.url = value
        elif name in ("--user", "--oauth2-bearer", "--proxy-user"):
            if value.strip(":") and not _is_var_ref(value.strip(":")):
                reader.secrets.add(value.split(":", 1)[-1])
                reader.key_dropped = True
        elif name in ("--form", "--form-string", "--upload-file"):
            reader.problems.append(
                f"{name} sends a file or form, which a chat request does not use; it was skipped."
            )
        elif name == "--request" and value.upper() != "POST":
            reader.notes.append(f"The command uses {value.upper()}; chat requests are always POST.")
    for word in positional:
        if out.url is None:
            out.url = word
        else:
            reader.ignored.append(word)
    return out


def _curl_header(value: str, out: _CurlOptions, reader: _Reader) -> None:
    name, colon, content = value.partition(":")
    key = name.strip().lower()
    content = content.strip()
    if not colon or not key:
        reader.ignored.append(f"header {value.strip()!r}")
        return
    if key in ("authorization", "api-key", "x-api-key", "proxy-authorization"):
        if key == "api-key":
            out.api_key_header = True
        token = re.sub(r"^(bearer|basic|token)\s+", "", content, flags=re.IGNORECASE).strip()
        if token and not _is_var_ref(token) and not _PLACEHOLDER_KEY.match(token):
            reader.secrets.add(token)
            reader.key_dropped = True
        return
    if key in ("content-type", "accept", "user-agent", "accept-encoding", "connection"):
        return
    reader.ignored.append(f"header {name.strip()}")


def _is_var_ref(text: str) -> bool:
    return _VAR_REF.fullmatch(text.strip()) is not None


def _read_url(url: str | None, reader: _Reader) -> dict[str, Any]:
    """base_url, azure, deployment and api_version from the command's URL."""
    if not url:
        reader.notes.append("The command has no URL; the provider's own URL stays.")
        return {}
    raw = url.strip()
    starts_with_var = _VAR_REF.match(raw)
    if starts_with_var is not None:
        host_var = starts_with_var.group(0)
        rest = raw[starts_with_var.end() :]
        scheme_host = ""
        reader.notes.append(f"The URL starts with {host_var}; the provider's own URL stays.")
    else:
        if "://" not in raw:
            raw = "https://" + raw
        try:
            parts = urlsplit(raw)
        except ValueError:
            reader.problems.append(f"The URL {url!r} could not be read.")
            return {}
        netloc = parts.netloc
        if "@" in netloc:  # user:password@host: a credential, never kept
            secret = netloc.rsplit("@", 1)[0]
            reader.secrets.add(secret.split(":", 1)[-1])
            reader.key_dropped = True
            netloc = netloc.rsplit("@", 1)[1]
        scheme_host = urlunsplit((parts.scheme, netloc, "", "", ""))
        rest = urlunsplit(("", "", parts.path, parts.query, ""))
    path, _, query = rest.partition("?")
    path = path.rstrip("/")
    query_values = dict(parse_qsl(query, keep_blank_values=True))
    for name in list(query_values):
        if name.lower() in ("api-key", "api_key", "key"):
            reader.secrets.add(query_values.pop(name))
            reader.key_dropped = True
    info: dict[str, Any] = {}
    azure = re.fullmatch(r"(.*)/openai/deployments/([^/]+)/chat/completions", path)
    if azure is not None:
        info["azure"] = True
        info["deployment"] = unquote(azure.group(2))
        version = query_values.get("api-version")
        if version and not _is_var_ref(version):
            info["api_version"] = version
        if scheme_host:
            info["base_url"] = scheme_host + azure.group(1)
        return info
    if path.endswith("/chat/completions"):
        path = path.removesuffix("/chat/completions")
    elif path.endswith("/responses"):
        path = path.removesuffix("/responses")
    elif path:
        path, _, endpoint = path.rpartition("/")
        reader.problems.append(
            f"The URL goes to /{endpoint}, not /chat/completions or /responses; its body was "
            "read as a chat request, and the URL was not taken."
        )
        return {"azure": True} if path.endswith("/openai/v1") else {}
    if path.endswith("/openai/v1"):
        info["azure"] = True
    if scheme_host:
        info["base_url"] = scheme_host + path
    return info


# --- shell words -------------------------------------------------------------------------------------


def _split_command(text: str, reader: _Reader) -> list[str]:
    """The words of the first command in `text`, the way bash (or cmd.exe) would split them."""
    if re.search(r"\^[ \t]*\n", text) and not re.search(r"\\[ \t]*\n", text):
        return _split_cmd(re.sub(r"\^[ \t]*\n", " ", text), reader)
    text = re.sub(r"[ \t]`[ \t]*\n", " ", text)  # PowerShell line continuation
    return _split_posix(text, reader)


# fmt: off
_ANSI_C: Final = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
                  "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "v": "\v", "?": "?"}
# fmt: on


def _split_posix(text: str, reader: _Reader) -> list[str]:
    words: list[str] = []
    cur: list[str] = []
    in_word = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\n":
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
            i += 1
            if c == "\n" and words and not _continues(text, i):
                break  # an unescaped newline ends the command
            continue
        if c == "#" and not in_word:
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c in "|;&<>":
            break  # a pipe, a redirection or the next command: not part of the curl call
        if c == "\\":
            after = _CONTINUATION.match(text, i)
            if after is not None:  # a line continuation, even with spaces pasted after the \\
                i = after.end()
                continue
            in_word = True
            cur.append(text[i + 1 : i + 2])
            i += 2
            continue
        in_word = True
        if c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                reader.problems.append("A ' quote is never closed; was the paste cut off?")
                end = n
            cur.append(text[i + 1 : end])
            i = end + 1
        elif c == "$" and text[i + 1 : i + 2] == "'":
            i = _ansi_c(text, i + 2, cur, reader)
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
                    if text[i + 1] != "\n":
                        cur.append(text[i + 1])
                    i += 2
                else:
                    cur.append(text[i])
                    i += 1
            if i >= n:
                reader.problems.append('A " quote is never closed; was the paste cut off?')
            i += 1
        else:
            cur.append(c)
            i += 1
    if in_word:
        words.append("".join(cur))
    return words


_CONTINUATION = re.compile(r"\\[ \t]*\n")
_OPTION_LINE = re.compile(r"[ \t]*-")


def _continues(text: str, i: int) -> bool:
    """The next line starts with an option: a command pasted without its line continuations."""
    return _OPTION_LINE.match(text, i) is not None


def _ansi_c(text: str, i: int, cur: list[str], reader: _Reader) -> int:
    """Reads a bash `$'…'` string from just after its opening quote; returns the index after it."""
    n = len(text)
    while i < n and text[i] != "'":
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in _ANSI_C:
                cur.append(_ANSI_C[nxt])
                i += 2
                continue
            hexes = {"x": 2, "u": 4, "U": 8}.get(nxt)
            if hexes is not None:
                digits = re.match(rf"[0-9a-fA-F]{{1,{hexes}}}", text[i + 2 : i + 2 + hexes])
                if digits is not None:
                    code = int(digits.group(0), 16)
                    cur.append(chr(code) if code <= 0x10FFFF else "\ufffd")
                    i += 2 + len(digits.group(0))
                    continue
            cur.append(c)
            i += 1
            continue
        cur.append(c)
        i += 1
    if i >= n:
        reader.problems.append("A $' quote is never closed; was the paste cut off?")
    return i + 1


def _split_cmd(text: str, reader: _Reader) -> list[str]:
    """cmd.exe + the MSVC runtime: `"` quotes, `\\"` a literal quote, `^` escapes outside quotes."""
    words: list[str] = []
    cur: list[str] = []
    in_word = quoted = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            j = i
            while j < n and text[j] == "\\":
                j += 1
            count = j - i
            if j < n and text[j] == '"':
                cur.append("\\" * (count // 2))
                if count % 2:
                    cur.append('"')
                    i = j + 1
                else:
                    i = j  # the quote toggles below
                in_word = True
                continue
            cur.append("\\" * count)
            in_word = True
            i = j
            continue
        if c == '"':
            if quoted and text[i + 1 : i + 2] == '"':  # "" inside quotes: a literal quote
                cur.append('"')
                i += 2
                continue
            quoted = not quoted
            in_word = True
            i += 1
            continue
        if not quoted:
            if c in " \t\n":
                if in_word:
                    words.append("".join(cur))
                    cur, in_word = [], False
                i += 1
                if c == "\n" and words and not _continues(text, i):
                    break
                continue
            if c == "^" and i + 1 < n:
                cur.append(text[i + 1])
                in_word = True
                i += 2
                continue
            if c in "|&<>":
                break
        cur.append(c)
        in_word = True
        i += 1
    if quoted:
        reader.problems.append('A " quote is never closed; was the paste cut off?')
    if in_word:
        words.append("".join(cur))
    return words
