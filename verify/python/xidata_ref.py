#!/usr/bin/env python3
"""Independent reference implementation of the XI-data wire format, version 1.

Written from docs/wire-format.md only. Values are real Python objects:
None, bool, int (any size), float, complex, str (lone surrogates allowed),
bytes, tuple, Ext (extension value) and ExcSnapshot (exception snapshot).

Usage:
  xidata_ref.py check [FILE]      check golden vectors (default verify/vectors/xidata.txt)
  xidata_ref.py gen               print the golden vectors, built from Python values
  xidata_ref.py random N [SEED]   print N random `ok` vectors (for the Rust side)
  xidata_ref.py selftest [N]      random encode/decode round trips in Python
"""

import os
import random
import struct
import sys
from typing import NamedTuple, Optional

MAGIC = b"XI"
VERSION = 1
DEFAULT_MAX_DEPTH = 128
MAX_DEPTH = 1024
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1

T_NONE, T_BOOL, T_INT, T_BIGINT, T_FLOAT, T_COMPLEX = 0, 1, 2, 3, 4, 5
T_STR, T_BYTES, T_TUPLE, T_EXT, T_EXC = 6, 7, 8, 9, 10


class Ext(NamedTuple):
    tag: int
    payload: bytes


class ExcSnapshot(NamedTuple):
    type_name: str
    qualname: str
    module: str
    msg: str
    formatted: str
    traceback: Optional[str]


class DecodeError(Exception):
    def __init__(self, name, offset):
        super().__init__(f"{name} at byte {offset}")
        self.name = name
        self.offset = offset


# ---------------------------------------------------------------- encoder

def varint(n):
    assert 0 <= n < 1 << 64
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def zigzag(n):
    return ((n << 1) ^ (n >> 63)) & ((1 << 64) - 1)


def str_payload(s):
    b = s.encode("utf-8", "surrogatepass")
    return varint(len(b)) + b


