//! HTML template emitter (owned by the HTML work).
