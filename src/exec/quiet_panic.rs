//! Panics inside stage instances are caught and reported with the instance id; this keeps
//! Rust's default hook from also printing them, while panics anywhere else still print.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    static IN_STAGE: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

/// Runs `f` with panic printing suppressed on this thread.
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> R {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_STAGE.with(Cell::get) {
                previous(info);
            }
        }));
    });
    IN_STAGE.with(|c| c.set(true));
    let out = f();
    IN_STAGE.with(|c| c.set(false));
    out
}

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with no message".to_owned())
}
