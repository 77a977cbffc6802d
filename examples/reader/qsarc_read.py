#!/usr/bin/python3
"""qsarc_read.py: read a qsarc store without qsarc.

An independent reader written from the documents in spec/ alone
(FORMAT.md, keystore.md, CRYPTO.md, index.md, CATALOGUE.md); it shares
no code with the C implementation.  Standard library plus
PyNaCl (XChaCha20-Poly1305), python-zstandard and argon2-cffi, i.e. the
Debian packages python3-nacl, python3-zstandard and python3-argon2.

  qsarc_read.py STORE ls [--expired]          the streams
  qsarc_read.py STORE get NAME [--expired]    a stream to standard output
  qsarc_read.py STORE members NAME [--expired]
                                              its tar members, one a line,
                                              escaped as `qsarc ls STORE
                                              NAME` prints them
  qsarc_read.py STORE verify                  check every file and chunk

Encrypted stores need --passphrase-file F (one trailing newline in F is
not part of the passphrase, as with qsarc).  Exit status: 0 ok, 1 error
(including a store written by a newer qsarc), 3 no such stream,
5 wrong passphrase, 6 damage (or a failed authentication).
"""

import argparse
import hashlib
import hmac
import mmap
import os
import re
import struct
import sys

import nacl.bindings
import nacl.exceptions
import zstandard
from argon2.low_level import Type, hash_secret_raw


# ---------------------------------------------------------------- errors

class QsError(Exception):
    """A refusal; .code is the exit status (after format/qs_err.h)."""
    code = 1


class Corrupt(QsError):      # QS_ECORRUPT
    code = 6


class AuthFailed(QsError):   # QS_EAUTH
    code = 6


class NewerVersion(QsError):  # QS_EVERSION
    code = 1


class WrongPassphrase(QsError):  # QS_EPASS
    code = 5


class NotFound(QsError):     # QS_ENOENT
    code = 3


# ---------------------------------------------------------------- helpers

def u16(b, off):
    return struct.unpack_from("<H", b, off)[0]


def u32(b, off):
    return struct.unpack_from("<I", b, off)[0]


def u64(b, off):
    return struct.unpack_from("<Q", b, off)[0]


def i64(b, off):
    return struct.unpack_from("<q", b, off)[0]


def blake2b256(data, key=b"", person=b""):
    """BLAKE2b with a 32-byte digest (RFC 7693), keyed if key is given."""
    return hashlib.blake2b(data, digest_size=32, key=key,
                           person=person).digest()


def aead_open(key, nonce, ad, sealed):
    """XChaCha20-Poly1305 (IETF): plaintext, or None if it fails."""
    try:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes(sealed), bytes(ad), bytes(nonce), key)
    except nacl.exceptions.CryptoError:
        return None


def zero(b):
    return not any(b)


def read_file(path, limit=None):
    with open(path, "rb") as f:
        if limit is None:
            return f.read()
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Corrupt("%s: larger than %d bytes" % (path, limit))
    return data


def zstd_decompress(payload, raw_len, what):
    """Decompress zstd data to exactly raw_len bytes (FORMAT.md 4.3)."""
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(
            bytes(payload), read_across_frames=True)
        out = bytearray()
        while len(out) <= raw_len:   # read one byte past raw_len at most
            part = reader.read(raw_len + 1 - len(out))
            if not part:
                break
            out += part
    except zstandard.ZstdError as e:
        raise Corrupt("%s: bad zstd data: %s" % (what, e))
    if len(out) != raw_len:
        raise Corrupt("%s: decompresses to the wrong length" % what)
    return bytes(out)


# ---------------------------------------------------------------- config

CONFIG_TAG_LEN = {0x0001: 16, 0x0002: 8, 0x0003: 12, 0x0004: 4,
                  0x0005: 4, 0x0006: 32, 0x0007: 32, 0x8009: 32}


