"""Photos keep no location: every photo the server accepts is checked to be an image of its
declared type by its own bytes, within size limits, and rewritten without its metadata.

Pure byte work, no decoding: JPEG segments, PNG chunks and WebP (RIFF) chunks are walked,
the image's dimensions read from its frame header (SOF, IHDR, VP8/VP8L/VP8X), and only the
parts that draw the picture (and its colour profile) are kept. EXIF (GPS position, camera,
time), XMP, IPTC, comments and text chunks are dropped; whatever follows the image's end is
dropped too. The pixels themselves are untouched, so nothing is lost in quality.
"""

from __future__ import annotations

import struct
import zlib

MAX_PIXELS = 50_000_000  # a 50-megapixel camera's full frame
MAX_SIDE = 20_000


class PhotoProblem(ValueError):
    """Why a photo is refused: `code` is stable for clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def clean_photo(data: bytes, content_type: str) -> bytes:
    """The photo without metadata; PhotoProblem when it is not an image of `content_type`,
    is damaged, or is larger than MAX_PIXELS / MAX_SIDE."""
    cleaner = _CLEANERS.get(content_type)
    if cleaner is None:
        raise PhotoProblem("unsupported_type", "Photos must be JPEG, PNG or WebP.")
    try:
        return cleaner(data)
    except PhotoProblem:
        raise
    except (IndexError, ValueError, struct.error):  # cut short, or a length that lies
        raise _damaged() from None


def _damaged() -> PhotoProblem:
    return PhotoProblem("not_an_image", "This file is not a photo of the type it was sent as.")


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise _damaged()
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise PhotoProblem(
            "too_many_pixels",
            f"A photo may be at most {MAX_SIDE} pixels a side and {MAX_PIXELS:,} pixels.",
        )


# -- JPEG --------------------------------------------------------------------------------------

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: no length
# Kept application segments: JFIF (APP0), the ICC colour profile (APP2) and Adobe's colour
# transform flags (APP14), each recognised by its identifier. Every other APPn (EXIF and XMP
# in APP1, IPTC in APP13, makers' own) and COM are dropped.
_KEEP_APP = {0xE0: (b"JFIF\0", b"JFXX\0"), 0xE2: (b"ICC_PROFILE\0",), 0xEE: (b"Adobe",)}


def _jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise _damaged()
    out = bytearray(b"\xff\xd8")
    at = 2
    frame = False
    scans = 0
    while True:
        if data[at] != 0xFF:
            raise _damaged()
        while data[at] == 0xFF:  # fill bytes before a marker
            at += 1
        marker = data[at]
        at += 1
        if marker == 0xD9:  # EOI: the image ends here, whatever follows is dropped
            if not frame or not scans:
                raise _damaged()
            out += b"\xff\xd9"
            return bytes(out)
        if marker in _STANDALONE:
            out += bytes((0xFF, marker))
            continue
        (length,) = struct.unpack(">H", data[at : at + 2])
        if length < 2 or at + length > len(data):
            raise _damaged()
        segment = data[at + 2 : at + length]
        end = at + length
        if marker in _SOF:
            if frame:
                raise _damaged()
            frame = True
            height, width = struct.unpack(">HH", segment[1:5])
            _check_size(width, height)
        if marker == 0xDA:  # SOS: the entropy-coded scan follows, up to the next marker
            if not frame:
                raise _damaged()
            scans += 1
            stop = _scan_end(data, end)
            out += data[at - 2 : stop]
            at = stop
            continue
        if _kept(marker, segment):
            out += data[at - 2 : end]
        at = end


def _kept(marker: int, segment: bytes) -> bool:
    if marker == 0xFE or 0xE0 <= marker <= 0xEF:
        return any(segment.startswith(ident) for ident in _KEEP_APP.get(marker, ()))
    return True  # tables, frame, restart interval …: the picture itself


def _scan_end(data: bytes, at: int) -> int:
    """Where a scan's entropy-coded data ends: the first marker that is neither a stuffed
    zero (FF00) nor a restart (FFD0-FFD7)."""
    while True:
        at = data.index(b"\xff", at)  # ValueError when the file is cut short
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            at += 1 if following == 0xFF else 2
            continue
        return at


# -- PNG ---------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What draws the picture, its transparency and its colours; every other chunk (eXIf, tEXt,
# zTXt, iTXt, tIME, animation and private chunks) is dropped.
_PNG_KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"iCCP",
    b"sBIT",
    b"bKGD",
    b"pHYs",
}


def _png(data: bytes) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise _damaged()
    out = bytearray(_PNG_SIGNATURE)
    at = len(_PNG_SIGNATURE)
    first = True
    pictures = 0
    while True:
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        end = at + 12 + length
        if end > len(data):
            raise _damaged()
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : end])
        if zlib.crc32(kind + body) != crc:
            raise _damaged()
        if first:
            if kind != b"IHDR" or length != 13:
                raise _damaged()
            width, height = struct.unpack(">II", body[:8])
            _check_size(width, height)
            first = False
        pictures += kind == b"IDAT"
        if kind in _PNG_KEEP:
            out += data[at:end]
        if kind == b"IEND":
            if not pictures:
                raise _damaged()
            return bytes(out)
        at = end


# -- WebP --------------------------------------------------------------------------------------

_VP8X_EXIF = 0x08
_VP8X_XMP = 0x04
_VP8X_ANIMATION = 0x02
_WEBP_KEEP = {b"VP8X", b"ICCP", b"ALPH", b"VP8 ", b"VP8L"}


def _webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _damaged()
    (riff_size,) = struct.unpack("<I", data[4:8])
    end_of_file = 8 + riff_size
    if end_of_file > len(data) or riff_size < 4:
        raise _damaged()
    chunks = bytearray()
    at = 12
    size: tuple[int, int] | None = None
    picture = False
    while at < end_of_file:
        kind = data[at : at + 4]
        (length,) = struct.unpack("<I", data[at + 4 : at + 8])
        body = data[at + 8 : at + 8 + length]
        end = at + 8 + length + (length & 1)
        if len(body) != length or end > end_of_file:
            raise _damaged()
        if kind == b"VP8X":
            if at != 12 or length < 10:
                raise _damaged()
            if body[0] & _VP8X_ANIMATION:
                raise PhotoProblem("not_an_image", "Animated images are not photos.")
            body = bytes((body[0] & ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF,)) + body[1:]
            width = 1 + int.from_bytes(body[4:7], "little")
            height = 1 + int.from_bytes(body[7:10], "little")
            size = (width, height)
        elif kind == b"VP8 ":
            picture = True
            if body[3:6] != b"\x9d\x01\x2a":
                raise _damaged()
            width, height = struct.unpack("<HH", body[6:10])
            size = size or (width & 0x3FFF, height & 0x3FFF)
        elif kind == b"VP8L":
            picture = True
            if body[0] != 0x2F:
                raise _damaged()
            (bits,) = struct.unpack("<I", body[1:5])
            size = size or (1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF))
        if kind in _WEBP_KEEP:
            chunks += kind + struct.pack("<I", length) + body + (b"\0" if length & 1 else b"")
        at = end
    if not picture or size is None:
        raise _damaged()
    _check_size(*size)
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + bytes(chunks)


_CLEANERS = {"image/jpeg": _jpeg, "image/png": _png, "image/webp": _webp}
