// Recomputes an RFC 9162 inclusion proof in the browser with Web Crypto SHA-256, so a
// reader need not trust the server's word that an event is in the signed checkpoint.
// RFC 9162 §2.1.3.2: leaf hash SHA-256(0x00 ‖ leaf), node hash SHA-256(0x01 ‖ left ‖ right).
"use strict";

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function sha256(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { joined.set(part, at); at += part.length; }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

async function verifyInclusion(leafBytes, index, size, proof, root) {
  if (index >= size) return false;
  let fn = BigInt(index), sn = BigInt(size) - 1n;
  let r = await sha256(Uint8Array.of(0), leafBytes);
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && r.length === root.length && r.every((b, i) => b === root[i]);
}

async function checkProofs() {
  for (const el of document.querySelectorAll("[data-inclusion]")) {
    const status = el.querySelector("[data-status]");
    try {
      const ok = await verifyInclusion(
        new TextEncoder().encode(el.dataset.leaf), Number(el.dataset.index),
        Number(el.dataset.size), el.dataset.proof ? el.dataset.proof.split(",").map(fromBase64) : [],
        fromBase64(el.dataset.root));
      status.textContent = ok ? status.dataset.ok : status.dataset.bad;
      status.className = ok ? "verified" : "bad";
    } catch (err) {
      status.textContent = status.dataset.bad + " (" + err + ")";
      status.className = "bad";
    }
  }
}

document.addEventListener("DOMContentLoaded", checkProofs);
