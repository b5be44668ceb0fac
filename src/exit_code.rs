//! The process exit codes, documented in one place (README "Exit codes").

/// Everything asked for was done.
pub const OK: i32 = 0;
/// A stage instance failed (or a gate with `fail_on_reject` rejected its model).
pub const STAGE_FAILED: i32 = 1;
/// Invalid input: the manifest, a flag, an override or the data.
pub const INVALID_INPUT: i32 = 2;
/// An internal error: a bug, or the machine failed us (disk full, permissions).
pub const INTERNAL: i32 = 3;
/// Another `nethical run` of the same pipeline holds its lock.
pub const BUSY: i32 = 4;
/// The run was interrupted (Ctrl-C / SIGINT), as shells report it.
pub const INTERRUPTED: i32 = 130;
