"""Values <-> JSON, driven by the model's type descriptors, for both wires:
`decode` reads what clients send, `encode` writes what they read."""

from vlcmsim.vapi.codec.decode import MAX_ITEMS, from_clean, from_typed, operation_input_from_typed
from vlcmsim.vapi.codec.encode import CLEAN, LEGACY, TYPED, EncodeError, Style, encode, encoder, error_to_typed
from vlcmsim.vapi.codec.values import Frozen, Opaque, aware, format_datetime, now, parse_datetime

__all__ = [
    "CLEAN",
    "LEGACY",
    "MAX_ITEMS",
    "TYPED",
    "EncodeError",
    "Frozen",
    "Opaque",
    "Style",
    "aware",
    "encode",
    "encoder",
    "error_to_typed",
    "format_datetime",
    "from_clean",
    "from_typed",
    "now",
    "operation_input_from_typed",
    "parse_datetime",
]
