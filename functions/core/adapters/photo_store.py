"""Photos in S3: presigned POST uploads, reading staged uploads, writing the cleaned photos
of cases and short-lived read URLs."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..ports import StoredPhoto


class S3PhotoStore:
    def __init__(self, client: Any, bucket: str, public_client: Any | None = None) -> None:
        self._s3 = client
        # Presigned URLs are signed for the address the browser uses (the same in AWS).
        self._public = public_client or client
        self._bucket = bucket

    def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        post: dict[str, Any] = self._public.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                ["eq", "$Content-Type", content_type],
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in,
        )
        return post

    def stat(self, key: str) -> StoredPhoto | None:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredPhoto(
            size=int(head["ContentLength"]), content_type=head.get("ContentType", "")
        )

    def read(self, key: str) -> bytes:
        data: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return data

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            self._s3.delete_objects(
                Bucket=self._bucket,
                Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True},
            )

    def url(self, key: str, expires_in: int) -> str:
        url: str = self._public.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url
