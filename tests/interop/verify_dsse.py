#!/usr/bin/env python3
"""Independent verifier for provfs manifests.

Written only from the DSSE v1 protocol (PAE, envelope) and the in-toto
Statement v1 specifications, using Debian's python3-cryptography for
Ed25519 and PEM keys.  It shares no code with provfs: if both accept the
same envelopes and reject the same tampered ones, the format is what the
specs say.

usage: verify_dsse.py --key PUB.pem [--key ...] MANIFEST [ARTIFACT ...]
exit 0 verified, 1 not verified, 2 usage error.
"""
import base64
import binascii
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: bytes, body: bytes) -> bytes:
    # DSSE v1: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
    return b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(body), body)


def b64decode(text: str) -> bytes:
    # DSSE allows standard or URL-safe base64, padded or not.
    if any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=" for c in text):
        raise ValueError("invalid base64 character")
    text = text.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    return base64.b64decode(text, validate=True)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def fail(msg):
    print("verify_dsse: NOT VERIFIED: " + msg, file=sys.stderr)
    return 1


def main(argv):
    keys, rest = [], []
    i = 0
    while i < len(argv):
        if argv[i] == "--key" and i + 1 < len(argv):
            keys.append(argv[i + 1])
            i += 2
        else:
            rest.append(argv[i])
            i += 1
    if not keys or not rest:
        print(__doc__, file=sys.stderr)
        return 2
    trusted = {}
    for path in keys:
        with open(path, "rb") as f:
            pub = serialization.load_pem_public_key(f.read())
        if not isinstance(pub, Ed25519PublicKey):
            print("verify_dsse: %s is not an Ed25519 key" % path, file=sys.stderr)
            return 2
        der = pub.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)
        trusted[hashlib.sha256(der).hexdigest()] = pub

    try:
        with open(rest[0], "rb") as f:
            env = json.loads(f.read().decode("utf-8"), object_pairs_hook=no_duplicates)
        payload_type = env["payloadType"]
        body = b64decode(env["payload"])
        sigs = env["signatures"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error, RecursionError) as e:
        return fail("not a DSSE envelope: %s" % e)
    if payload_type != PAYLOAD_TYPE:
        return fail("payloadType is %r" % payload_type)
    message = pae(payload_type.encode("utf-8"), body)
    good = set()
    for s in sigs:
        try:
            sig = b64decode(s["sig"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            continue
        for keyid, pub in trusted.items():
            if s.get("keyid") and s["keyid"] != keyid:
                continue
            try:
                pub.verify(sig, message)
                good.add(keyid)
            except InvalidSignature:
                pass
    if not good:
        return fail("no valid signature by a trusted key")

    try:
        stmt = json.loads(body.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        return fail("payload is not JSON: %s" % e)
    if stmt.get("_type") != STATEMENT_TYPE:
        return fail("_type is %r" % stmt.get("_type"))
    subjects = stmt.get("subject")
    if not isinstance(subjects, list) or not subjects:
        return fail("no subjects")
    digests = set()
    for s in subjects:
        d = s.get("digest", {}).get("sha256", "")
        if len(d) != 64 or any(c not in "0123456789abcdef" for c in d):
            return fail("subject %r has no valid sha256" % s.get("name"))
        digests.add(d)
    for art in rest[1:]:
        with open(art, "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        if h not in digests:
            return fail("artifact %s (%s) is not a subject" % (art, h))
    print("verify_dsse: verified, %d trusted signer(s), predicateType %s, %d subject(s)"
          % (len(good), stmt.get("predicateType"), len(subjects)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
