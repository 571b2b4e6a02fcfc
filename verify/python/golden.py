"""Golden vectors for the XI-data format, built from real Python values.

`xidata_ref.py gen > verify/vectors/xidata.txt` regenerates the file. The
accepted vectors are encoded by the reference encoder; the rejections are
written by hand from docs/wire-format.md (name and offset are the spec's,
not the decoder's output: `check` verifies the decoder against them).
"""

import struct


def nan(payload, sign=0):
    return struct.unpack("<d", struct.pack("<Q", (sign << 63) | 0x7FF8000000000000 | payload))[0]


def values(ref):
    Ext, Exc = ref.Ext, ref.ExcSnapshot
    boom = Exc("MyErr", "MyErr", "__main__", "boom", "MyErr: boom",
               'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nMyErr: boom')
    return [
        ("None", None),
        ("False", False),
        ("True", True),
        ("0", 0),
        ("-1", -1),
        ("63 (one varint byte)", 63),
        ("64 (two varint bytes)", 64),
        ("-65", -65),
        ("2**63 - 1 (largest small int)", 2**63 - 1),
        ("-2**63 (smallest small int)", -2**63),
        ("2**63 (smallest positive big int)", 2**63),
        ("-2**63 - 1", -2**63 - 1),
        ("2**64", 2**64),
        ("2**200", 2**200),
        ("-2**200", -2**200),
        ("10**40 + 7", 10**40 + 7),
        ("0.0", 0.0),
        ("-0.0", -0.0),
        ("1.5", 1.5),
        ("inf", float("inf")),
        ("-inf", float("-inf")),
        ("float('nan')", float("nan")),
        ("NaN with payload 0x1234", nan(0x1234)),
        ("negative NaN with payload 1", nan(1, sign=1)),
        ("5e-324 (smallest subnormal)", 5e-324),
        ("complex(1, -2)", complex(1, -2)),
        ("complex(-0.0, nan)", complex(-0.0, float("nan"))),
        ("''", ""),
        ("'hello'", "hello"),
        ("'é€😀' (2-, 3- and 4-byte UTF-8)", "é€\U0001f600"),
        ("'\\ud800' (lone high surrogate)", "\ud800"),
        ("'a\\udfffb' (lone low surrogate)", "a\udfffb"),
        ("'\\ud83d\\ude00' (a surrogate PAIR: two code points, not U+1F600)", "\ud83d\ude00"),
        ("'\\x00' (NUL)", "\x00"),
        ("b''", b""),
        ("b'\\x00\\xff'", b"\x00\xff"),
        ("bytes(200) (two-byte length)", bytes(200)),
        ("()", ()),
        ("(1,)", (1,)),
        ("(1, 'a', b'b', None, 2.5)", (1, "a", b"b", None, 2.5)),
        ("((),((),))", ((), ((),))),
        ("nested tuples with a big int and a surrogate", ((2**200, "\ud800"), (True, (-2**70,)))),
        ("Ext(tag=7, payload=b'\\x01\\x02')", Ext(7, b"\x01\x02")),
        ("Ext(tag=2**64-1, empty payload)", Ext(2**64 - 1, b"")),
        ("exception snapshot with traceback", boom),
        ("exception snapshot without traceback, empty msg",
         Exc("KeyError", "KeyError", "builtins", "", "KeyError", None)),
        ("exception with a surrogate in the message",
         Exc("UnicodeError", "UnicodeError", "builtins", "bad \udc80", "UnicodeError: bad \udc80", None)),
    ]


