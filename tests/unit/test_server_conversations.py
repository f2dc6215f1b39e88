"""`core.chat.server_state`, the OpenAI conversation way of "Keep on OpenAI": which conversation a
request continues (the digest), and `ConversationKeeper` against the fake server through the SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from playground.core.api.errors import AppError
from playground.core.chat.responses import to_responses
from playground.core.chat.server_state import (
    ConversationKeeper,
    KeptConversation,
    KeptOnOpenAI,
    after_answer,
    batches,
    chain_key,
    conversation_to_continue,
    held_turns,
    kept_on_openai,
    seeded,
)
from playground.core.chat.service import ResponsesRequest
from playground.core.models import Message
from tests.fakes.conversations import FakeConversations
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.responses import StoredResponses

SYSTEM = Message("system", "Be brief.")
ONE, A1, TWO, A2 = (
    Message("user", "One"),
    Message("assistant", "A1"),
    Message("user", "Two"),
    Message("assistant", "A2"),
)


def test_a_conversation_continues_while_it_holds_exactly_the_turns_up_to_the_last_answer() -> None:
    kept = after_answer("conv_1", [SYSTEM, ONE], A1)
    assert kept == KeptConversation("conv_1", chain_key([ONE, A1]))
    assert conversation_to_continue([SYSTEM, ONE, A1, TWO], kept) == "conv_1"
    # The system prompt goes with every request (as instructions): not part of what is held.
    assert conversation_to_continue([Message("system", "Other"), ONE, A1, TWO], kept) == "conv_1"
    assert held_turns([SYSTEM, ONE, A1, TWO]) == [ONE, A1]
    assert held_turns([ONE]) == []  # nothing answered yet: a first send seeds nothing


def test_an_edit_a_rerolled_or_deleted_turn_or_a_cut_needs_a_new_conversation() -> None:
    kept = after_answer("conv_1", [ONE, A1, TWO], A2)  # holds One, A1, Two, A2
    assert conversation_to_continue([ONE, A1, TWO, A2, Message("user", "3")], kept) == "conv_1"
    # An edit of "Two": the conversation holds turns after "A1" it must not see again. Unlike a
    # chain of stored answers, it cannot be continued from the earlier answer.
    assert conversation_to_continue([ONE, A1, Message("user", "Two, edited")], kept) is None
    assert conversation_to_continue([ONE, A1, TWO], kept) is None  # "A2" re-rolled
    assert conversation_to_continue([ONE, Message("assistant", "A1'"), TWO], kept) is None
    assert conversation_to_continue([ONE, A1, TWO, A2], None) is None  # none kept yet
    # A send that failed leaves the record with no digest: it never matches again.
    assert conversation_to_continue([ONE, A1, TWO, A2], KeptConversation("conv_1", "")) is None


def test_a_fresh_conversation_holds_its_seed() -> None:
    kept = seeded("conv_2", [ONE, A1])
    assert conversation_to_continue([ONE, A1, TWO], kept) == "conv_2"
    assert conversation_to_continue([TWO], seeded("conv_3", [])) == "conv_3"


def test_the_record_round_trips_and_bad_text_reads_as_none() -> None:
    kept = KeptConversation("conv_1", chain_key([ONE, A1]))
    assert KeptConversation.from_json(kept.to_json()) == kept
    for bad in ("", "{", "[]", '{"conversation": ""}', '{"conversation": 3, "turns": ""}'):
        assert KeptConversation.from_json(bad) is None


def test_items_go_in_batches_of_twenty_and_what_is_kept_is_listed_once() -> None:
    items = [{"n": i} for i in range(45)]
    assert [len(b) for b in batches(items)] == [20, 20, 5]
    assert batches([]) == []
    record = KeptConversation("c", "x").to_json()
    kept = kept_on_openai(["resp_1", "", "resp_1", "resp_2"], record)
    assert kept == KeptOnOpenAI("c", ("resp_1", "resp_2"))
    assert not kept_on_openai([], "")


def test_the_body_names_the_conversation_and_sends_only_the_new_turns() -> None:
    request = ResponsesRequest(
        model="gpt-4o-mini", messages=(SYSTEM, ONE, A1, TWO), store=True, conversation="conv_1"
    )
    body = to_responses(request)
    assert body["conversation"] == "conv_1"
    assert "previous_response_id" not in body
    assert body["instructions"] == "Be brief."
    assert [i["content"][0]["text"] for i in body["input"]] == ["Two"]


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield client
    await client.close()


async def test_a_long_conversation_is_seeded_twenty_items_at_a_time(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    turns = [Message("user" if i % 2 == 0 else "assistant", f"t{i}") for i in range(45)]
    conversation_id = await ConversationKeeper(lambda: client).start(turns)
    (create,) = fake_openai.requests_to("/conversations")
    assert create.json is not None
    assert len(create.json["items"]) == 20
    adds = [r.json for r in fake_openai.requests if r.path.endswith(f"{conversation_id}/items")]
    assert [len(a["items"]) for a in adds if a] == [20, 5]
    page = await client.conversations.items.list(conversation_id, order="asc", limit=100)
    texts = [item.content[0].text for item in page.data]  # type: ignore[union-attr]
    assert texts == [f"t{i}" for i in range(45)]


async def test_deleting_counts_what_was_gone_already(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    keeper = ConversationKeeper(lambda: client)
    conversation_id = await keeper.start([ONE, A1])
    response = await client.responses.create(model="gpt-4o-mini", input="Hi", store=True)
    result = await keeper.delete_all(KeptOnOpenAI(conversation_id, (response.id, "resp_gone")))
    assert (result.deleted, result.gone) == (2, 1)
    conversations = fake_openai.state(FakeConversations)
    assert conversations.deleted == [conversation_id]
    assert len(conversations.deleted_items) == 2  # its items first: deleting it leaves them
    assert fake_openai.state(StoredResponses).deleted == [response.id]
    assert await keeper.delete(conversation_id) is False  # gone now


async def test_deleting_a_long_conversation_deletes_every_item_page_by_page(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    keeper = ConversationKeeper(lambda: client)
    turns = [Message("user" if i % 2 == 0 else "assistant", f"t{i}") for i in range(130)]
    conversation_id = await keeper.start(turns)
    assert await keeper.delete(conversation_id) is True
    assert len(fake_openai.state(FakeConversations).deleted_items) == 130


async def test_a_server_without_conversations_says_so_with_a_404(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake_openai.state(FakeConversations).available = False
    with pytest.raises(AppError) as caught:
        await ConversationKeeper(lambda: client).start([ONE, A1])
    assert caught.value.status == 404


async def test_the_fake_reads_and_grows_the_conversation_and_refuses_both_ways_at_once(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    conversation_id = await ConversationKeeper(lambda: client).start([ONE, A1])
    await client.responses.create(model="gpt-4o-mini", input="Two", conversation=conversation_id)
    page = await client.conversations.items.list(conversation_id, order="asc")
    roles = [getattr(item, "role", None) for item in page.data]
    assert roles == ["user", "assistant", "user", "assistant"]
    too_many = [{"role": "user", "content": str(i)} for i in range(21)]
    with pytest.raises(openai.BadRequestError) as refused:
        await client.conversations.items.create(conversation_id, items=too_many)  # type: ignore[arg-type]
    assert refused.value.code == "array_above_max_length"
    with pytest.raises(openai.BadRequestError):
        await client.responses.create(
            model="gpt-4o-mini",
            input="x",
            conversation=conversation_id,
            previous_response_id="resp_1",
        )
    with pytest.raises(openai.NotFoundError):
        await client.responses.create(model="gpt-4o-mini", input="x", conversation="conv_none")
