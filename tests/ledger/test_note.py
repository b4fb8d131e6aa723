"""Signed notes, checkpoints and cosignatures against the reference implementations' answers."""

from __future__ import annotations

import base64

import pytest

from habeas.ledger import note
from habeas.ledger.note import NoteError

# golang.org/x/mod/sumdb/note documentation: Ed25519 is deterministic (RFC 8032),
# so signing this text with this key must give exactly this note.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_SIG = ("— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
          "ngotpRZb6KE6RyyBwJnAM=\n")
# c2sp.org/signed-note example.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6Tf"
             "Xppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


class TestKnownAnswers:
    def test_go_reference_key_and_signature_byte_for_byte(self) -> None:
        signer = note.parse_signer(GO_SKEY)
        assert signer.verifier.vkey == GO_VKEY
        assert signer.skey == GO_SKEY
        assert note.sign_note(GO_TEXT, signer) == GO_TEXT + "\n" + GO_SIG

    def test_c2sp_example_note_verifies(self) -> None:
        verifier = note.parse_verifier(SPEC_VKEY)
        assert note.verify_note(SPEC_NOTE, verifier) == "This is an example message.\n"

    def test_a_changed_text_does_not_verify(self) -> None:
        with pytest.raises(NoteError, match="does not verify"):
            note.verify_note(SPEC_NOTE.replace("example message", "example massage"),
                             note.parse_verifier(SPEC_VKEY))


class TestKeys:
    @pytest.mark.parametrize("bad", [
        "", "PeterNeumann", "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown alg
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T!",  # base64
    ])
    def test_malformed_verifier_keys_are_refused(self, bad: str) -> None:
        with pytest.raises(NoteError):
            note.parse_verifier(bad)

    def test_every_truncation_of_the_signer_key_is_refused(self) -> None:
        for cut in range(1, len(GO_SKEY)):
            with pytest.raises(NoteError):
                note.parse_signer(GO_SKEY[:cut])


class TestCheckpoint:
    BODY = note.CheckpointBody("example.com/log", 20852163, b"\x07" * 32)

    def test_round_trip(self) -> None:
        assert note.parse_checkpoint(self.BODY.text) == self.BODY

    @pytest.mark.parametrize(("text", "problem"), [
        ("example.com/log\n020852163\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "canonical"),
        ("example.com/log\n+5\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "canonical"),
        ("example.com/log\n5\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\n", "32 bytes"),
        ("example.com/log\n5\nnot base64!\n", "base64"),
        ("example.com/log\n5\n", "origin, size and root"),
        ("\n5\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "empty origin"),
    ])
    def test_malformed_checkpoints_name_the_problem(self, text: str, problem: str) -> None:
        with pytest.raises(NoteError, match=problem):
            note.parse_checkpoint(text)

    def test_a_checkpoint_signed_by_an_unknown_key_is_refused(self) -> None:
        log, stranger = note.generate_signer("example.com/log"), note.generate_signer("x.org/y")
        signed = note.sign_note(self.BODY.text, stranger)
        with pytest.raises(NoteError, match="not signed by the expected key"):
            note.open_checkpoint(signed, log.verifier)


class TestCosignature:
    def test_cosignature_layout_and_verification(self) -> None:
        witness = note.generate_signer("witness.example/w1", note.ALG_COSIGNATURE_V1)
        body = TestCheckpoint.BODY.text
        sig = note.cosign(body, witness, timestamp=1679315147)
        raw = base64.b64decode(sig.line.split(" ")[2])
        assert raw[:4] == witness.verifier.key_id
        assert int.from_bytes(raw[4:12], "big") == 1679315147 and len(raw) == 4 + 8 + 64
        assert note.verify_cosignature(body, sig, witness.verifier) == 1679315147
        assert witness.verifier.key_id == note.key_id("witness.example/w1", 0x04,
                                                      witness.verifier.public)

    def test_a_cosignature_on_another_body_or_time_fails(self) -> None:
        witness = note.generate_signer("witness.example/w1", note.ALG_COSIGNATURE_V1)
        sig = note.cosign(TestCheckpoint.BODY.text, witness, timestamp=1)
        other = note.CheckpointBody("example.com/log", 5, b"\x07" * 32).text
        assert note.verify_cosignature(other, sig, witness.verifier) is None
        forged = note.NoteSignature(sig.name, sig.key_id,
                                    (2).to_bytes(8, "big") + sig.signature[8:])
        assert note.verify_cosignature(TestCheckpoint.BODY.text, forged,
                                       witness.verifier) is None

    def test_a_plain_ed25519_key_cannot_cosign(self) -> None:
        with pytest.raises(NoteError, match="cosignature/v1"):
            note.cosign(TestCheckpoint.BODY.text, note.generate_signer("w"), 1)
