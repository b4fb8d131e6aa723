"""C2SP signed-note, tlog-checkpoint and tlog-cosignature (pure; Ed25519 via `cryptography`).

Formats (all versioned by their specs):
- signed note: the text (ending in a newline), a blank line, then one line per
  signature, "— <key name> <base64(4-byte key id ‖ signature)>" (c2sp.org/signed-note).
- key id: SHA-256(name ‖ 0x0A ‖ alg ‖ public key)[:4]; alg 0x01 is Ed25519,
  0x04 an Ed25519 cosignature/v1.
- verifier key ("vkey"): "<name>+<hex key id>+<base64(alg ‖ public key)>";
  signer key: "PRIVATE+KEY+<name>+<hex key id>+<base64(alg ‖ 32-byte seed)>".
- checkpoint body: "<origin>\\n<decimal size>\\n<base64 root>\\n" then optional
  extension lines (c2sp.org/tlog-checkpoint).
- cosignature: signs "cosignature/v1\\ntime <unix seconds>\\n" ‖ checkpoint body;
  the signature is key id ‖ uint64 big-endian timestamp ‖ Ed25519 signature
  (c2sp.org/tlog-cosignature).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
SIGNATURE_PREFIX = "— "  # U+2014 EM DASH, U+0020 SPACE
COSIGNATURE_HEADER = "cosignature/v1\n"
_NAME = re.compile(r"^[^\s+]+$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,19})$")


class NoteError(ValueError):
    """NoteError: a note, key, checkpoint or signature is malformed or does not verify."""


def key_id(name: str, alg: int, public: bytes) -> bytes:
    """key_id is SHA-256(name ‖ "\\n" ‖ alg ‖ public key)[:4] (c2sp.org/signed-note)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()[:4]


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """Verifier checks signatures by one named key."""

    name: str
    alg: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.alg, self.public)

    @property
    def vkey(self) -> str:
        """vkey is the verifier key string "name+hexid+base64(alg ‖ public)"."""
        encoded = base64.b64encode(bytes([self.alg]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """Signer holds one named Ed25519 private key."""

    name: str
    alg: int
    seed: bytes

    @property
    def verifier(self) -> Verifier:
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        return Verifier(self.name, self.alg, _raw_public(private.public_key()))

    @property
    def skey(self) -> str:
        """skey is the private key string; keep it in a file only its owner can read."""
        encoded = base64.b64encode(bytes([self.alg]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{encoded}"

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def generate_signer(name: str, alg: int = ALG_ED25519) -> Signer:
    """generate_signer makes a new Ed25519 key named NAME."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                      NoEncryption())
    return Signer(_check_name(name), alg, seed)


def _split_key(text: str, parts: int) -> list[str]:
    fields = text.strip().split("+", parts - 1)  # base64 may itself contain "+"
    if len(fields) != parts:
        raise NoteError("malformed key: expected name+keyid+base64")
    return fields


def _decode_key_material(name: str, hex_id: str, b64: str, private: bool) -> tuple[int, bytes]:
    try:
        raw = base64.b64decode(b64, validate=True)
        claimed = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise NoteError(f"malformed key {name!r}: bad base64 or hex") from None
    if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1) or len(claimed) != 4:
        raise NoteError(f"malformed key {name!r}: not an Ed25519 key")
    return raw[0], raw[1:]


def parse_verifier(vkey: str) -> Verifier:
    """parse_verifier reads a vkey string and checks its key id."""
    name, hex_id, b64 = _split_key(vkey, 3)
    alg, public = _decode_key_material(_check_name(name), hex_id, b64, private=False)
    verifier = Verifier(name, alg, public)
    if verifier.key_id.hex() != hex_id.lower():
        raise NoteError(f"verifier key {name!r}: key id does not match the key")
    return verifier


def parse_signer(skey: str) -> Signer:
    """parse_signer reads a PRIVATE+KEY string and checks its key id."""
    fields = _split_key(skey, 5)
    if fields[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("malformed private key: must start with PRIVATE+KEY+")
    name, hex_id, b64 = fields[2:]
    alg, seed = _decode_key_material(_check_name(name), hex_id, b64, private=True)
    signer = Signer(name, alg, seed)
    if signer.verifier.key_id.hex() != hex_id.lower():
        raise NoteError(f"private key {name!r}: key id does not match the key")
    return signer


# --- Signed notes -----------------------------------------------------------------------------

@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes  # without the key id

    @property
    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


def sign_note(text: str, signer: Signer) -> str:
    """sign_note returns TEXT signed by SIGNER as a signed note."""
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("note text must end in a newline and contain no blank line")
    signature = NoteSignature(signer.name, signer.verifier.key_id,
                              signer.sign(text.encode()))
    return text + "\n" + signature.line


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """split_note parses a signed note into its text and signature lines."""
    if not note.endswith("\n"):
        raise NoteError("note: must end with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("note: no blank line before the signatures")
    text, block = note[:cut + 1], note[cut + 2:]
    signatures = []
    for line in block.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"note: malformed signature line {line[:40]!r}")
        name, _, encoded = line[len(SIGNATURE_PREFIX):].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"note: signature by {name!r} is not base64") from None
        if len(raw) < 5:
            raise NoteError(f"note: signature by {name!r} is too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("note: no signatures")
    return text, signatures


def verify_note(note: str, verifier: Verifier) -> str:
    """verify_note returns the note's text if VERIFIER's signature on it is valid."""
    text, signatures = split_note(note)
    for sig in signatures:
        if sig.name == verifier.name and sig.key_id == verifier.key_id:
            if verifier.verify(text.encode(), sig.signature):
                return text
            raise NoteError(f"note: signature by {verifier.name} does not verify")
    raise NoteError(f"note: not signed by the expected key {verifier.name}")


# --- Checkpoints ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(),
                 *self.extensions]
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> CheckpointBody:
    """parse_checkpoint reads a tlog-checkpoint body strictly (canonical size, 32-byte root)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("checkpoint: needs origin, size and root lines, each ending in newline")
    origin, size_line, root_line, *extensions = lines[:-1]
    if not origin:
        raise NoteError("checkpoint: empty origin line")
    if not _DECIMAL.match(size_line) or int(size_line) >= 2**63:
        raise NoteError(f"checkpoint: size {size_line!r} is not a canonical decimal")
    try:
        root = base64.b64decode(root_line, validate=True)
    except binascii.Error:
        raise NoteError("checkpoint: root is not base64") from None
    if len(root) != 32 or base64.b64encode(root).decode() != root_line:
        raise NoteError(f"checkpoint: root must be 32 bytes, got {len(root)}")
    return CheckpointBody(origin, int(size_line), root, tuple(extensions))


def open_checkpoint(note: str, log: Verifier, origin: str | None = None) -> CheckpointBody:
    """open_checkpoint verifies the log's signature on NOTE and parses its body."""
    body = parse_checkpoint(verify_note(note, log))
    if origin is not None and body.origin != origin:
        raise NoteError(f"checkpoint: origin {body.origin!r} is not {origin!r}")
    return body


# --- Cosignatures (c2sp.org/tlog-cosignature) ---------------------------------------------------

def cosigned_message(body_text: str, timestamp: int) -> bytes:
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{body_text}".encode()


def cosign(body_text: str, witness: Signer, timestamp: int) -> NoteSignature:
    """cosign makes WITNESS's cosignature/v1 on a checkpoint body at TIMESTAMP."""
    if witness.alg != ALG_COSIGNATURE_V1:
        raise NoteError("cosign: the witness key must be a cosignature/v1 key (alg 0x04)")
    signature = witness.sign(cosigned_message(body_text, timestamp))
    return NoteSignature(witness.name, witness.verifier.key_id,
                         struct.pack(">Q", timestamp) + signature)


def verify_cosignature(body_text: str, sig: NoteSignature, witness: Verifier) -> int | None:
    """verify_cosignature returns the cosignature's timestamp if it is WITNESS's and valid."""
    if (witness.alg != ALG_COSIGNATURE_V1 or sig.name != witness.name
            or sig.key_id != witness.key_id or len(sig.signature) != 8 + 64):
        return None
    (timestamp,) = struct.unpack(">Q", sig.signature[:8])
    if timestamp >= 2**63:
        return None
    ok = witness.verify(cosigned_message(body_text, timestamp), sig.signature[8:])
    return timestamp if ok else None
