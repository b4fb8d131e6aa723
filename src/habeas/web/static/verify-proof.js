// Recomputes an RFC 9162 inclusion proof in the browser with Web Crypto SHA-256, so a
// reader need not trust the server's word that an event is in the signed checkpoint.
// RFC 9162 §2.1.1: leaf hash SHA-256(0x00 ‖ leaf), node hash SHA-256(0x01 ‖ left ‖ right);
// §2.1.3.2: verifying an inclusion proof. The data comes from the section's data-*
// attributes: data-leaf (the leaf's canonical JSON), data-index, data-size, data-proof
// (base64 hashes, comma-separated) and data-root (the checkpoint's base64 root).
"use strict";

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

async function sha256(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { joined.set(part, at); at += part.length; }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

// rootFromInclusionProof: RFC 9162 §2.1.3.2 steps 1-7; null when the proof cannot be
// for leaf INDEX of a tree of SIZE (wrong length, index out of range).
async function rootFromInclusionProof(leafHash, index, size, proof) {
  if (!(index < size)) return null;
  let fn = BigInt(index), sn = BigInt(size) - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (p.length !== 32 || sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

function sameBytes(a, b) {
  return a !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}

async function checkProof(el) {
  const status = el.querySelector("[data-status]");
  const leafOut = el.querySelector("[data-computed-leaf]");
  const rootOut = el.querySelector("[data-computed-root]");
  status.textContent = status.dataset.checking;
  status.className = "";
  try {
    const index = Number(el.dataset.index), size = Number(el.dataset.size);
    const proof = el.dataset.proof ? el.dataset.proof.split(",").map(fromBase64) : [];
    const leafHash = await sha256(Uint8Array.of(0), new TextEncoder().encode(el.dataset.leaf));
    const root = await rootFromInclusionProof(leafHash, index, size, proof);
    if (leafOut) leafOut.textContent = toBase64(leafHash);
    if (rootOut) rootOut.textContent = root === null ? "—" : toBase64(root);
    const ok = sameBytes(root, fromBase64(el.dataset.root));
    status.textContent = ok ? status.dataset.ok : status.dataset.bad;
    status.className = ok ? "verified" : "bad";
  } catch (err) {
    status.textContent = status.dataset.bad + " (" + err + ")";
    status.className = "bad";
  }
}

function start() {
  for (const el of document.querySelectorAll("[data-inclusion]")) {
    const again = el.querySelector("[data-check]");
    if (again) {
      again.hidden = false;
      again.addEventListener("click", () => checkProof(el));
    }
    checkProof(el);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
