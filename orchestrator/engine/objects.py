"""The object store a Distributed Map's ItemReader reads and its ResultWriter writes.

Step Functions reads, lists and writes Amazon S3 (s3:getObject, s3:listObjectsV2, s3:putObject).
The engine imports no S3 client: the caller of `execute` passes an `ObjectStore` (the local run
layer a folder, a test a dict), so the interpreter stays in-process and dependency-free.
"""

from __future__ import annotations

from typing import Protocol


class ObjectStore(Protocol):
    """Objects as UTF-8 text, addressed like S3 by bucket and key."""

    def get_object(self, bucket: str, key: str) -> str:
        """The object's text; any exception when it cannot be read (missing, denied, ...)."""
        ...

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        """The keys in `bucket` that start with `prefix`, in any order (the ItemReader puts them
        in S3's); any exception when the bucket cannot be listed."""
        ...

    def put_object(self, bucket: str, key: str, body: str) -> None:
        """Create or replace the object; any exception when it cannot be written."""
        ...
