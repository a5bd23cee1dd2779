// The token workbench (/jwt/workbench): paste any JWT and decode it without a key, edit its header
// and payload, sign it HS256 with a secret typed here or leave it unsigned (alg: none), check a
// signature, crack a weak secret from a word list, and send the result where the learner chooses.
// Everything happens in the page: the one request that leaves it is the one sent with Send (and
// the lab's word list, when asked for). The secret is never sent and never stored.
//
// SHA-256 and HMAC-SHA256 are written out below rather than taken from crypto.subtle, which
// browsers give only to secure contexts: a class server on http://192.168.x.y is not one. One code
// path everywhere, the same on 127.0.0.1 and on the classroom's address.
(function () {
  "use strict";

  // ---- Bytes, base64url, SHA-256, HMAC-SHA256: pure functions on Uint8Array ----

  function utf8(text) { return new TextEncoder().encode(text); }
  // The UTF-8 text in `bytes`, or null when they are not UTF-8.
  function fromUtf8(bytes) {
    try { return new TextDecoder("utf-8", { fatal: true }).decode(bytes); } catch (e) { return null; }
  }
  // How many bytes `text` takes on the wire (UTF-8), not how many UTF-16 units JS counts.
  function byteLength(text) { return utf8(text).length; }

  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var VALUE = {};
  for (var a = 0; a < ALPHABET.length; a++) { VALUE[ALPHABET.charAt(a)] = a; }

  // base64url without padding, as JWT writes it (RFC 7515 §2).
  function b64urlEncode(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i += 3) {
      var n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
      out += ALPHABET.charAt((n >>> 18) & 63) + ALPHABET.charAt((n >>> 12) & 63);
      if (i + 1 < bytes.length) { out += ALPHABET.charAt((n >>> 6) & 63); }
      if (i + 2 < bytes.length) { out += ALPHABET.charAt(n & 63); }
    }
    return out;
  }

  // The bytes of a base64url segment, or {problem, at, char}: a JWT carries no padding, and a
  // length of 4k+1 characters is never base64 (one character holds only 6 of a byte's 8 bits).
  function b64urlDecode(text) {
    if (/=+$/.test(text)) { return { problem: "padding" }; }
    for (var i = 0; i < text.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(VALUE, text.charAt(i))) { return { problem: "char", at: i, char: text.charAt(i) }; }
    }
    if (text.length % 4 === 1) { return { problem: "length", length: text.length }; }
    var out = new Uint8Array(Math.floor(text.length * 3 / 4));
    var bits = 0, buffer = 0, o = 0;
    for (var j = 0; j < text.length; j++) {
      buffer = (buffer << 6) | VALUE[text.charAt(j)];
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (buffer >>> bits) & 255;
      }
      buffer &= (1 << bits) - 1;
    }
    return { bytes: out };
  }

  // FIPS 180-4: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var W = new Uint32Array(64);

  // SHA-256 of `bytes` (a Uint8Array) as 32 bytes.
  function sha256(bytes) {
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
    var h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    // Padding: a 1 bit, zeros, then the length in bits as 64 bits big-endian, to a multiple of 64 bytes.
    var length = bytes.length;
    var padded = new Uint8Array(Math.ceil((length + 9) / 64) * 64);
    padded.set(bytes);
    padded[length] = 0x80;
    var end = padded.length;
    var high = Math.floor(length / 0x20000000); // length * 8 / 2^32
    var low = (length * 8) >>> 0;
    padded[end - 8] = high >>> 24; padded[end - 7] = high >>> 16; padded[end - 6] = high >>> 8; padded[end - 5] = high;
    padded[end - 4] = low >>> 24; padded[end - 3] = low >>> 16; padded[end - 2] = low >>> 8; padded[end - 1] = low;

    for (var block = 0; block < end; block += 64) {
      var t;
      for (t = 0; t < 16; t++) {
        var p = block + t * 4;
        W[t] = (padded[p] << 24) | (padded[p + 1] << 16) | (padded[p + 2] << 8) | padded[p + 3];
      }
      for (t = 16; t < 64; t++) {
        var x = W[t - 15], y = W[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[t] = W[t - 16] + s0 + W[t - 7] + s1; // the Uint32Array keeps it mod 2^32
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var temp1 = (h + S1 + ch + K[t] + W[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var temp2 = (S0 + maj) | 0;
        h = g; g = f; f = e; e = (d + temp1) | 0;
        d = c; c = b; b = a; a = (temp1 + temp2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    var out = new Uint8Array(32);
    [h0, h1, h2, h3, h4, h5, h6, h7].forEach(function (word, i) {
      out[i * 4] = word >>> 24; out[i * 4 + 1] = word >>> 16; out[i * 4 + 2] = word >>> 8; out[i * 4 + 3] = word;
    });
    return out;
  }

  // RFC 2104: HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)), with a key longer than the
  // 64-byte block hashed first, so a long PEM key works like any other secret.
  function hmacSha256(key, message) {
    if (key.length > 64) { key = sha256(key); }
    var inner = new Uint8Array(64 + message.length);
    var outer = new Uint8Array(64 + 32);
    for (var i = 0; i < 64; i++) {
      var k = i < key.length ? key[i] : 0;
      inner[i] = k ^ 0x36;
      outer[i] = k ^ 0x5c;
    }
    inner.set(message, 64);
    outer.set(sha256(inner), 64);
    return sha256(outer);
  }

  function sameBytes(x, y) {
    if (!x || !y || x.length !== y.length) { return false; }
    var diff = 0;
    for (var i = 0; i < x.length; i++) { diff |= x[i] ^ y[i]; }
    return diff === 0;
  }

  // The HS256 signature (base64url) of `signingInput` ("header.payload") with `secret` (text).
  function signHs256(signingInput, secret) {
    return b64urlEncode(hmacSha256(utf8(secret), utf8(signingInput)));
  }

  // ---- Reading a token: every part, and everything wrong with it ----

  // A learner may paste the whole header line: "Authorization: Bearer eyJ…" reads as "eyJ…".
  function cleanPaste(text) {
    return String(text || "").trim().replace(/^authorization:\s*/i, "").replace(/^bearer\s+/i, "").trim();
  }

  // One segment as a JSON object: {text, value} or {problem, …} (never throws).
  function readJsonPart(segment, offset) {
    if (!segment) { return { problem: "empty" }; }
    var raw = b64urlDecode(segment);
    if (raw.problem) { raw.at = raw.at === undefined ? undefined : raw.at + offset; return raw; }
    var text = fromUtf8(raw.bytes);
    if (text === null) { return { problem: "utf8" }; }
    var value;
    try { value = JSON.parse(text); } catch (e) { return { problem: "json", why: e.message, text: text }; }
    if (!value || typeof value !== "object" || Array.isArray(value)) { return { problem: "object", text: text }; }
    return { text: text, value: value, bytes: raw.bytes.length };
  }

  // The pasted token taken apart: its segments, header and payload (each {value} or {problem}),
  // its signature bytes, and `problems`, a list of {part, problem, …} (empty when all is well).
  function decodeToken(input) {
    var token = cleanPaste(input);
    var result = { token: token, segments: token.split("."), problems: [] };
    if (!token) { return result; }
    var segments = result.segments;
    if (segments.length !== 3) {
      result.problems.push({ part: "token", problem: "parts", dots: segments.length - 1 });
      return result;
    }
    result.header = readJsonPart(segments[0], 0);
    result.payload = readJsonPart(segments[1], segments[0].length + 1);
    var sig = b64urlDecode(segments[2]);
    if (sig.problem && sig.at !== undefined) { sig.at += segments[0].length + segments[1].length + 2; }
    result.signature = sig;
    [["header", result.header], ["payload", result.payload], ["signature", sig]].forEach(function (pair) {
      if (pair[1].problem) { result.problems.push(Object.assign({ part: pair[0] }, pair[1])); }
    });
    // What the signature covers: the first two segments exactly as they travel, not as re-encoded.
    result.signingInput = segments[0] + "." + segments[1];
    return result;
  }

  // Whether `alg` means "no signature". Some naive verifiers also take None or NONE.
  function isNone(alg) { return typeof alg === "string" && alg.toLowerCase() === "none"; }

  var api = {
    sha256: sha256, hmacSha256: hmacSha256, signHs256: signHs256,
    b64urlEncode: b64urlEncode, b64urlDecode: b64urlDecode, utf8: utf8, byteLength: byteLength,
    decodeToken: decodeToken
  };
  window.workbench = api;

  // ---- The page ----

  var lab = window.authlab;
  var page = typeof document !== "undefined" ? document.getElementById("workbench-page") : null;
  if (!lab || !page) { return; }
  var t = lab.t;
  function byId(id) { return document.getElementById(id); }
  var ACCESS = "authlab.jwt.access"; // where static/jwt.js keeps this browser's access token
  var DRF_HEADER_BYTES = 61; // "Authorization: Token " (21) + 40 hex characters, always

  var el = {
    token: byId("wb-token"), tokenParts: byId("wb-token-parts"), error: byId("wb-error"),
    loadMine: byId("wb-load-mine"), loadState: byId("wb-load-state"),
    header: byId("wb-header"), headerError: byId("wb-header-error"),
    payload: byId("wb-payload"), payloadError: byId("wb-payload-error"), times: byId("wb-times"),
    signature: byId("wb-signature"), signatureBytes: byId("wb-signature-bytes"),
    secret: byId("wb-secret"), hs256: byId("wb-alg-hs256"), none: byId("wb-alg-none"),
    algNote: byId("wb-alg-note"), verify: byId("wb-verify-state"),
    built: byId("wb-built"), builtHow: byId("wb-built-how"), breakdown: byId("wb-breakdown"),
    tokenBytes: byId("wb-token-bytes"), authLine: byId("wb-auth-line"), authBytes: byId("wb-auth-bytes"),
    vsDrf: byId("wb-vs-drf"),
    target: byId("wb-target"), send: byId("wb-send"), answer: byId("wb-answer"),
    words: byId("wb-words"), loadWords: byId("wb-load-words"), crack: byId("wb-crack"),
    crackResult: byId("wb-crack-result")
  };

  // A copy button follows its value; a new value puts "Copy" back on a button that said "Copied".
  function setCopy(id, value) {
    var button = byId(id);
    if (!button) { return; }
    if (button.getAttribute("data-copy") !== value) { button.textContent = t("js.copy"); }
    button.setAttribute("data-copy", value);
    button.disabled = !value;
  }

  function say(node, text, kind) {
    node.textContent = text;
    node.hidden = !text;
    if (kind !== undefined) { node.className = kind; }
  }

  function partName(part) {
    if (part === "header") { return t("js.workbench.part_header"); }
    if (part === "payload") { return t("js.workbench.part_payload"); }
    if (part === "signature") { return t("js.workbench.part_signature"); }
    return t("js.workbench.part_token");
  }

  // What is wrong with one part, in the page's language.
  function describe(p) {
    var part = partName(p.part);
    switch (p.problem) {
      case "parts": return t("js.workbench.err_parts", { dots: p.dots });
      case "empty": return t("js.workbench.err_empty", { part: part });
      case "padding": return t("js.workbench.err_padding", { part: part });
      case "char": return t("js.workbench.err_char", { part: part, char: JSON.stringify(p.char).slice(1, -1), at: p.at + 1 });
      case "length": return t("js.workbench.err_length", { part: part, n: p.length });
      case "utf8": return t("js.workbench.err_utf8", { part: part });
      case "json": return t("js.workbench.err_json", { part: part, why: p.why });
      case "object": return t("js.workbench.err_object", { part: part });
      default: return part;
    }
  }

  // The state the page is built from: the pasted token as read, and the segments the editors
  // were filled with (an editor left as filled keeps its segment byte for byte, so a pasted token
  // rebuilds to itself even when its JSON was not written the way JSON.stringify writes it).
  var pasted = decodeToken("");
  var filled = { header: null, payload: null };
  var built = "";

  function pretty(value) { return JSON.stringify(value, null, 2); }

  function colour(node, segments) {
    node.textContent = "";
    ["part-header", "part-payload", "part-signature"].forEach(function (cls, i) {
      if (i > 0) { node.appendChild(document.createTextNode(".")); }
      var span = document.createElement("span");
      span.className = cls;
      span.textContent = segments[i] || "";
      node.appendChild(span);
    });
  }

  function paste(text) {
    if (text !== undefined) { el.token.value = text; }
    pasted = decodeToken(el.token.value);
    say(el.error, pasted.problems.map(describe).join("\n"));
    if (pasted.token && pasted.segments.length === 3) {
      colour(el.tokenParts, pasted.segments);
      el.tokenParts.hidden = false;
    } else {
      el.tokenParts.hidden = true;
    }
    // Each part that reads fills its editor; a part that does not leaves the editor as it was.
    if (pasted.header && !pasted.header.problem) {
      el.header.value = pretty(pasted.header.value);
      filled.header = { text: el.header.value, segment: pasted.segments[0] };
      var alg = pasted.header.value.alg;
      (isNone(alg) ? el.none : el.hs256).checked = true;
    }
    if (pasted.payload && !pasted.payload.problem) {
      el.payload.value = pretty(pasted.payload.value);
      filled.payload = { text: el.payload.value, segment: pasted.segments[1] };
    }
    var sig = pasted.signature;
    if (sig && !sig.problem) {
      el.signature.textContent = pasted.segments[2] || t("js.workbench.sig_empty");
      el.signatureBytes.textContent = String(sig.bytes.length);
      setCopy("wb-copy-signature", pasted.segments[2]);
    } else {
      el.signature.textContent = "—";
      el.signatureBytes.textContent = "0";
      setCopy("wb-copy-signature", "");
    }
    rebuild();
  }

  // One editor's JSON: the object, or null with the reason shown under the editor.
  function readEditor(area, errorNode) {
    var value;
    try {
      value = JSON.parse(area.value);
    } catch (e) {
      say(errorNode, t("js.workbench.json_error", { why: e.message }));
      area.setAttribute("aria-invalid", "true");
      return null;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      say(errorNode, t("js.workbench.json_object"));
      area.setAttribute("aria-invalid", "true");
      return null;
    }
    say(errorNode, "");
    area.removeAttribute("aria-invalid");
    return value;
  }

  // The segment for an editor: the pasted one while the text is as filled, else compact JSON.
  function segmentOf(area, value, original) {
    if (original && original.text === area.value) { return original.segment; }
    return b64urlEncode(utf8(JSON.stringify(value)));
  }

  // The times a payload carries, readable (UTC, as the lab clock bar writes them).
  function showTimes(payload) {
    var lines = [];
    [["exp", t("js.workbench.claim_exp")], ["iat", t("js.workbench.claim_iat")], ["nbf", t("js.workbench.claim_nbf")]].forEach(function (pair) {
      if (!payload || !(pair[0] in payload)) { return; }
      var value = payload[pair[0]];
      var text = typeof value === "number" ? lab.when(value) : t("js.workbench.claim_not_number");
      lines.push(pair[1] + ": " + text);
    });
    say(el.times, lines.join("\n"));
  }

  // Builds the token from the editors, the choice and the secret; a JSON error leaves the last
  // built token as it was until the editor parses again.
  function rebuild() {
    var header = readEditor(el.header, el.headerError);
    var payload = readEditor(el.payload, el.payloadError);
    showTimes(payload);
    var unsigned = el.none.checked;
    say(el.algNote, header && !unsigned && header.alg !== "HS256"
      ? t("js.workbench.alg_other", { alg: JSON.stringify(header.alg === undefined ? null : header.alg) }) : "");
    verify();
    if (!header || !payload) { return; }
    var input = segmentOf(el.header, header, filled.header) + "." + segmentOf(el.payload, payload, filled.payload);
    var signature, how;
    var secret = el.secret.value;
    if (unsigned) {
      signature = "";
      how = t("js.workbench.how_none");
    } else if (secret) {
      signature = signHs256(input, secret);
      how = t("js.workbench.how_signed", { n: byteLength(secret) });
    } else {
      // No secret: the pasted signature rides along, as in the tamper lab; edit a character
      // and it no longer matches.
      var kept = pasted.signature && !pasted.signature.problem && pasted.signature.bytes.length > 0;
      signature = kept ? pasted.segments[2] : "";
      if (!kept) {
        how = t("js.workbench.how_empty");
      } else {
        how = input === pasted.signingInput ? t("js.workbench.how_kept") : t("js.workbench.how_kept_edited");
      }
    }
    built = input + "." + signature;
    colour(el.built, built.split("."));
    say(el.builtHow, how);
    var segments = built.split(".");
    el.breakdown.textContent = t("js.workbench.breakdown", {
      header: segments[0].length, payload: segments[1].length, signature: segments[2].length });
    var line = "Authorization: Bearer " + built;
    el.tokenBytes.textContent = String(byteLength(built));
    el.authLine.textContent = line;
    var lineBytes = byteLength(line);
    el.authBytes.textContent = String(lineBytes);
    el.vsDrf.textContent = lineBytes >= DRF_HEADER_BYTES
      ? t("js.workbench.vs_drf_more", { n: lineBytes - DRF_HEADER_BYTES })
      : t("js.workbench.vs_drf_less", { n: DRF_HEADER_BYTES - lineBytes });
    setCopy("wb-copy-built", built);
    setCopy("wb-copy-auth", line);
    setCopy("wb-copy-header", el.header.value);
    setCopy("wb-copy-payload", el.payload.value);
  }

  // Does the pasted token's signature match the secret typed? HS256 only.
  function verify() {
    var secret = el.secret.value;
    var node = el.verify;
    if (!pasted.token) { say(node, t("js.workbench.verify_no_token"), "verify-state"); return; }
    if (pasted.problems.length) {
      say(node, t("js.workbench.verify_unreadable"), "verify-state bad"); return;
    }
    if (!pasted.signature.bytes.length) { say(node, t("js.workbench.verify_unsigned"), "verify-state bad"); return; }
    if (!secret) { say(node, t("js.workbench.verify_need_secret"), "verify-state"); return; }
    var ok = sameBytes(hmacSha256(utf8(secret), utf8(pasted.signingInput)), pasted.signature.bytes);
    var alg = pasted.header && pasted.header.value ? pasted.header.value.alg : undefined;
    var text = ok ? t("js.workbench.verified") : t("js.workbench.not_verified");
    if (!ok && alg !== "HS256") { text += " " + t("js.workbench.verify_other_alg", { alg: JSON.stringify(alg === undefined ? null : alg) }); }
    say(node, text, "verify-state " + (ok ? "good" : "bad"));
  }

  // The radio buttons write alg into the header; the header's alg moves the radio buttons.
  function choose() {
    var header;
    try { header = JSON.parse(el.header.value); } catch (e) { header = null; }
    if (header && typeof header === "object" && !Array.isArray(header)) {
      var wanted = el.none.checked ? "none" : "HS256";
      if (header.alg !== wanted && !(el.none.checked && isNone(header.alg))) {
        var next = "alg" in header ? header : Object.assign({ alg: wanted }, header);
        next.alg = wanted;
        el.header.value = pretty(next);
      }
    }
    rebuild();
  }
  function followHeader() {
    try {
      var header = JSON.parse(el.header.value);
      if (header && typeof header === "object") { (isNone(header.alg) ? el.none : el.hs256).checked = true; }
    } catch (e) { /* shown under the editor by rebuild */ }
    rebuild();
  }

  el.token.addEventListener("input", function () { paste(); });
  el.header.addEventListener("input", followHeader);
  el.payload.addEventListener("input", rebuild);
  el.secret.addEventListener("input", rebuild);
  el.hs256.addEventListener("change", choose);
  el.none.addEventListener("change", choose);

  el.loadMine.addEventListener("click", function () {
    var mine = "";
    try { mine = localStorage.getItem(ACCESS) || ""; } catch (e) { mine = ""; }
    if (!mine) { say(el.loadState, t("js.workbench.no_mine")); return; }
    say(el.loadState, t("js.workbench.loaded_mine"));
    paste(mine);
  });

  // ---- Send: the built token, to the place the learner chose, and the server's exact answer ----

  var REASONS = { 200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 415: "Unsupported Media Type", 429: "Too Many Requests", 500: "Internal Server Error" };

  el.send.addEventListener("click", async function () {
    var choice = el.target.value;
    var method = choice.slice(0, choice.indexOf(" "));
    var path = choice.slice(choice.indexOf(" ") + 1);
    var out = el.answer;
    if (!built) { say(out, t("js.workbench.nothing_to_send"), "answer refused"); setCopy("wb-copy-answer", ""); return; }
    // No cookies: the token is the only credential (common.js names this browser's lab itself).
    var init = { method: method, credentials: "omit", headers: {} };
    if (path === "/jwt/api/token/verify") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify({ token: built });
    } else {
      init.headers.Authorization = "Bearer " + built;
    }
    el.send.disabled = true;
    say(out, t("js.workbench.sending"), "answer");
    var lines;
    var ok = false;
    try {
      var res = await fetch(path, init);
      var text = await res.text();
      ok = res.ok;
      lines = [method + " " + path + " → HTTP " + res.status + " " + (res.statusText || REASONS[res.status] || "")];
      ["WWW-Authenticate", "Content-Type"].forEach(function (name) {
        var value = res.headers.get(name);
        if (value !== null) { lines.push(name + ": " + value); }
      });
      var body = text;
      try { body = pretty(JSON.parse(text)); } catch (e) { /* not JSON: shown as it came */ }
      lines.push("", body);
    } catch (e) {
      lines = [t("js.workbench.send_failed", { why: e.message })];
    }
    el.send.disabled = false;
    var answer = lines.join("\n");
    say(out, answer, "answer " + (ok ? "accepted" : "refused"));
    setCopy("wb-copy-answer", answer);
  });

  // ---- Crack: every candidate word as the HMAC secret of the pasted token ----

  if (el.loadWords) {
    el.loadWords.addEventListener("click", async function () {
      var res;
      try {
        res = await fetch("/lab/vulnerable/jwt/weak-secret/wordlist.txt", { credentials: "omit" });
      } catch (e) {
        say(el.crackResult, t("js.workbench.words_failed", { status: "—" }), "answer refused");
        return;
      }
      if (!res.ok) { say(el.crackResult, t("js.workbench.words_failed", { status: res.status }), "answer refused"); return; }
      el.words.value = await res.text();
      say(el.crackResult, t("js.workbench.words_loaded", { n: candidates().length }), "answer");
    });
  }

  // The candidate secrets: one a line, exactly as written (a line's \r dropped, empty lines skipped),
  // the way hashcat and john read a word list.
  function candidates() {
    return el.words.value.split("\n").map(function (w) { return w.replace(/\r$/, ""); })
      .filter(function (w) { return w.length > 0; });
  }

  var cracking = false;
  el.crack.addEventListener("click", async function () {
    if (cracking) { return; }
    var out = el.crackResult;
    if (!pasted.token || pasted.segments.length !== 3 || pasted.signature.problem) {
      say(out, t("js.workbench.crack_no_token"), "answer refused"); return;
    }
    if (!pasted.signature.bytes.length) { say(out, t("js.workbench.crack_unsigned"), "answer refused"); return; }
    var words = candidates();
    if (!words.length) { say(out, t("js.workbench.crack_no_words"), "answer refused"); return; }
    var alg = pasted.header && pasted.header.value ? pasted.header.value.alg : undefined;
    var warning = alg === "HS256" ? "" : "\n" + t("js.workbench.verify_other_alg", { alg: JSON.stringify(alg === undefined ? null : alg) });
    var input = utf8(pasted.signingInput);
    var target = pasted.signature.bytes;
    cracking = true;
    el.crack.disabled = true;
    var found = -1;
    for (var i = 0; i < words.length; i++) {
      // Let the page breathe every few hundred words, and say how far it got.
      if (i % 500 === 0 && i > 0) {
        say(out, t("js.workbench.crack_working", { n: i, total: words.length }), "answer");
        await new Promise(function (resolve) { setTimeout(resolve, 0); });
      }
      if (sameBytes(hmacSha256(utf8(words[i]), input), target)) { found = i; break; }
    }
    cracking = false;
    el.crack.disabled = false;
    if (found < 0) {
      say(out, t("js.workbench.crack_none", { n: words.length }) + warning, "answer refused");
      return;
    }
    say(out, t("js.workbench.crack_found", { n: found + 1, word: words[found] }), "answer accepted");
    el.secret.value = words[found];
    rebuild();
  });

  // ---- For tests and the curious: window.workbench ----

  api.paste = function (token) { paste(String(token)); };
  api.built = function () { return built; };
  api.setSecret = function (secret) { el.secret.value = String(secret); rebuild(); };

  paste();
})();
