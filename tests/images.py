"""Real photos made by Pillow, carrying a GPS position in their EXIF, as a phone's camera
leaves them; and a way to tell whether stored bytes still carry any metadata."""

from __future__ import annotations

import io

from PIL import Image
from PIL.ExifTags import GPS, IFD

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# 31°41'20"N 118°30'0"E: Ma'anshan, where a resident's phone would put it.
LATITUDE = (31.0, 41.0, 20.0)


def camera_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:11:27 09:30:00"  # DateTime
    exif[IFD.GPSInfo] = {
        GPS.GPSLatitudeRef: "N",
        GPS.GPSLatitude: LATITUDE,
        GPS.GPSLongitudeRef: "E",
        GPS.GPSLongitude: (118.0, 30.0, 0.0),
    }
    return exif.tobytes()


def photo(
    content_type: str = "image/jpeg", size: tuple[int, int] = (64, 48), gps: bool = True
) -> bytes:
    """A small photo of `content_type`; with `gps`, the camera's EXIF (GPS included) and a
    comment or text chunk where the format has one, without it none of them."""
    image = Image.new("RGB", size, (180, 40, 40))
    out = io.BytesIO()
    extra: dict[str, object] = {"exif": camera_exif()} if gps else {}
    if gps and content_type == "image/jpeg":
        extra["comment"] = b"taken at home"
    if gps and content_type == "image/png":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Location", "31.689,118.5")
        extra["pnginfo"] = info
    image.save(out, FORMATS[content_type], **extra)
    return out.getvalue()


def metadata_of(data: bytes) -> dict[str, object]:
    """What Pillow finds beside the pixels: EXIF tags (GPS among them) and text."""
    image = Image.open(io.BytesIO(data))
    image.load()
    exif = image.getexif()
    found: dict[str, object] = {}
    if len(exif):
        found["exif"] = dict(exif)
    if exif.get_ifd(IFD.GPSInfo):
        found["gps"] = exif.get_ifd(IFD.GPSInfo)
    for key in ("exif", "comment", "xmp", "Location"):
        if key in image.info:
            found[f"info:{key}"] = image.info[key]
    return found


def pixels(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data))
    return image.convert("RGB").tobytes()
