"""Every importer turns bad input into its documented error with a plain message (issue 20, items
8 and 9): the inputs a tester found, one by one. The fuzz tests are in `test_import_fuzz.py`."""

from __future__ import annotations

import codecs
import json
import sqlite3
import warnings
from pathlib import Path

import pytest

from playground.core.chat.codegen import parse_request
from playground.core.chat.export import (
    ConversationFileError,
    ExportConversation,
    ExportTurn,
    from_json,
    read_conversation,
    to_json,
)
from playground.core.chat.presets import Preset, PresetError, PresetStore, export_json
from playground.core.chat.service import ChatRequest
from playground.core.embeddings.files import (
    InputFileError,
    parse_table,
    read_table,
    write_vectors_jsonl,
)
from playground.core.lab.store import LabStore, LabStoreError
from playground.core.lab.suite import (
    CaseFileError,
    CellKey,
    CellResult,
    CellStatus,
    Expectation,
    ExpectKind,
    LabRun,
    Prompt,
    TestCase,
    Variant,
    cases_from_csv,
    cases_from_jsonl,
    cases_to_jsonl,
    read_cases_file,
    resolve_case_images,
)
from playground.core.models import Message
from playground.core.storage.textfiles import (
    TextFileError,
    decode_text,
    load_json,
    read_text_file,
)

SHIFT_JIS = "country,capital\n日本,東京\n".encode("shift_jis")  # byte 0x93 is not UTF-8
BIG_NUMBER = "1" * 4301  # int() converts at most 4,300 digits
LONG_CELL = "x" * 200_000  # csv's field limit is 131,072 characters


# --- the shared decoder ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "Grüße, 東京\n".encode(),
        codecs.BOM_UTF8 + "Grüße, 東京\n".encode(),
        codecs.BOM_UTF16_LE + "Grüße, 東京\n".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "Grüße, 東京\n".encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8 bom", "utf-16 le bom", "utf-16 be bom"],
)
def test_text_files_in_utf8_or_with_a_bom_are_read(data: bytes) -> None:
    assert decode_text(data) == "Grüße, 東京\n"


def test_other_encodings_are_named_in_words() -> None:
    with pytest.raises(TextFileError) as caught:
        decode_text(SHIFT_JIS)
    message = str(caught.value)
    assert message.startswith("This file is not UTF-8 text")
    assert "line 2" in message
    assert message.endswith("save it as UTF-8.")
    assert "codec" not in message
    assert "0x" not in message


@pytest.mark.parametrize(
    "data",
    ["a,b\n".encode("utf-16-le"), b"\x89PNG\r\n\x1a\n\x00\x00", codecs.BOM_UTF16_LE + b"\x00\xd8"],
    ids=["utf-16 without bom", "binary", "damaged utf-16"],
)
def test_binary_and_damaged_files_are_refused_in_words(data: bytes) -> None:
    with pytest.raises(TextFileError, match=r"[sS]ave it as UTF-8"):
        decode_text(data)


def test_missing_files_and_folders_are_said_in_words(tmp_path: Path) -> None:
    with pytest.raises(TextFileError, match=r"nope\.csv cannot be read: there is no such file\."):
        read_text_file(tmp_path / "nope.csv")
    with pytest.raises(TextFileError, match=r"is a folder|cannot be read"):
        read_text_file(tmp_path)
    big = tmp_path / "big.csv"
    big.write_bytes(b"a" * 3000)
    with pytest.raises(TextFileError, match="files up to 2 KB"):
        read_text_file(big, max_bytes=2048)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (BIG_NUMBER, "a number in it is too long to read"),
        ("[" * 100_000, "nested too deeply"),
        ('{"a": }', "line 1, column 7"),
    ],
)
def test_every_json_failure_is_one_plain_error(text: str, reason: str) -> None:
    with pytest.raises(TextFileError, match=reason):
        load_json(text)


# --- Chat: open a JSON conversation ----------------------------------------------------------


def _conversation_json() -> str:
    return to_json(
        ExportConversation(
            title="Trip",
            turns=(ExportTurn(Message("user", "Hi")), ExportTurn(Message("assistant", "Hello"))),
        )
    )


