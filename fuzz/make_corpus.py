#!/usr/bin/env python3
"""Regenerates the committed seed corpora from the golden vectors.

xidata / xidata_stream: every golden document (accepted and rejected).
xidata_roundtrip: the same bytes (interpreted by `arbitrary`, they still
reach varied values) - libFuzzer mutates from there.
"""
import hashlib
import os

here = os.path.dirname(os.path.abspath(__file__))
vectors = os.path.join(here, "..", "verify", "vectors", "xidata.txt")
docs = []
for line in open(vectors, encoding="utf-8"):
    parts = line.split()
    if parts and parts[0] in ("ok", "err"):
        docs.append(b"" if parts[1] == "-" else bytes.fromhex(parts[1]))
for target in ("xidata", "xidata_stream", "xidata_roundtrip"):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for doc in docs:
        with open(os.path.join(d, hashlib.sha1(doc).hexdigest()), "wb") as f:
            f.write(doc)
print(f"{len(docs)} seeds per target")