def encode_value(v, out, depth=0):
    t = type(v)
    if v is None:
        out.append(T_NONE)
    elif t is bool:
        out += bytes([T_BOOL, int(v)])
    elif t is int:
        if I64_MIN <= v <= I64_MAX:
            out.append(T_INT)
            out += varint(zigzag(v))
        else:
            m = abs(v)
            mag = m.to_bytes((m.bit_length() + 7) // 8, "little")
            out.append(T_BIGINT)
            out += varint(len(mag) << 1 | (v < 0))
            out += mag
    elif t is float:
        out.append(T_FLOAT)
        out += struct.pack("<d", v)
    elif t is complex:
        out.append(T_COMPLEX)
        out += struct.pack("<dd", v.real, v.imag)
    elif t is str:
        out.append(T_STR)
        out += str_payload(v)
    elif t is bytes:
        out.append(T_BYTES)
        out += varint(len(v)) + v
    elif t is tuple:
        if depth >= MAX_DEPTH:
            raise ValueError("nested too deep")
        out.append(T_TUPLE)
        out += varint(len(v))
        for item in v:
            encode_value(item, out, depth + 1)
    elif t is Ext:
        out.append(T_EXT)
        out += varint(v.tag) + varint(len(v.payload)) + v.payload
    elif t is ExcSnapshot:
        out.append(T_EXC)
        for s in v[:5]:
            out += str_payload(s)
        if v.traceback is None:
            out.append(0)
        else:
            out.append(1)
            out += str_payload(v.traceback)
    else:
        raise TypeError(f"{t.__name__} is not shareable")


def encode(v):
    out = bytearray(MAGIC + bytes([VERSION]))
    encode_value(v, out)
    return bytes(out)


# ---------------------------------------------------------------- decoder

# (second-byte low, high) for each lead byte of generalized UTF-8.
def _lead(b):
    if b <= 0x7F:
        return 1, 0, 0
    if 0xC2 <= b <= 0xDF:
        return 2, 0x80, 0xBF
    if b == 0xE0:
        return 3, 0xA0, 0xBF
    if 0xE1 <= b <= 0xEF:
        return 3, 0x80, 0xBF  # ED widened: surrogates allowed
    if b == 0xF0:
        return 4, 0x90, 0xBF
    if 0xF1 <= b <= 0xF3:
        return 4, 0x80, 0xBF
    if b == 0xF4:
        return 4, 0x80, 0x8F
    return 0, 0, 0


def check_gen_utf8(b):
    """Offset of the first bad sequence, or None."""
    i = 0
    while i < len(b):
        n, lo, hi = _lead(b[i])
        if n == 0 or i + n > len(b):
            return i
        if n > 1 and not (lo <= b[i + 1] <= hi and all(0x80 <= c <= 0xBF for c in b[i + 2:i + n])):
            return i
        i += n
    return None


class Decoder:
    def __init__(self, data, max_depth=DEFAULT_MAX_DEPTH, registry=None):
        self.d = data
        self.pos = 0
        self.max_depth = min(max_depth, MAX_DEPTH)
        self.registry = registry  # None, or {tag: validator-or-None}

    def fail(self, name, offset):
        raise DecodeError(name, offset)

    def remaining(self):
        return len(self.d) - self.pos

    def take(self, n):
        if n > self.remaining():
            self.fail("UnexpectedEnd", len(self.d))
        s = self.d[self.pos:self.pos + n]
        self.pos += n
        return s

    def varint(self):
        start = self.pos
        v = 0
        for i in range(10):
            if self.pos >= len(self.d):
                self.fail("UnexpectedEnd", len(self.d))
            b = self.d[self.pos]
            self.pos += 1
            if i == 9 and b > 1:
                self.fail("VarintOverflow", start)
            v |= (b & 0x7F) << (7 * i)
            if b & 0x80 == 0:
                if b == 0 and i > 0:
                    self.fail("NonCanonicalVarint", start)
                return v
        raise AssertionError("unreachable")

    def length(self):
        at = self.pos
        n = self.varint()
        if n > self.remaining():
            self.fail("LengthTooLarge", at)
        return n

    def flag(self):
        at = self.pos
        b = self.take(1)[0]
        if b > 1:
            self.fail("InvalidBool", at)
        return b == 1

    def string(self):
        n = self.length()
        at = self.pos
        b = self.take(n)
        bad = check_gen_utf8(b)
        if bad is not None:
            self.fail("InvalidString", at + bad)
        return b.decode("utf-8", "surrogatepass")

    def document(self):
        for i, m in enumerate(MAGIC):
            if i >= len(self.d):
                self.fail("UnexpectedEnd", i)
            if self.d[i] != m:
                self.fail("BadMagic", 0)
        if len(self.d) < 3:
            self.fail("UnexpectedEnd", 2)
        if self.d[2] != VERSION:
            self.fail("UnsupportedVersion", 2)
        self.pos = 3
        v = self.value(0)
        if self.pos != len(self.d):
            self.fail("TrailingBytes", self.pos)
        return v

    def value(self, depth):
        at = self.pos
        if at >= len(self.d):
            self.fail("UnexpectedEnd", at)
        t = self.d[at]
        self.pos += 1
        if t == T_NONE:
            return None
        if t == T_BOOL:
            return self.flag()
        if t == T_INT:
            z = self.varint()
            return (z >> 1) ^ -(z & 1)
        if t == T_BIGINT:
            hat = self.pos
            h = self.varint()
            n = h >> 1
            if n > self.remaining():
                self.fail("LengthTooLarge", hat)
            mag = self.take(n)
            m = int.from_bytes(mag, "little")
            v = -m if h & 1 else m
            if n == 0 or mag[-1] == 0 or I64_MIN <= v <= I64_MAX:
                self.fail("NonCanonicalBigInt", at)
            return v
        if t == T_FLOAT:
            return struct.unpack("<d", self.take(8))[0]
        if t == T_COMPLEX:
            re, im = struct.unpack("<dd", self.take(16))
            return complex(re, im)
        if t == T_STR:
            return self.string()
        if t == T_BYTES:
            return bytes(self.take(self.length()))
        if t == T_TUPLE:
            if depth >= self.max_depth:
                self.fail("DepthLimitExceeded", at)
            n = self.length()
            return tuple(self.value(depth + 1) for _ in range(n))
        if t == T_EXT:
            tag = self.varint()
            payload = bytes(self.take(self.length()))
            if self.registry is not None:
                if tag not in self.registry:
                    self.fail("UnknownExtension", at)
                check = self.registry[tag]
                if check is not None and not check(payload):
                    self.fail("InvalidExtensionPayload", at)
            return Ext(tag, payload)
        if t == T_EXC:
            fields = [self.string() for _ in range(5)]
            tb = self.string() if self.flag() else None
            return ExcSnapshot(*fields, tb)
        self.fail("UnknownTag", at)


def decode(data, max_depth=DEFAULT_MAX_DEPTH, registry=None):
    return Decoder(bytes(data), max_depth, registry).document()


# ------------------------------------------------- bit-exact equality

def fbits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def bits_float(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def same(a, b):
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return fbits(a) == fbits(b)
    if type(a) is complex:
        return fbits(a.real) == fbits(b.real) and fbits(a.imag) == fbits(b.imag)
    if type(a) is tuple:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


# ------------------------------------------------------- S-expressions

def s_str(s):
    return "(str" + "".join(f" {ord(c):x}" for c in s) + ")"


def to_sexpr(v):
    t = type(v)
    if v is None:
        return "(none)"
    if t is bool:
        return f"(bool {int(v)})"
    if t is int:
        return f"(int {v})"
    if t is float:
        return f"(float {fbits(v):016x})"
    if t is complex:
        return f"(complex {fbits(v.real):016x} {fbits(v.imag):016x})"
    if t is str:
        return s_str(v)
    if t is bytes:
        return f"(bytes {v.hex()})" if v else "(bytes)"
    if t is tuple:
        return "(tuple" + "".join(" " + to_sexpr(x) for x in v) + ")"
    if t is Ext:
        return f"(ext {v.tag} {v.payload.hex() or '-'})"
    if t is ExcSnapshot:
        parts = [s_str(s) for s in v[:5]]
        parts.append("(none)" if v.traceback is None else s_str(v.traceback))
        return "(exc " + " ".join(parts) + ")"
    raise TypeError(t)


def parse_sexpr(text):
    toks = text.replace("(", " ( ").replace(")", " ) ").split()
    pos = 0

    def form():
        nonlocal pos
        if toks[pos] != "(":
            raise ValueError(f"expected ( at token {pos}")
        head = toks[pos + 1]
        pos += 2
        args = []
        while toks[pos] != ")":
            if toks[pos] == "(":
                args.append(form())
            else:
                args.append(toks[pos])
                pos += 1
        pos += 1
        return build(head, args)

    v = form()
    if pos != len(toks):
        raise ValueError("trailing tokens")
    return v


def build(head, a):
    if head == "none":
        return None
    if head == "bool":
        return {"0": False, "1": True}[a[0]]
    if head == "int":
        return int(a[0])
    if head == "float":
        return bits_float(int(a[0], 16))
    if head == "complex":
        return complex(bits_float(int(a[0], 16)), bits_float(int(a[1], 16)))
    if head == "str":
        return "".join(chr(int(c, 16)) for c in a)
    if head == "bytes":
        return bytes.fromhex(a[0]) if a else b""
    if head == "tuple":
        return tuple(a)
    if head == "ext":
        return Ext(int(a[0]), b"" if a[1] == "-" else bytes.fromhex(a[1]))
    if head == "exc":
        return ExcSnapshot(*a)
    raise ValueError(f"unknown form {head}")


# ---------------------------------------------------------------- checks

def unhex(h):
    return b"" if h == "-" else bytes.fromhex(h)


def check_file(path):
    n_ok = n_err = 0
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kind, hexs, rest = line.split(" ", 2)
            data = unhex(hexs)
            where = f"{path}:{lineno}"
            if kind == "ok":
                want = parse_sexpr(rest)
                got = decode(data)
                assert same(got, want), f"{where}: decoded {got!r}, want {want!r}"
                assert encode(want) == data, f"{where}: encode gives {encode(want).hex()}"
                assert to_sexpr(want) == rest, f"{where}: description not canonical"
                n_ok += 1
            elif kind == "err":
                name, off = rest.split()
                try:
                    got = decode(data)
                except DecodeError as e:
                    assert (e.name, e.offset) == (name, int(off)), \
                        f"{where}: got {e.name}@{e.offset}, want {name}@{off}"
                else:
                    raise AssertionError(f"{where}: accepted {got!r}, want {name}")
                n_err += 1
            else:
                raise ValueError(f"{where}: bad line kind {kind}")
    print(f"xidata_ref: {path}: {n_ok} ok vectors and {n_err} rejections agree")


def rand_str(r):
    pools = [(0x20, 0x7E), (0x80, 0x7FF), (0x800, 0xFFFF), (0xD800, 0xDFFF), (0x10000, 0x10FFFF)]
    out = []
    for _ in range(r.randrange(0, 12)):
        lo, hi = r.choice(pools)
        out.append(chr(r.randint(lo, hi)))
    return "".join(out)


def rand_float(r):
    k = r.randrange(6)
    if k == 0:
        return bits_float(r.getrandbits(64))
    if k == 1:  # quiet NaN with a random payload and sign
        return bits_float((r.getrandbits(1) << 63) | 0x7FF8000000000000 | r.getrandbits(51))
    if k == 2:
        return r.choice([0.0, -0.0, float("inf"), float("-inf"), 5e-324, 1.7976931348623157e308])
    return r.uniform(-1e6, 1e6)


def rand_value(r, depth=0):
    k = r.randrange(12 if depth < 4 else 10)
    if k == 0:
        return None
    if k == 1:
        return r.random() < 0.5
    if k == 2:
        return r.randint(-(1 << r.randrange(1, 64)), 1 << r.randrange(1, 64))
    if k == 3:
        return r.choice([1, -1]) * r.getrandbits(r.randrange(60, 300))
    if k == 4:
        return rand_float(r)
    if k == 5:
        return complex(rand_float(r), rand_float(r))
    if k == 6:
        return rand_str(r)
    if k == 7:
        return r.randbytes(r.randrange(0, 20))
    if k == 8:
        return Ext(r.getrandbits(r.randrange(1, 65)), r.randbytes(r.randrange(0, 6)))
    if k == 9:
        tb = rand_str(r) if r.random() < 0.5 else None
        return ExcSnapshot(*(rand_str(r) for _ in range(5)), tb)
    return tuple(rand_value(r, depth + 1) for _ in range(r.randrange(0, 5)))


def selftest(n):
    r = random.Random(7)
    for _ in range(n):
        v = rand_value(r)
        b = encode(v)
        assert same(decode(b), v), v
        assert encode(decode(b)) == b
        assert same(parse_sexpr(to_sexpr(v)), v)
    print(f"xidata_ref: {n} random round trips ok")


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "check":
        check_file(argv[2] if len(argv) > 2 else os.path.join(here, "..", "vectors", "xidata.txt"))
    elif cmd == "gen":
        import golden
        golden.emit(sys.modules[__name__])
    elif cmd == "random":
        r = random.Random(int(argv[3]) if len(argv) > 3 else 1)
        for _ in range(int(argv[2])):
            v = rand_value(r)
            print(f"ok {encode(v).hex()} {to_sexpr(v)}")
    elif cmd == "selftest":
        selftest(int(argv[2]) if len(argv) > 2 else 3000)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
