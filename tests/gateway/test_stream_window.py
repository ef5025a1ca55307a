"""StreamWindow: streamed answers are checked in windows that never cut a word (a secret, an address) in two."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from serving.gateway.handler import StreamWindow
from serving.guardrails.runner import OUTPUT, CompiledPolicy

LIMIT = 24
WORD_CHARACTERS = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
    exclude_characters="\n\r\t\x0b\x0c\x1c\x1d\x1e\x1f\x85",
)
SEPARATORS = st.sampled_from([" ", "  ", "\n", ". ", "! ", "? ", ".\n", "\n\n", "\u3002 "])


def _texts(max_word: int) -> st.SearchStrategy[str]:
    words = st.text(WORD_CHARACTERS, min_size=1, max_size=max_word)
    pairs = st.lists(st.tuples(words, SEPARATORS), min_size=1, max_size=30)
    return pairs.map(lambda items: "".join(word + separator for word, separator in items))


def _stream(text: str, cuts: list[int], limit: int = LIMIT) -> list[str]:
    """Feed ``text`` in chunks ending at ``cuts`` and return every piece released."""
    window = StreamWindow(limit)
    pieces: list[str] = []
    start = 0
    for cut in [*sorted({min(c, len(text)) for c in cuts}), len(text)]:
        pieces.extend(window.feed(text[start:cut]))
        start = cut
    pieces.extend(window.finish())
    return pieces


def _check_pieces(text: str, pieces: list[str], limit: int = LIMIT) -> None:
    assert "".join(pieces) == text
    assert all(pieces)
    position = 0
    for piece in pieces[:-1]:
        position += len(piece)
        # A cut falls next to whitespace: never between two characters of one word.
        assert text[position - 1].isspace() or text[position].isspace(), (pieces, position)
        kept = piece.rstrip(" ")
        assert len(kept) <= limit or not any(ch.isspace() for ch in kept.strip()), (piece, limit)


@settings(max_examples=300, deadline=None)
@given(text=_texts(max_word=LIMIT - 2), cuts=st.lists(st.integers(min_value=0, max_value=800), max_size=40))
def test_words_shorter_than_the_window_are_never_cut(text: str, cuts: list[int]) -> None:
    _check_pieces(text, _stream(text, cuts))


@settings(max_examples=100, deadline=None)
@example(text="see ghp_Xq7Lm2Pz9Rt4Vb8Nc1Kd6Fg3Hj5Ws0Ey2Ua7 now. ", cuts=[])
@given(text=_texts(max_word=3 * LIMIT), cuts=st.lists(st.integers(min_value=0, max_value=800), max_size=40))
def test_a_word_longer_than_the_window_is_released_whole(text: str, cuts: list[int]) -> None:
    _check_pieces(text, _stream(text, cuts))


def test_text_is_held_until_a_sentence_or_line_ends() -> None:
    window = StreamWindow(400)

    assert window.feed("Hello wor") == []
    assert window.feed("ld. How") == ["Hello world. "]  # the space after a sentence goes with it
    assert window.feed(" are you\nFine") == ["How are you\n"]
    assert window.feed(".") == []  # "Fine." may still be "Fine.com"
    assert window.finish() == ["Fine."]
    assert window.finish() == []


def test_without_a_sentence_end_a_full_window_is_cut_at_its_last_space() -> None:
    window = StreamWindow(24)

    pieces = window.feed("write to jane.doe@example.com today and tomorrow")

    assert pieces == ["write to ", "jane.doe@example.com "]
    assert window.finish() == ["today and tomorrow"]


def _guarded_stream(text: str, limit: int, chunk: int) -> str:
    """What a client receives when ``text`` streams through the window and each piece through the output guard."""
    policy = CompiledPolicy.from_json(1, [{"name": "modelgate/secret_patterns", "on": "output", "on_fail": "fix"}])
    window = StreamWindow(limit)
    pieces: list[str] = []
    for start in range(0, len(text), chunk):
        pieces.extend(window.feed(text[start : start + chunk]))
    pieces.extend(window.finish())
    return "".join(policy.run(OUTPUT, piece).text for piece in pieces)


def test_a_secret_in_a_stream_is_masked_as_in_a_whole_answer() -> None:
    text = "Use AKIAIOSFODNN7EXAMPLE as the key. Then run it."

    received = _guarded_stream(text, limit=LIMIT, chunk=3)

    assert received == "Use ******** as the key. Then run it."


# A realistic JWT is longer than the default window of 400 characters.
JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
    + ("eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWV9" * 8)
    + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


def test_a_token_longer_than_the_window_is_masked_in_a_stream() -> None:
    text = f"Your session token is {JWT} so keep it."
    policy = CompiledPolicy.from_json(1, [{"name": "modelgate/secret_patterns", "on": "output", "on_fail": "fix"}])
    assert len(JWT) > 400
    assert policy.run(OUTPUT, text).text == "Your session token is ******** so keep it."  # checked whole

    received = _guarded_stream(text, limit=400, chunk=5)  # the default MODELGATE_GATEWAY_STREAM_WINDOW_CHARS

    assert received == "Your session token is ******** so keep it."


PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAuZ1vQmX4m2c7hV0b8dJ3yK9qLwTn5sR2pE6fG1aH4jK7lM3n\n"
    "Op0Qr8St5Uv2Wx7Yz1Ab4Cd9Ef6Gh3Ij0Kl5Mn2Op7Qr4St1Uv8Wx5Yz2Ab9Cd6\n"
    "-----END RSA PRIVATE KEY-----\n"
)


def test_a_private_key_in_a_stream_is_masked_as_in_a_whole_answer() -> None:
    text = "Here it is:\n" + PEM + "Store it safely."
    policy = CompiledPolicy.from_json(1, [{"name": "modelgate/secret_patterns", "on": "output", "on_fail": "fix"}])
    whole = policy.run(OUTPUT, text).text
    assert "MIIEowIBAAKCAQEA" not in whole  # checked whole, the key is masked

    received = _guarded_stream(text, limit=400, chunk=7)

    assert "MIIEowIBAAKCAQEA" not in received
