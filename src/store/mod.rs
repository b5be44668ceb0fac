//! Files on disk: atomic writes, digests, the content-addressed stage cache, and run folders.

mod atomic;
mod cache;
mod cache_check;
mod digest;
mod link;
mod memo;
mod rel_path;
mod stat_index;

pub use atomic::{write_atomic, write_atomic_with, write_durable};
pub use cache::{Cache, CacheEntry, EntryMeta, Staging};
pub use cache_check::{CacheCheck, DamagedEntry};
pub use digest::{FileDigest, canonical_digest, is_timing_file, sha256_hex, tree_digest};
pub use link::{LinkMode, Linker};
pub use memo::{MEMO_DIR, Memo};
pub use rel_path::{RelPath, RelPathError};
pub use stat_index::{CheckedReader, FileProblem, INDEX_FILE, StatIndex, StatTrust};