def test_a_role_that_is_a_list_skips_the_turn_instead_of_raising() -> None:
    document = json.loads(_conversation_json())
    document["turns"][0]["message"]["role"] = ["user"]
    conversation, problems = from_json(json.dumps(document))
    assert conversation is not None
    assert [t.message.role for t in conversation.turns] == ["assistant"]
    assert problems == [
        "Turn 1 was skipped: its role a list is not one of assistant, developer, system, tool, user."
    ]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("audio_seconds", 10**400, "its usage audio_seconds is a very long number"),
        ("input_tokens", 10**20, "its usage input_tokens"),
    ],
)
def test_numbers_out_of_range_skip_the_turn(field: str, value: int, reason: str) -> None:
    document = json.loads(_conversation_json())
    document["turns"][1]["usage"] = {field: value}
    conversation, problems = from_json(json.dumps(document))
    assert conversation is not None
    assert len(conversation.turns) == 1
    assert reason in problems[0]


def test_a_conversation_file_that_is_not_utf8_is_said_in_words(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_bytes(_conversation_json().encode("cp1252").replace(b"Trip", b"Tr\xe9p"))
    with pytest.raises(ConversationFileError, match="This file is not UTF-8 text"):
        read_conversation(path)


def test_a_utf16_conversation_file_opens(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_bytes(codecs.BOM_UTF16_LE + _conversation_json().encode("utf-16-le"))
    conversation, problems = read_conversation(path)
    assert conversation.title == "Trip"
    assert problems == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [('{"format": "x"}', "not an exported conversation"), (BIG_NUMBER, "too long to read")],
)
def test_a_file_that_is_no_conversation_raises_the_documented_error(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "chat.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConversationFileError, match=reason):
        read_conversation(path)


# --- Prompt Lab: import cases ----------------------------------------------------------------


def test_a_header_cell_over_the_csv_field_limit_is_a_case_file_error() -> None:
    with pytest.raises(CaseFileError, match=r"Line 1: a cell is longer than 131,072 characters"):
        cases_from_csv(f"{LONG_CELL},expected\nFrance,Paris\n")


def test_a_body_cell_over_the_csv_field_limit_names_its_line() -> None:
    with pytest.raises(CaseFileError, match="Line 3: a cell is longer"):
        cases_from_csv(f"country\nFrance\n{LONG_CELL}\n")


def test_a_json_number_of_4301_digits_is_a_case_file_error() -> None:
    text = '{"vars": {"n": 1}}\n{"vars": {"n": ' + BIG_NUMBER + "}}\n"
    with pytest.raises(CaseFileError, match=r"Line 2: not valid JSON .a number in it is too long"):
        cases_from_jsonl(text)


def test_deep_nesting_in_a_case_line_is_a_case_file_error() -> None:
    with pytest.raises(CaseFileError, match=r"Line 1: not valid JSON .it is nested too deeply"):
        cases_from_jsonl('{"vars": ' + "[" * 100_000 + "\n")


def test_a_non_text_expect_is_a_case_file_error() -> None:
    with pytest.raises(CaseFileError, match="Line 1: “expect” must be the name of a check"):
        cases_from_jsonl('{"vars": {"a": "b"}, "expect": ["contains"]}\n')


def test_a_picture_path_with_a_control_character_is_refused() -> None:
    with pytest.raises(CaseFileError, match=r"Line 1: the picture .* control character"):
        cases_from_jsonl('{"vars": {"a": "b"}, "images": ["a\\u0000.png"]}\n')


@pytest.mark.parametrize("source", ["~unknownuser-4f2a/photo.png", "~", "~/photo.png"])
def test_picture_paths_with_a_tilde_never_raise(tmp_path: Path, source: str) -> None:
    cases = resolve_case_images([TestCase({"a": "b"}, images=(source,))], tmp_path)
    (resolved,) = cases[0].images
    if source.startswith("~unknownuser"):
        assert resolved == source  # left as written: the grid says the picture was not found
    else:
        assert not resolved.startswith("~")
        assert Path(resolved).is_absolute()


def test_an_unknown_user_picture_path_imports(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("country,images\nFrance,~unknownuser-4f2a/photo.png\n", encoding="utf-8")
    (case,) = read_cases_file(path)
    assert case.images == ("~unknownuser-4f2a/photo.png",)


def test_a_case_file_that_is_not_utf8_is_said_in_words(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(SHIFT_JIS)
    with pytest.raises(CaseFileError) as caught:
        read_cases_file(path)
    assert str(caught.value).startswith("This file is not UTF-8 text (line 2")
    assert "codec" not in str(caught.value)


def test_spreadsheet_unicode_text_imports(tmp_path: Path) -> None:
    """What a spreadsheet saves as "Unicode text": UTF-16 LE with a BOM, tab-separated."""
    path = tmp_path / "cases.txt"
    text = "country\texpect\texpected\r\n日本\tcontains\t東京\r\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    (case,) = read_cases_file(path)
    assert dict(case.values) == {"country": "日本"}
    assert case.expect.value == "東京"


@pytest.mark.parametrize("bom", [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_csv_and_jsonl_with_a_bom_import(tmp_path: Path, bom: bytes) -> None:
    encoding = {
        codecs.BOM_UTF8: "utf-8",
        codecs.BOM_UTF16_LE: "utf-16-le",
        codecs.BOM_UTF16_BE: "utf-16-be",
    }[bom]
    csv_file, jsonl_file = tmp_path / "c.csv", tmp_path / "c.jsonl"
    csv_file.write_bytes(bom + "city,expected\nParis,é\n".encode(encoding))
    jsonl_file.write_bytes(bom + '{"vars": {"city": "Paris"}}\n'.encode(encoding))
    assert [dict(c.values) for c in read_cases_file(csv_file)] == [{"city": "Paris"}]
    assert [dict(c.values) for c in read_cases_file(jsonl_file)] == [{"city": "Paris"}]


def test_a_missing_case_file_is_a_case_file_error(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match="no such file"):
        read_cases_file(tmp_path / "gone.csv")


def test_a_damaged_stored_run_is_a_lab_store_error(tmp_path: Path) -> None:
    store = LabStore(tmp_path / "lab.sqlite3")
    try:
        run = LabRun(
            variants=[Variant("A", Prompt("", "{{q}}"), "gpt-4o")],
            cases=[TestCase({"q": "hi"})],
            samples=1,
        )
        key = CellKey(run.cases[0].id, run.variants[0].id)
        run.results[key] = CellResult(CellStatus.OK, "hello")
        run_id = store.save_run(run)
        assert store.load_run(run_id) is not None
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "lab.sqlite3") as conn:
        conn.execute("UPDATE runs SET results = ? WHERE id = ?", ('{"x": {"status": 1}}', run_id))
    conn.close()
    store = LabStore(tmp_path / "lab.sqlite3")
    try:
        with pytest.raises(LabStoreError, match=f"Run {run_id} .* is damaged"):
            store.load_run(run_id)
    finally:
        store.close()


# --- presets ---------------------------------------------------------------------------------


def _presets_json() -> str:
    return export_json([Preset("Terse", "Answer in one line.", ChatRequest("gpt-4o", ()))])


def test_a_presets_file_that_is_not_utf8_is_said_in_words(tmp_path: Path) -> None:
    path = tmp_path / "presets.json"
    path.write_bytes(_presets_json().encode().replace(b"Terse", b"Ter\xe3se"))
    store = PresetStore(tmp_path / "store.json")
    with pytest.raises(PresetError, match=r"^This file is not UTF-8 text \(line \d+"):
        store.import_file(path)
    assert store.list() == []


def test_a_utf16_presets_file_imports(tmp_path: Path) -> None:
    path = tmp_path / "presets.json"
    path.write_bytes(codecs.BOM_UTF16_BE + _presets_json().encode("utf-16-be"))
    store = PresetStore(tmp_path / "store.json")
    added, problems = store.import_file(path)
    assert [p.name for p in added] == ["Terse"]
    assert problems == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[" * 100_000, "nested too deeply"),
        ('{"format": "playground-presets", "version": ' + BIG_NUMBER + "}", "too long to read"),
        ('{"format": "playground-presets", "version": 1, "presets": [1]}', "Preset 1 is not"),
    ],
)
def test_presets_files_that_hold_no_preset_raise_the_documented_error(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "presets.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PresetError, match=reason):
        PresetStore(tmp_path / "store.json").import_file(path)


def test_preset_counts_beyond_a_spin_box_are_problems_not_values() -> None:
    document = json.loads(_presets_json())
    document["presets"][0]["params"] = {"max_output_tokens": 10**20, "seed": 2**70}
    from playground.core.chat.presets import import_json

    (preset,), problems = import_json(json.dumps(document))
    assert preset.params.max_output_tokens is None
    assert preset.params.seed is None
    assert any("max_output_tokens should be a whole number from 0 to" in p for p in problems)
    assert any("seed should be a whole number between" in p for p in problems)


# --- pasted requests and Embeddings files ----------------------------------------------------


def test_a_pasted_body_with_a_huge_count_is_a_problem() -> None:
    parsed = parse_request('{"model": "gpt-4o", "messages": [], "max_tokens": 1e300}')
    assert parsed.request is not None
    assert parsed.request.max_output_tokens is None
    assert parsed.problems


@pytest.mark.parametrize(
    ("suffix", "content", "reason"),
    [
        (".jsonl", ('{"text": ' + BIG_NUMBER + "}\n").encode(), "line 1: not valid JSON .a number"),
        (".jsonl", ('{"text": ' + "[" * 100_000).encode(), "line 1: not valid JSON .it is nested"),
        (".csv", f"text\nshort\n{LONG_CELL}\n".encode(), "line 3: a cell is longer than"),
        (".txt", SHIFT_JIS, "This file is not UTF-8 text"),
    ],
)
def test_embeddings_files_raise_only_input_file_error(
    suffix: str, content: bytes, reason: str
) -> None:
    with pytest.raises(InputFileError, match=reason):
        parse_table(f"in{suffix}", suffix, content)


def test_a_utf16_embeddings_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "text,lang\nBonjour,fr\nHallo,de\n".encode("utf-16-le"))
    table = read_table(path)
    assert table.column("text").texts == ("Bonjour", "Hallo")


# --- found by the fuzz tests -----------------------------------------------------------------


def test_case_values_with_unicode_line_separators_survive_jsonl() -> None:
    """`cases_to_jsonl` leaves U+0085 and U+2028 unescaped; str.splitlines cut lines there."""
    cases = [TestCase({"q": "a\x85b\u2028c"}, Expectation(ExpectKind.CONTAINS, "x\x85"))]
    (back,) = cases_from_jsonl(cases_to_jsonl(cases, ["q"]))
    assert dict(back.values) == {"q": "a\x85b\u2028c"}
    assert back.expect.value == "x\x85"


def test_embeddings_jsonl_with_unicode_line_separators_reads_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    write_vectors_jsonl(path, ["one\x85two", "three"], [[0.1], [0.2]])
    assert read_table(path).column("text").texts == ("one\x85two", "three")


def test_a_number_too_large_for_a_float_is_a_problem_not_a_crash() -> None:
    from playground.core.chat.presets import import_json

    document = json.loads(_presets_json())
    document["presets"][0]["params"] = {"temperature": 10**400}
    (preset,), problems = import_json(json.dumps(document))
    assert preset.params.temperature is None
    assert problems == [
        'Preset "Terse": temperature should be a number that is not so large, not a very long '
        "number; left unset."
    ]


def test_a_regex_python_warns_about_is_checked_without_a_warning() -> None:
    expect = Expectation(ExpectKind.REGEX, "[[a]")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert expect.problem() is None
        assert expect.check("a]").passed is True


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\uDBFF"])
def test_lone_surrogate_escapes_become_replacement_characters(tmp_path: Path, escape: str) -> None:
    """Half a UTF-16 pair reads into a str no UTF-8 file or SQLite row can hold."""
    assert load_json(f'{{"a{escape}": "b{escape}", "ok": "\\ud83d\\ude00"}}') == {
        "a\ufffd": "b\ufffd",
        "ok": "😀",
    }
    document = json.loads(_presets_json())
    document["presets"][0]["name"] = "Terse"
    text = json.dumps(document).replace("Answer in one line.", f"x{escape}")
    path = tmp_path / "presets.json"
    path.write_text(text, encoding="utf-8")
    store = PresetStore(tmp_path / "store.json")
    (preset,), _ = store.import_file(path)  # before: UnicodeEncodeError writing the store
    assert preset.system_prompt == "x\ufffd"
