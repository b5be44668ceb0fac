//! Files on disk: atomic writes, digests, the content-addressed stage cache, and run folders.

mod atomic;
mod cache;
mod digest;
mod rel_path;

pub use atomic::{write_atomic, write_atomic_with, write_durable};
pub use cache::{Cache, CacheEntry, EntryMeta, Staging};
pub use digest::{FileDigest, is_timing_file, sha256_hex, tree_digest};
pub use rel_path::{RelPath, RelPathError};