def parse_config(path):
    """FORMAT.md section 3, steps 1-3 of 3.4.  The MAC is checked later."""
    buf = read_file(path, 65536)
    if len(buf) < 48:
        raise Corrupt("%s: too short" % path)
    # Integrity before the version (3.4 step 2, revision 7).
    if blake2b256(buf[:-32]) != buf[-32:]:
        raise Corrupt("%s: checksum mismatch" % path)
    if buf[:8] != b"QSARCCFG":
        raise Corrupt("%s: not a qsarc config" % path)
    if u16(buf, 8) not in (1, 2) or u16(buf, 10) != 0:
        raise NewerVersion("%s: written by a newer qsarc" % path)
    body_len = u32(buf, 12)
    if 16 + body_len + 32 != len(buf):
        raise Corrupt("%s: body_len does not match the file size" % path)
    cfg = {"raw": buf, "mac": None, "plain_idkey": None,
           "encryption": None}
    seen = set()
    unknown_bytes = 0
    pos, end = 16, 16 + body_len
    while pos < end:
        if cfg["mac"] is not None:
            raise Corrupt("%s: a field follows the config MAC" % path)
        if end - pos < 4:
            raise Corrupt("%s: truncated field" % path)
        tag, ln = struct.unpack_from("<HH", buf, pos)
        if pos + 4 + ln > end:
            raise Corrupt("%s: field 0x%04x overruns the body" % (path, tag))
        val = buf[pos + 4:pos + 4 + ln]
        known = tag in CONFIG_TAG_LEN or tag == 0x8008
        if known:
            if tag in seen:
                raise Corrupt("%s: field 0x%04x twice" % (path, tag))
            seen.add(tag)
        if tag in CONFIG_TAG_LEN and ln != CONFIG_TAG_LEN[tag]:
            raise Corrupt("%s: field 0x%04x has length %d" % (path, tag, ln))
        if tag == 0x0001:
            cfg["store_id"] = val
        elif tag == 0x0003:
            cfg["chunk_min"], cfg["chunk_avg"], cfg["chunk_max"] = \
                struct.unpack("<III", val)
        elif tag == 0x0006:
            cfg["plain_idkey"] = val
        elif tag == 0x8008:
            if ln == 0 or val[0] != 1 or ln - 1 > 4000:
                raise NewerVersion("%s: unknown encryption scheme" % path)
            if b"\0" in val[1:]:
                raise Corrupt("%s: NUL in the backup keystore path" % path)
            cfg["encryption"] = val[1:]
        elif tag == 0x8009:
            if pos + 4 + ln != end:
                raise Corrupt("%s: the config MAC is not last" % path)
            cfg["mac"] = val
            cfg["mac_at"] = pos
        elif not known and tag & 0x8000:
            raise NewerVersion("%s: unknown critical field 0x%04x "
                               "(written by a newer qsarc)" % (path, tag))
        elif not known:
            unknown_bytes += 4 + ln     # kept by writers; we ignore it
            if unknown_bytes > 4096:
                raise Corrupt("%s: too many unknown fields" % path)
        pos += 4 + ln
    for tag in (0x0001, 0x0002, 0x0003, 0x0004, 0x0005):
        if tag not in seen:
            raise Corrupt("%s: required field 0x%04x missing" % (path, tag))
    if (0x0006 in seen) != (0x0007 in seen):
        raise Corrupt("%s: only one of the plain keys" % path)
    if 0x0006 not in seen and 0x8008 not in seen:
        raise Corrupt("%s: neither plain keys nor encryption" % path)
    if (0x8008 in seen) != (0x8009 in seen):
        raise Corrupt("%s: encryption and config MAC must go together"
                      % path)
    mn, avg, mx = cfg["chunk_min"], cfg["chunk_avg"], cfg["chunk_max"]
    if (avg & (avg - 1) or not 1024 <= mn < avg < mx <= 1 << 24
            or mx < 2 * avg):
        raise Corrupt("%s: invalid chunk sizes" % path)
    return cfg


def check_config_mac(cfg, idkey):
    """CRYPTO.md 3.4: the MAC over the fields before it."""
    mac_key = blake2b256(b"", key=idkey, person=b"qsarc-config-mac")
    mac = blake2b256(cfg["raw"][16:cfg["mac_at"]], key=mac_key)
    if not hmac.compare_digest(mac, cfg["mac"]):
        raise AuthFailed("config: does not authenticate with this "
                         "store's keys")


# ---------------------------------------------------------------- keystore

def unlock_keystore(path, passphrase, store_id):
    """keystore.md section 5.  Returns (idkey, {key_id: content key})."""
    buf = read_file(path, 45252)
    if len(buf) < 12 or buf[:8] != b"QSARCKEY":
        raise Corrupt("%s: not a keystore" % path)
    if u16(buf, 8) not in (1, 2) or u16(buf, 10) != 0:
        raise NewerVersion("%s: written by a newer qsarc" % path)
    if len(buf) < 112:
        raise Corrupt("%s: truncated" % path)
    if buf[12] != 1:
        raise NewerVersion("%s: unknown KDF" % path)
    t, m, p = struct.unpack_from("<III", buf, 16)
    salt, ks_store, check, nonce = buf[28:44], buf[44:60], buf[68:84], \
        buf[84:108]
    body_len = u32(buf, 108)
    # keystore.md 3.1: the cost is capped before anything is derived.
    if (not zero(buf[13:16]) or not 1 <= t <= 10
            or not 8192 <= m <= 1048576 or t * m > 4194304
            or not 1 <= p <= 16
            or not 156 <= body_len <= 45124
            or len(buf) != 112 + body_len + 16):
        raise Corrupt("%s: damaged header" % path)
    if ks_store != store_id:
        raise Corrupt("%s: belongs to another store" % path)
    kek = hash_secret_raw(passphrase, salt, time_cost=t, memory_cost=m,
                          parallelism=p, hash_len=32, type=Type.ID,
                          version=19)
    if not hmac.compare_digest(
            blake2b256(b"qsarc-kek-check", key=kek)[:16], check):
        raise WrongPassphrase("%s: wrong passphrase" % path)
    body = aead_open(kek, nonce, buf[:112], buf[112:])
    if body is None:
        raise Corrupt("%s: damaged (the passphrase is right but the "
                      "body does not authenticate)" % path)
    bversion = u16(body, 0)
    if bversion not in (1, 2):
        raise NewerVersion("%s: unknown body version" % path)
    nkeys = u16(body, 108)
    # Version 2: pending_key at 110 (a mode change in progress; a reader
    # need not care); version 1: reserved, zero.
    if (body[2] not in (1, 2) or body[3] != 0
            or not 604800 <= u64(body, 4) <= 2207520000
            or body[20:28] != buf[60:68] or body[28:44] != store_id
            or not 1 <= nkeys <= 1023
            or (bversion == 1 and not zero(body[110:112]))
            or len(body) != 112 + 44 * nkeys):
        raise Corrupt("%s: damaged body" % path)
    keys, last, active = {}, 0, 0
    for i in range(nkeys):
        e = body[112 + 44 * i:156 + 44 * i]
        kid, state = u16(e, 0), e[2]
        if not last < kid <= 1023 or state not in (1, 2) or e[3] != 0:
            raise Corrupt("%s: damaged key entry %d" % (path, i))
        active += state == 1
        keys[kid] = bytes(e[12:44])
        last = kid
    if active != 1:
        raise Corrupt("%s: not exactly one active key" % path)
    return bytes(body[44:76]), keys


