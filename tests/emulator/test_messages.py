"""spaces.messages.create: app authentication with chat.bot, the Message resource it answers,
the membership rule, ids, idempotency, threads, and what the control API shows."""

from __future__ import annotations

from typing import Any

import pytest

CARD = {"cardId": "c1", "card": {"header": {"title": "Drift found"}}}


@pytest.fixture(autouse=True)
def no_quotas(emu: Any) -> None:
    """Several messages a second to one space would meet the 1 write/s/space quota."""
    emu.set_quotas(False)


def test_app_posts_text_and_cards_and_gets_a_message(emu: Any, chat: Any) -> None:
    """With chat.bot the app posts; the answer is a Message with the app as BOT sender."""
    message = (
        chat("app;scopes=chat.bot")
        .spaces()
        .messages()
        .create(parent="spaces/AAAAeng", body={"text": "3 changes applied", "cardsV2": [CARD]})
        .execute()
    )

    assert message["name"].startswith("spaces/AAAAeng/messages/")
    assert message["sender"] == {
        "name": "users/900000000001",
        "type": "BOT",
        "displayName": "chatsync",
    }
    assert (message["text"], message["cardsV2"]) == ("3 changes applied", [CARD])
    assert message["thread"]["name"].startswith("spaces/AAAAeng/threads/")
    assert message["space"]["name"] == "spaces/AAAAeng"
    assert message["createTime"].endswith("Z")


def test_posted_messages_show_in_state_and_control_api(emu: Any, chat: Any, raw: Any) -> None:
    """GET /emulator/v1/messages and the state's space entry show what was posted."""
    posted = (
        chat()
        .spaces()
        .messages()
        .create(parent="spaces/AAAAuser", body={"text": "hello"})
        .execute()
    )

    listed = raw("GET", "emulator/v1/messages?space=spaces/AAAAuser").body
    [space] = [s for s in emu.state()["spaces"] if s["name"] == "spaces/AAAAuser"]
    assert listed == space["messages"] == [posted]
    assert raw("GET", "emulator/v1/messages?space=spaces/AAAAeng").body == []


def test_the_app_must_be_a_member(chat: Any, refused: Any) -> None:
    """Posting where the app is not a member is 404."""
    refusal = refused(
        chat().spaces().messages().create(parent="spaces/AAAAnoapp", body={"text": "hi"})
    )

    assert (refusal.http_status, refusal.status) == (404, "NOT_FOUND")


@pytest.mark.parametrize("token", ["app;scopes=chat.app.memberships", "user:raj.mehta@example.com"])
def test_scopes_are_chat_bot_or_user_message_scopes(chat: Any, refused: Any, token: str) -> None:
    """chat.app.memberships is not a messages scope; neither are a user's default scopes."""
    refusal = refused(
        chat(token).spaces().messages().create(parent="spaces/AAAAeng", body={"text": "x"})
    )

    assert refusal.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


def test_a_user_posts_text_but_not_cards(chat: Any, refused: Any) -> None:
    """User authentication: text works, sender is the person; cards are 400."""
    user = chat("user:raj.mehta@example.com;scopes=chat.messages.create").spaces().messages()

    message = user.create(parent="spaces/AAAAeng", body={"text": "hi"}).execute()
    refusal = refused(user.create(parent="spaces/AAAAeng", body={"cardsV2": [CARD]}))

    assert message["sender"] == {"name": "users/100000000002", "type": "HUMAN"}
    assert refusal.status == "INVALID_ARGUMENT"


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "x" * 32_001}, {"text": 5}])
def test_empty_oversized_or_malformed_messages_are_400(
    chat: Any, refused: Any, body: dict[str, Any]
) -> None:
    """No content, more than 32,000 bytes, or text that is not a string: 400."""
    refusal = refused(chat().spaces().messages().create(parent="spaces/AAAAeng", body=body))

    assert refusal.status == "INVALID_ARGUMENT"


def test_client_message_ids_name_the_message_once(chat: Any, refused: Any) -> None:
    """messageId client-... names the message; reusing it in the space is 409; bad ids 400."""
    messages = chat().spaces().messages()
    first = messages.create(
        parent="spaces/AAAAeng", messageId="client-drift-1", body={"text": "a"}
    ).execute()

    again = refused(
        messages.create(parent="spaces/AAAAeng", messageId="client-drift-1", body={"text": "b"})
    )
    bad = refused(messages.create(parent="spaces/AAAAeng", messageId="drift", body={"text": "c"}))

    assert first["name"] == "spaces/AAAAeng/messages/client-drift-1"
    assert first["clientAssignedMessageId"] == "client-drift-1"
    assert (again.status, bad.status) == ("ALREADY_EXISTS", "INVALID_ARGUMENT")


def test_request_id_makes_create_idempotent(emu: Any, chat: Any) -> None:
    """The same requestId returns the first message instead of posting again."""
    messages = chat().spaces().messages()
    first = messages.create(parent="spaces/AAAAeng", requestId="r-1", body={"text": "a"}).execute()
    second = messages.create(parent="spaces/AAAAeng", requestId="r-1", body={"text": "b"}).execute()

    assert second == first
    assert len(emu.messages("spaces/AAAAeng")) == 1


def test_replies_find_their_thread_by_key(chat: Any, refused: Any) -> None:
    """A reply option with a known threadKey joins that thread; REPLY_MESSAGE_OR_FAIL on an
    unknown one is 404; without an option every message starts a new thread."""
    messages = chat().spaces().messages()
    option = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
    opened = messages.create(
        parent="spaces/AAAAeng",
        messageReplyOption=option,
        body={"text": "a", "thread": {"threadKey": "k"}},
    ).execute()
    reply = messages.create(
        parent="spaces/AAAAeng",
        messageReplyOption=option,
        body={"text": "b", "thread": {"threadKey": "k"}},
    ).execute()
    fresh = messages.create(
        parent="spaces/AAAAeng", body={"text": "c", "thread": {"threadKey": "k"}}
    ).execute()
    missing = refused(
        messages.create(
            parent="spaces/AAAAeng",
            messageReplyOption="REPLY_MESSAGE_OR_FAIL",
            body={"text": "d", "thread": {"threadKey": "nope"}},
        )
    )

    assert (
        reply["thread"] == opened["thread"] == {"name": opened["thread"]["name"], "threadKey": "k"}
    )
    assert fresh["thread"]["name"] != opened["thread"]["name"]
    assert missing.http_status == 404


def test_message_writes_are_one_a_second_per_space(emu: Any, chat: Any, refused: Any) -> None:
    """Per-space writes are 1/s: a second message in the same second is 429; others are not."""
    emu.set_quotas(True)
    emu.set_time_scale(1e-6)
    messages = chat().spaces().messages()
    messages.create(parent="spaces/AAAAeng", body={"text": "a"}).execute()

    refusal = refused(messages.create(parent="spaces/AAAAeng", body={"text": "b"}))
    messages.create(parent="spaces/AAAAuser", body={"text": "c"}).execute()

    assert (refusal.http_status, refusal.status) == (429, "RESOURCE_EXHAUSTED")
