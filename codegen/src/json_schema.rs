//! JSON Schema emitter (owned by the JSON Schema work).