# ---------------------------------------------------------------- index

SEG_NAME = re.compile(r"seg-([0-9a-f]{16})-[0-9a-f]{8}\.qsi\Z")


class Segment:
    """One index segment file (index.md section 3), memory-mapped."""

    def __init__(self, path, name_seq):
        self.path = path
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 96:
                raise Corrupt("%s: truncated" % path)
            self.map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        h = self.map[:64]
        if h[:8] != b"QSARCIDX":
            raise Corrupt("%s: not an index segment" % path)
        if u16(h, 8) != 1 or u16(h, 10) != 0:
            # index.md 3.1: unknown version or flags are damage unless
            # the trailer matches.
            if blake2b256(self.map[:-32]) != self.map[-32:]:
                raise Corrupt("%s: damaged (unknown version or flags, "
                              "checksum mismatch)" % path)
            raise NewerVersion("%s: written by a newer qsarc" % path)
        self.bloom_k = u32(h, 12)
        self.count, self.seq, self.base_seq, self.bloom_bytes = \
            struct.unpack_from("<QQQQ", h, 16)
        if (not 1 <= self.bloom_k <= 8 or self.seq != name_seq
                or self.base_seq > self.seq or self.bloom_bytes % 64
                or (self.bloom_bytes == 0) != (self.count == 0)
                or not zero(h[48:64])
                or size != 64 + 48 * self.count + self.bloom_bytes + 32):
            raise Corrupt("%s: damaged header" % path)

    def entry(self, i):
        off = 64 + 48 * i
        e = self.map[off:off + 48]
        return e[:32], u64(e, 32), u32(e, 40), u32(e, 44)

    def lookup(self, cid):
        """(container_id, offset, length) of chunk cid, or None.

        The entries are sorted by id, so a plain binary search finds it
        (index.md section 4 describes a faster interpolation search; the
        result is the same).  The Bloom filter is not needed for
        correctness and is only checked by verify."""
        lo, hi = 0, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            off = 64 + 48 * mid
            key = self.map[off:off + 32]
            if key < cid:
                lo = mid + 1
            elif key > cid:
                hi = mid
            else:
                return self.entry(mid)[1:]
        return None

    def bloom_has(self, cid):
        """index.md 3.3."""
        nblocks = self.bloom_bytes // 64
        prefix = int.from_bytes(cid[:8], "big")
        block = 64 + 48 * self.count + 64 * ((prefix * nblocks) >> 64)
        for i in range(self.bloom_k):
            v = (cid[8 + 2 * i] | cid[9 + 2 * i] << 8) % 512
            if not self.map[block + v // 8] & (1 << (v % 8)):
                return False
        return True

    def verify(self, problems):
        """Trailer checksum, order, length rule, Bloom bits (index.md)."""
        end = len(self.map) - 32
        if blake2b256(self.map[:end]) != self.map[end:]:
            problems.append("%s: checksum mismatch" % self.path)
            return
        prev = None
        for i in range(self.count):
            cid, ctr, off, length = self.entry(i)
            if prev is not None and cid <= prev:
                problems.append("%s: entry %d out of order" % (self.path, i))
            if length == 0 or off + length > 1 << 32:
                problems.append("%s: entry %d: bad length" % (self.path, i))
            if not self.bloom_has(cid):
                problems.append("%s: entry %d missing from the Bloom filter"
                                % (self.path, i))
            prev = cid


def open_index(root):
    """The live segments, highest seq first (index.md section 2)."""
    segs = []
    d = os.path.join(root, "index")
    for name in sorted(os.listdir(d)):
        m = SEG_NAME.match(name)
        if m:
            segs.append((name, Segment(os.path.join(d, name),
                                       int(m.group(1), 16))))
    base = max([s.base_seq for _, s in segs], default=0)
    live = [(s.seq, name, s) for name, s in segs if s.seq >= base]
    live.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return [s for _, _, s in live]


# ---------------------------------------------------------------- the store

RECORD_MAX_RAW = 16777216
RECORD_MAX_STORED = 18878464    # RECORD_MAX_RAW * 9 / 8 + 4096
RECORD_FLAG_ZSTD = 1
RECORD_FLAG_SEALED = 2          # container version 2 (FORMAT.md 4.3)


def padme(n):
    """FORMAT.md 4.3: the padded length of n bytes (PADME keeping one
    more bit: round up to a multiple of 2^(E - S - 1))."""
    if n < 2:
        return n
    e = n.bit_length() - 1
    s = e.bit_length()
    mask = (1 << (e - s - 1)) - 1 if e > s + 1 else 0
    return (n + mask) & ~mask


def open_sealed_inner(pt, what):
    """FORMAT.md 4.3: the plaintext of a version 2 sealed record is
    raw_len u32, payload_len u32, flags u8, reserved[3], the payload and
    zero padding to padme(12 + payload_len).  Returns (flags, raw_len,
    payload)."""
    if len(pt) < 12:
        raise Corrupt("%s: damaged sealed record" % what)
    raw_len, plen, flags = u32(pt, 0), u32(pt, 4), pt[8]
    if (flags & ~RECORD_FLAG_ZSTD or not zero(pt[9:12])
            or raw_len > RECORD_MAX_RAW or plen > len(pt) - 12
            or padme(12 + plen) != len(pt) or not zero(pt[12 + plen:])
            or (not flags & RECORD_FLAG_ZSTD and plen != raw_len)):
        raise Corrupt("%s: damaged sealed record" % what)
    return flags, raw_len, pt[12:12 + plen]


class Store:
    def __init__(self, root, passphrase=None):
        self.root = root
        if not os.path.exists(os.path.join(root, "config")):
            raise NotFound("%s: no qsarc store here" % root)
        self.cfg = parse_config(os.path.join(root, "config"))
        self.store_id = self.cfg["store_id"]
        self.keys = {}          # key_id -> content key
        self.enc_idkey = None   # the keystore's chunk-id secret
        if self.cfg["encryption"] is not None:
            if passphrase is None:
                raise QsError("%s: the store is encrypted: give "
                              "--passphrase-file" % root)
            self.enc_idkey, self.keys = unlock_keystore(
                os.path.join(root, "keystore"), passphrase, self.store_id)
            check_config_mac(self.cfg, self.enc_idkey)
        self.segments = open_index(root)

    # -- keys ----------------------------------------------------------

    def idkey_for(self, key_id):
        """FORMAT.md section 5: the chunk-id key for records of key_id."""
        if key_id == 0:
            if self.cfg["plain_idkey"] is None:
                raise AuthFailed("plain data in a store without plain keys")
            return self.cfg["plain_idkey"]
        if key_id not in self.keys:
            raise AuthFailed("sealed under key %d, which this store does "
                             "not have" % key_id)
        return self.enc_idkey

    # -- records -------------------------------------------------------

    def lookup(self, cid):
        for seg in self.segments:
            loc = seg.lookup(cid)
            if loc is not None:
                return loc
        return None

    def container_path(self, ctr):
        return os.path.join(self.root, "data", "%02x" % (ctr >> 56),
                            "%016x.qsc" % ctr)

    def open_record(self, rec, ctr, off, what, want_id=None):
        """Check and open one record (header + payload) read at offset
        off of container ctr (FORMAT.md 4.2-4.4, 7 step 6).  Returns
        (chunk_id, chunk)."""
        if len(rec) < 80:
            raise Corrupt("%s: truncated record" % what)
        h = rec[:80]
        flags, key_id, raw_len, stored_len = h[5], u16(h, 6), u32(h, 8), \
            u32(h, 12)
        cid, nonce = h[16:48], h[48:72]
        sealed = bool(flags & RECORD_FLAG_SEALED)
        if (h[:4] != b"QSRC" or h[4] != 1 or flags & ~3
                or raw_len > RECORD_MAX_RAW or stored_len > RECORD_MAX_STORED
                or raw_len > self.cfg["chunk_max"] or not zero(h[72:80])
                or (sealed and (key_id == 0 or flags != RECORD_FLAG_SEALED
                                or raw_len != 0 or stored_len < 28))):
            raise Corrupt("%s: damaged record header" % what)
        if len(rec) != 80 + stored_len:
            raise Corrupt("%s: record length does not match" % what)
        if want_id is not None and cid != want_id:
            raise Corrupt("%s: holds another chunk" % what)
        idkey = self.idkey_for(key_id)
        payload = rec[80:]
        if key_id == 0:
            if not zero(nonce) or (not flags & 1 and stored_len != raw_len):
                raise Corrupt("%s: damaged record header" % what)
        else:
            if stored_len < 16:
                raise AuthFailed("%s: too short to authenticate" % what)
            ad = self.store_id + struct.pack("<QQ", ctr, off) + h[:48]
            payload = aead_open(self.keys[key_id], nonce, ad, payload)
            if payload is None:
                raise AuthFailed("%s: authentication failed" % what)
            if sealed:
                flags, raw_len, payload = open_sealed_inner(payload, what)
                if raw_len > self.cfg["chunk_max"]:
                    raise Corrupt("%s: damaged sealed record" % what)
        if flags & 1:
            chunk = zstd_decompress(payload, raw_len, what)
        else:
            if len(payload) != raw_len:
                raise Corrupt("%s: wrong payload length" % what)
            chunk = bytes(payload)
        if not hmac.compare_digest(blake2b256(chunk, key=idkey), cid):
            raise Corrupt("%s: chunk does not match its id" % what)
        return cid, chunk

    def read_chunk(self, cid, raw_len):
        loc = self.lookup(cid)
        if loc is None:
            raise Corrupt("chunk %s: not in the index" % cid.hex())
        ctr, off, length = loc
        if off < 64 or not 80 <= length <= 80 + RECORD_MAX_STORED:
            raise Corrupt("chunk %s: bad index entry" % cid.hex())
        path = self.container_path(ctr)
        try:
            with open(path, "rb") as f:
                f.seek(off)
                rec = f.read(length)
        except FileNotFoundError:
            raise Corrupt("%s: missing" % path)
        what = "%s offset %d" % (path, off)
        _, chunk = self.open_record(rec, ctr, off, what, want_id=cid)
        if len(chunk) != raw_len:
            raise Corrupt("%s: chunk length differs from the manifest" % what)
        return chunk

    # -- frame files: manifests and catalogues ---------------------------

    def read_frames(self, path, magic):
        """FORMAT.md 6.1-6.3, for manifests (QSARCMAN) and catalogues
        (QSARCCAT), versions 1, 2 and 3: returns (list of frame plaintexts,
        final plaintext).  Every frame is read and authenticated before
        anything is returned, so a caller never uses a frame of a file
        whose other frames do not check."""
        try:
            buf = read_file(path)
        except FileNotFoundError:
            raise NotFound("%s: no such file" % path)
        if len(buf) < 64 or buf[:8] != magic:
            raise Corrupt("%s: damaged header" % path)
        version = u16(buf, 8)
        if version not in (1, 2, 3) or u16(buf, 10) != 0:
            raise NewerVersion("%s: written by a newer qsarc" % path)
        key_id = u16(buf, 12)
        # Version 3 is version 2 with padded sealed frames (6.2).
        if version == 3 and key_id == 0:
            raise Corrupt("%s: padded frames in a plain file" % path)
        summary_offset, frame_count = u64(buf, 32), u64(buf, 40)
        # Versions 2, 3: bytes 48..63 are the file id (random, never all
        # zero), in every frame's AD; version 1: reserved, zero.
        if (not zero(buf[14:16]) or zero(buf[48:64]) != (version == 1)
                or frame_count == 0 or summary_offset < 64):
            raise Corrupt("%s: damaged header" % path)
        file_id = buf[48:64] if version >= 2 else b""
        if buf[16:32] != self.store_id:
            raise Corrupt("%s: belongs to another store" % path)
        if key_id == 0 and self.cfg["plain_idkey"] is None:
            raise AuthFailed("%s: plain file in an encrypted store" % path)
        if key_id != 0 and key_id not in self.keys:
            raise AuthFailed("%s: sealed under key %d, which this store "
                             "does not have" % (path, key_id))

        def frame(off, index, final):
            if off + 4 > len(buf):
                raise Corrupt("%s: frame %d missing" % (path, index))
            body_len = u32(buf, off)
            if (body_len > (24 + 1064960 + 16 if version == 3 else 1048616)
                    or off + 4 + body_len > len(buf)):
                raise Corrupt("%s: frame %d: bad length" % (path, index))
            body = buf[off + 4:off + 4 + body_len]
            ad = buf[:32] + file_id + struct.pack("<QB", index, final)
            if key_id == 0:
                if body_len < 16:
                    raise Corrupt("%s: frame %d too short" % (path, index))
                pt = body[:-16]
                if blake2b256(ad + pt)[:16] != body[-16:]:
                    raise Corrupt("%s: frame %d: checksum mismatch"
                                  % (path, index))
            else:
                if body_len < 40:
                    raise AuthFailed("%s: frame %d too short" % (path, index))
                pt = aead_open(self.keys[key_id], body[:24], ad, body[24:])
                if pt is None:
                    raise AuthFailed("%s: frame %d: authentication failed"
                                     % (path, index))
                if version == 3:
                    # len u32 || plaintext || zeros, exactly
                    # max(512, padme(4 + len)) bytes.
                    n = u32(pt, 0) if len(pt) >= 4 else -1
                    if (n < 0 or len(pt) != max(512, padme(4 + n))
                            or not zero(pt[4 + n:])):
                        raise Corrupt("%s: frame %d: damaged padding"
                                      % (path, index))
                    pt = pt[4:4 + n]
            if len(pt) > 1048576:
                raise Corrupt("%s: frame %d too large" % (path, index))
            return pt, off + 4 + body_len

        final, end = frame(summary_offset, frame_count - 1, 1)
        if end != len(buf):
            raise Corrupt("%s: bytes after the last frame" % path)
        frames, off = [], 64
        for index in range(frame_count - 1):
            pt, off = frame(off, index, 0)
            frames.append(pt)
        if off != summary_offset:
            raise Corrupt("%s: frames do not end at the last frame" % path)
        return frames, final

    def manifest_path(self, name, expired=False):
        return os.path.join(self.root, "expired" if expired else "streams",
                            name + ".qsm")

    def stream_names(self, expired=False):
        d = os.path.join(self.root, "expired" if expired else "streams")
        if not os.path.isdir(d):
            return []
        return sorted(n[:-4] for n in os.listdir(d)
                      if n.endswith(".qsm") and not n.startswith("."))

    def manifest(self, name, expired=False):
        """Read a manifest: (summary dict, list of (chunk_id, raw_len)).
        Checks count, length and stream hash (FORMAT.md 6.4-6.6, 7)."""
        if not re.fullmatch(r"[A-Za-z0-9._+@:=,~-]{1,200}", name) \
                or name[0] in ".-":
            raise QsError("invalid stream name %r" % name)
        path = self.manifest_path(name, expired)
        frames, spt = self.read_frames(path, b"QSARCMAN")
        s = parse_summary(spt, path)
        if s["name"] != name.encode():
            raise Corrupt("%s: holds the stream %r" % (path, s["name"]))
        refs = []
        h = hashlib.blake2b(digest_size=32)
        for pt in frames:
            count = u32(pt, 4) if len(pt) >= 8 else 0
            if (len(pt) < 8 or pt[0] != 1 or not zero(pt[1:4])
                    or not 1 <= count <= 29126 or len(pt) != 8 + 36 * count):
                raise Corrupt("%s: damaged refs frame" % path)
            h.update(pt[8:])
            for i in range(count):
                off = 8 + 36 * i
                refs.append((pt[off:off + 32], u32(pt, off + 32)))
        if (len(refs) != s["chunk_count"]
                or sum(r[1] for r in refs) != s["length"]
                or h.digest() != s["stream_hash"]):
            raise Corrupt("%s: the references do not match the summary"
                          % path)
        return s, refs

    def catalogue(self, s):
        """The members of a stream's catalogue, and its end record
        (CATALOGUE.md sections 1 and 2)."""
        if not s["features"] & 1:
            raise NotFound("stream %r has no member catalogue"
                           % s["name"].decode())
        path = os.path.join(self.root, "catalogs",
                            s["catalogue_id"].hex() + ".qct")
        try:
            data = read_file(path)
        except FileNotFoundError:
            raise Corrupt("%s: the catalogue is missing" % path)
        if blake2b256(data) != s["catalogue_hash"]:
            raise Corrupt("%s: does not match the hash in the manifest"
                          % path)
        frames, fin = self.read_frames(path, b"QSARCCAT")
        if (len(fin) < 24 or fin[0] != 4 or not 1 <= fin[1] <= 3
                or not zero(fin[2:4]) or not zero(fin[6:8])
                or u16(fin, 4) >= 512 or len(fin) != 24 + u16(fin, 4)):
            raise Corrupt("%s: damaged final record" % path)
        end = {"status": fin[1], "members": u64(fin, 8),
               "scan_end": u64(fin, 16), "message": fin[24:]}
        members = []
        for pt in frames:
            if (len(pt) < 8 or pt[0] != 3 or pt[1] & ~1 or pt[2] or pt[3]
                    or u32(pt, 4) == 0):
                raise Corrupt("%s: damaged member frame" % path)
            if pt[1] & 1:
                # flag 1: raw length u32, then one zstd frame of members
                if len(pt) < 12:
                    raise Corrupt("%s: damaged member frame" % path)
                pt = bytes(pt[:8]) + zstd_decompress(pt[12:], u32(pt, 8),
                                                     path)
            pos = 8
            for _ in range(u32(pt, 4)):
                m, pos = parse_member(pt, pos, path)
                members.append(m)
            if pos != len(pt):
                raise Corrupt("%s: trailing bytes in a member frame" % path)
        if len(members) != end["members"]:
            raise Corrupt("%s: member count differs from the final record"
                          % path)
        return members, end


def parse_summary(pt, path):
    """The summary frame plaintext (FORMAT.md 6.5, 192-byte fixed part)."""
    if len(pt) < 192 or pt[0] != 2 or not zero(pt[1:4]) \
            or not zero(pt[6:8]) or not zero(pt[92:96]):
        raise Corrupt("%s: damaged summary" % path)
    name_len = u16(pt, 4)
    if not 1 <= name_len <= 200 or len(pt) != 192 + name_len:
        raise Corrupt("%s: damaged summary" % path)
    s = {"created": i64(pt, 8), "length": u64(pt, 16),
         "chunk_count": u64(pt, 24), "new_chunks": u64(pt, 32),
         "new_raw_bytes": u64(pt, 40), "new_stored_bytes": u64(pt, 48),
         "stream_hash": pt[56:88], "features": u32(pt, 88),
         "catalogue_id": pt[96:112], "catalogue_hash": pt[112:144],
         "origin_store_id": pt[144:160], "origin_hash": pt[160:192],
         "name": pt[192:]}
    if s["features"] & ~3:
        raise NewerVersion("%s: unknown summary features (written by a "
                           "newer qsarc)" % path)
    if not s["features"] & 1 and not zero(pt[96:144]):
        raise Corrupt("%s: catalogue fields without the feature" % path)
    if not s["features"] & 2 and not zero(pt[144:192]):
        raise Corrupt("%s: origin fields without the feature" % path)
    return s


MEMBER_TYPES = ["other", "file", "dir", "symlink", "hardlink", "chardev",
                "blockdev", "fifo", "socket"]


def parse_member(pt, pos, path):
    """One catalogue member: 52 fixed bytes, then path, link, uname,
    gname."""
    if len(pt) - pos < 52:
        raise Corrupt("%s: malformed member" % path)
    (hdr_off, end_off, size, mtime, mode, uid, gid, mtype, mflags,
     path_len, link_len, uname_len, gname_len) = \
        struct.unpack_from("<QQQqIIIBBHHBB", pt, pos)
    need = 52 + path_len + link_len + uname_len + gname_len
    if (len(pt) - pos < need or end_off < hdr_off or mtype > 8
            or mflags & ~1):
        raise Corrupt("%s: malformed member" % path)
    p = pos + 52
    strings = []
    for n in (path_len, link_len, uname_len, gname_len):
        strings.append(pt[p:p + n])
        p += n
    return ({"offset": hdr_off, "end": end_off, "size": size,
             "mtime": mtime, "mode": mode, "uid": uid, "gid": gid,
             "type": MEMBER_TYPES[mtype], "sparse": bool(mflags & 1),
             "path": strings[0], "link": strings[1], "uname": strings[2],
             "gname": strings[3]}, pos + need)


def escape_name(b):
    """A member name as `qsarc ls` (and bsdtar -t) prints it: printable
    ASCII and valid printable UTF-8 as they are, a backslash doubled,
    \\a \\b \\t \\n \\v \\f \\r, anything else as a 3-digit octal escape."""
    out, i = [], 0
    letters = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r"}
    while i < len(b):
        c = b[i]
        n = utf8_printable(b, i) if c >= 0x80 else 0
        if n:
            out.append(b[i:i + n].decode("utf-8"))
            i += n
            continue
        if c == 0x5c:
            out.append("\\\\")
        elif 0x20 <= c < 0x7f:
            out.append(chr(c))
        elif c in letters:
            out.append("\\" + letters[c])
        else:
            out.append("\\%03o" % c)
        i += 1
    return "".join(out)


def utf8_printable(b, i):
    """Length of a well-formed UTF-8 sequence at b[i] encoding a code
    point >= U+00A0 (no C1 controls, surrogates or overlong forms)."""
    for n in (2, 3, 4):
        try:
            ch = b[i:i + n].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return n if len(ch) == 1 and ord(ch) >= 0xa0 else 0
    return 0


# ---------------------------------------------------------------- verify

def verify(st, problems):
    """Check every segment, container, record (decrypt, decompress,
    re-hash), index entry, manifest and catalogue.  Returns counts."""
    records = {}        # (container, offset) -> (length, chunk id)
    for seg in st.segments:
        seg.verify(problems)
    datadir = os.path.join(st.root, "data")
    containers = 0
    for sub in sorted(os.listdir(datadir)):
        if not re.fullmatch(r"[0-9a-f]{2}", sub):
            continue
        for name in sorted(os.listdir(os.path.join(datadir, sub))):
            m = re.fullmatch(r"([0-9a-f]{16})\.qsc", name)
            if not m or not name.startswith(sub):
                continue
            containers += 1
            path = os.path.join(datadir, sub, name)
            try:
                verify_container(st, path, int(m.group(1), 16), records)
            except QsError as e:
                problems.append(str(e))
    # Every entry that a lookup can return (the first for its id, newest
    # segment first) points at a record with its id.  Entries shadowed by
    # a newer segment are never used and may name deleted containers.
    seen = set()
    for seg in st.segments:
        for i in range(seg.count):
            cid, ctr, off, length = seg.entry(i)
            if cid in seen:
                continue
            seen.add(cid)
            if records.get((ctr, off)) != (length, cid):
                problems.append("%s: entry %d (chunk %s) does not point at "
                                "its record" % (seg.path, i, cid.hex()))
    streams = 0
    for expired in (False, True):
        for name in st.stream_names(expired):
            streams += 1
            try:
                s, refs = st.manifest(name, expired)
                for cid, raw_len in refs:
                    loc = st.lookup(cid)
                    if loc is None or records.get(loc[:2]) != (loc[2], cid):
                        raise Corrupt("stream %s: chunk %s is missing"
                                      % (name, cid.hex()))
                if s["features"] & 1:
                    st.catalogue(s)
            except QsError as e:
                problems.append("stream %s: %s" % (name, e))
    verify_streamset(st, problems)
    return containers, len(records), streams


def verify_streamset(st, problems):
    """FORMAT.md 14.4: the stream set against streams/ and expired/ and
    the generation record next to the backup keystore.  A store with
    neither file (written before them) has nothing to check."""
    path = os.path.join(st.root, "streamset")
    if st.cfg["encryption"] is not None:
        backup = st.cfg["encryption"].decode()
    else:
        backup = os.path.join(os.environ.get("QSARC_STATE_DIR") or
                              "/var/lib/qsarc", "keys",
                              st.store_id.hex() + ".qsk")
    rpath = backup + ".streams"
    rec = None
    if os.path.exists(rpath):
        r = open(rpath, "rb").read()
        if len(r) != 80 or r[:8] != b"QSSTGEN1" or u32(r, 8) != 1 \
                or r[16:32] != st.store_id:
            problems.append("%s: not a generation record of this store"
                            % rpath)
        else:
            rec = (struct.unpack_from("<Q", r, 32)[0], r[40:72])
    if not os.path.exists(path):
        if rec is not None:
            problems.append("%s: missing, but %s records generation %d"
                            % (path, rpath, rec[0]))
        return
    b = open(path, "rb").read()
    if len(b) < 80 or b[:8] != b"QSSTSET1":
        problems.append("%s: not a stream set" % path)
        return
    if u32(b, 8) != 1 or u32(b, 12) & ~1 or u32(b, 44):
        raise NewerVersion("%s: written by a newer qsarc" % path)
    keyed = u32(b, 12) & 1
    if keyed and st.enc_idkey is None:
        problems.append("%s: MACed in a plain store" % path)
        return
    if keyed:
        t = blake2b256(b[:-32], key=blake2b256(
            b"", key=st.enc_idkey, person=b"qsarc-stream-set"))
    elif st.enc_idkey is not None and st.cfg["plain_idkey"] is None:
        problems.append("%s: not MACed in an encrypted store" % path)
        return
    else:
        t = blake2b256(b[:-32])
    if not hmac.compare_digest(t, b[-32:]) or b[16:32] != st.store_id:
        problems.append("%s: trailer does not match (or another store's)"
                        % path)
        return
    gen, count = struct.unpack_from("<QI", b, 32)
    if rec is not None and (rec[0] > gen or
                            (rec[0] == gen and rec[1] != blake2b256(b))):
        problems.append("%s: generation %d is older than generation %d "
                        "recorded in %s" % (path, gen, rec[0], rpath))
    entries, pos = {}, 48
    for _ in range(count):
        nl, state, old_state, flags = b[pos:pos + 4]
        name = b[pos + 36:pos + 36 + nl].decode()
        entries[name] = (state, b[pos + 4:pos + 20], old_state,
                         b[pos + 20:pos + 36], flags & 1)
        pos += 36 + nl
    if pos != len(b) - 32:
        problems.append("%s: malformed" % path)
        return
    disk = {}
    for state, expired in ((1, False), (2, True)):
        for name in st.stream_names(expired):
            h = open(st.manifest_path(name, expired), "rb").read(64)
            disk[name] = (state, h[48:64] if h[8] >= 2 else b"\0" * 16)

    def accepts(e, side):
        st_, fid = side
        if e[0] == st_ and (st_ == 0 or e[1] == fid):
            return True
        return e[4] and e[2] == st_ and (st_ == 0 or e[3] == fid)
    for name in sorted(set(entries) | set(disk)):
        e = entries.get(name)
        side = disk.get(name, (0, b"\0" * 16))
        if e is None:
            problems.append("stream %s: not in the stream set" % name)
        elif not accepts(e, side):
            problems.append("stream %s: the stream set records it %s, the "
                            "disk shows %s" % (name, e[0], side[0]))


def verify_container(st, path, ctr, records):
    """FORMAT.md 4.1, 4.5: header, every record, trailer."""
    buf = read_file(path)
    if len(buf) < 64 + 64 or buf[:8] != b"QSARCCTR":
        raise Corrupt("%s: not a container" % path)
    if u16(buf, 8) not in (1, 2) or u16(buf, 10) != 0:
        raise NewerVersion("%s: written by a newer qsarc" % path)
    if (not zero(buf[12:16]) or not zero(buf[48:64]) or
            buf[16:32] != st.store_id or u64(buf, 32) != ctr or ctr == 0):
        raise Corrupt("%s: damaged header" % path)
    t = len(buf) - 64
    if (buf[t:t + 8] != b"QSARCEND" or not zero(buf[t + 12:t + 16])
            or u64(buf, t + 16) != t):
        raise Corrupt("%s: damaged or missing trailer" % path)
    off, n, raw, hh = 64, 0, 0, hashlib.blake2b(digest_size=32)
    found = []
    while off < t:
        if t - off < 80:
            raise Corrupt("%s: record at %d overruns the trailer"
                          % (path, off))
        length = 80 + u32(buf, off + 12)
        if off + length > t:
            raise Corrupt("%s: record at %d overruns the trailer"
                          % (path, off))
        cid, chunk = st.open_record(buf[off:off + length], ctr, off,
                                    "%s offset %d" % (path, off))
        hh.update(buf[off:off + 80])
        found.append(((ctr, off), (length, cid)))
        # Sealed records (version 2) count 0: their lengths are secret.
        if not buf[off + 5] & RECORD_FLAG_SEALED:
            raw += len(chunk)
        n += 1
        off += length
    if n == 0 or n != u32(buf, t + 8) or raw != u64(buf, t + 24) \
            or hh.digest() != buf[t + 32:t + 64]:
        raise Corrupt("%s: trailer does not match the records" % path)
    records.update(found)


# ---------------------------------------------------------------- main

def main(argv):
    ap = argparse.ArgumentParser(
        prog="qsarc_read.py", description="Read a qsarc store without qsarc.")
    ap.add_argument("store")
    ap.add_argument("command", choices=["ls", "get", "members", "verify"])
    ap.add_argument("name", nargs="?")
    ap.add_argument("--passphrase-file")
    ap.add_argument("--expired", action="store_true",
                    help="a stream removed with rm, not yet cleaned")
    a = ap.parse_args(argv)
    if (a.name is None) != (a.command in ("ls", "verify")):
        ap.error("get and members take a stream NAME; ls and verify do not")
    pw = None
    if a.passphrase_file:
        pw = read_file(a.passphrase_file, 257)
        if pw.endswith(b"\n"):
            pw = pw[:-1]
        if pw.endswith(b"\r"):
            pw = pw[:-1]
        if not 1 <= len(pw) <= 255:
            raise QsError("the passphrase must be 1 to 255 bytes")
    st = Store(a.store, pw)
    out = sys.stdout.buffer
    if a.command == "ls":
        for name in st.stream_names(a.expired):
            s, _ = st.manifest(name, a.expired)
            out.write(b"%s\t%d\t%d\t%d\n" % (
                name.encode(), s["length"], s["chunk_count"], s["created"]))
    elif a.command == "get":
        if os.isatty(1):
            raise QsError("refusing to write a stream to a terminal")
        _, refs = st.manifest(a.name, a.expired)
        for cid, raw_len in refs:
            out.write(st.read_chunk(cid, raw_len))
    elif a.command == "members":
        s, _ = st.manifest(a.name, a.expired)
        members, end = st.catalogue(s)
        for m in members:
            out.write(escape_name(m["path"]).encode("utf-8") + b"\n")
        if end["status"] == 2:
            sys.stderr.write("qsarc_read.py: the catalogue stops at byte "
                             "%d: %s\n" % (end["scan_end"],
                                           end["message"].decode(
                                               "utf-8", "replace")))
    else:
        problems = []
        containers, records, streams = verify(st, problems)
        for p in problems:
            print("DAMAGE: %s" % p)
        print("%d containers, %d records, %d streams, %d problems"
              % (containers, records, streams, len(problems)))
        return 6 if problems else 0
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except QsError as e:
        sys.stderr.write("qsarc_read.py: %s\n" % e)
        sys.exit(e.code)
    except BrokenPipeError:
        sys.exit(1)