# (description, hex, rejection name, offset) — derived from the spec by hand.
REJECTIONS = [
    ("empty input", "-", "UnexpectedEnd", 0),
    ("only 'X'", "58", "UnexpectedEnd", 1),
    ("wrong magic", "584a0100", "BadMagic", 0),
    ("magic only", "5849", "UnexpectedEnd", 2),
    ("version 2", "58490200", "UnsupportedVersion", 2),
    ("header, no value", "584901", "UnexpectedEnd", 3),
    ("unknown tag 0x0b", "5849010b", "UnknownTag", 3),
    ("unknown tag 0xff", "584901ff", "UnknownTag", 3),
    ("None then trailing byte", "58490100" "00", "TrailingBytes", 4),
    ("bool 2", "5849010102", "InvalidBool", 4),
    ("bool missing its byte", "58490101", "UnexpectedEnd", 4),
    ("int 0 as overlong varint 80 00", "584901028000", "NonCanonicalVarint", 4),
    ("int 1 as overlong varint 81 80 00", "58490102818000", "NonCanonicalVarint", 4),
    ("varint of 11 bytes", "584901028080808080808080808001", "VarintOverflow", 4),
    ("varint 10th byte 2 (2**64)", "58490102" "80808080808080808002", "VarintOverflow", 4),
    ("varint 10th byte 0 (overlong)", "58490102" "ffffffffffffffffff00", "NonCanonicalVarint", 4),
    ("varint truncated", "5849010280", "UnexpectedEnd", 5),
    ("big int that fits i64 (2**62)", "5849010310" "0000000000000040", "NonCanonicalBigInt", 3),
    ("big int -2**63 (fits i64)", "5849010311" "0000000000000080", "NonCanonicalBigInt", 3),
    ("big int with zero top byte", "5849010312" "000000000000000000", "NonCanonicalBigInt", 3),
    ("big int of length 0", "584901030000", "NonCanonicalBigInt", 3),
    ("big int length beyond input", "5849010320" "00", "LengthTooLarge", 4),
    ("float truncated", "58490104000000", "UnexpectedEnd", 7),
    ("complex truncated", "58490105" "0000000000000000" "0000", "UnexpectedEnd", 14),
    ("str length beyond input", "5849010605616263", "LengthTooLarge", 4),
    ("str huge length (2**63)", "58490106" "80808080808080808001", "LengthTooLarge", 4),
    ("str with 0xff", "584901060361ff62", "InvalidString", 6),
    ("str overlong NUL c0 80", "5849010602c080", "InvalidString", 5),
    ("str above U+10FFFF f4 90 80 80", "5849010604f4908080", "InvalidString", 5),
    ("str truncated sequence", "5849010602e282", "InvalidString", 5),
    ("str stray continuation", "5849010601" "80", "InvalidString", 5),
    ("str overlong 3-byte form e0 9f bf", "5849010603e09fbf", "InvalidString", 5),
    ("bytes length beyond input", "58490107020a", "LengthTooLarge", 4),
    ("tuple count beyond input", "584901080300", "LengthTooLarge", 4),
    ("tuple item truncated", "58490108020400", "UnexpectedEnd", 7),
    ("tuple then trailing", "5849010800" "00", "TrailingBytes", 5),
    ("129 nested tuples (limit 128)", "584901" + "0801" * 128 + "0800", "DepthLimitExceeded", 3 + 2 * 128),
    ("ext payload beyond input", "5849010907" "05" "00", "LengthTooLarge", 5),
    ("exception flag 2", "5849010a" + "00" * 5 + "02", "InvalidBool", 9),
    ("exception truncated", "5849010a" + "00" * 3, "UnexpectedEnd", 7),
    ("exception bad str", "5849010a" "01ff", "InvalidString", 5),
]


def emit(ref):
    print("# XI-data golden vectors, format version 1 (see docs/wire-format.md).")
    print("# Generated by `python3 verify/python/xidata_ref.py gen` from real Python")
    print("# values; checked by verify/python/xidata_ref.py and core/tests/xidata_vectors.rs.")
    print("# ok <hex> <value>   |   err <hex> <rejection> <offset>")
    for desc, v in values(ref):
        b = ref.encode(v)
        assert ref.same(ref.decode(b), v), desc
        print(f"# {desc}")
        print(f"ok {b.hex()} {ref.to_sexpr(v)}")
    for desc, h, name, off in REJECTIONS:
        print(f"# {desc}")
        print(f"err {h} {name} {off}")
    # The largest depth accepted by default.
    print("# 128 nested tuples (the default limit)")
    deep = ()
    for _ in range(127):
        deep = (deep,)
    print(f"ok {ref.encode(deep).hex()} {ref.to_sexpr(deep)}")
