//! Which instance results the log already holds, so a run that recomputes part of a pipeline
//! seals only what it computed: each result it reused is named once, by one `stages_reused`
//! event, instead of being logged again.
//!
//! `audit/sealed/<xx>/<digest>.json` records, per signing key, instance id and cache key, the
//! run whose events sealed that result, the checkpoint they end at, and its models' content
//! digests. It is a hint, like `frontier.json`: a record is used only while `frontier.json`
//! vouches for the log and lists its checkpoint, and a reused model's own proof is checked
//! before its file is copied. One small file per record keeps a lookup O(1) however long the
//! log grows. `nethical audit verify` does not read it: it checks every `stages_reused` entry
//! against the named run's own events.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::model_proof::check_model_proof;
use super::{LogDir, ModelAudit};
use crate::store::{sha256_hex, write_atomic};

/// The index's folder under the audit folder.
pub const SEALED_DIR: &str = "sealed";

/// One instance result the log holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedInstance {
    /// 1.
    pub format_version: u32,
    /// The instance id.
    pub id: String,
    /// Its cache key.
    pub key: String,
    /// The run whose events seal it.
    pub run: String,
    /// Size of the checkpoint that run's append ended at.
    pub size: u64,
    /// Root of that checkpoint, hex.
    pub root: String,
    /// Run-folder path → content digest of each model the instance's events name.
    pub models: BTreeMap<String, String>,
    /// Its outputs as its `stage_end` event logs them (path → SHA-256): a result is reused
    /// only when it is byte for byte the one sealed.
    pub outputs: BTreeMap<String, String>,
}

/// The index of one audit folder.
#[derive(Clone, Debug)]
pub struct SealedIndex {
    dir: PathBuf,
}

impl SealedIndex {
    /// The index beside the log in `log`.
    pub fn new(log: &LogDir) -> Self {
        Self { dir: log.path().join(SEALED_DIR) }
    }

    /// Where the record of (`signer`, `id`, `key`) lives.
    fn path(&self, signer: &str, id: &str, key: &str) -> PathBuf {
        let digest = sha256_hex(format!("{signer}\n{id}\n{key}").as_bytes());
        self.dir.join(&digest[..2]).join(format!("{digest}.json"))
    }

    /// The record of instance `id` with cache key `key` sealed under `signer` (a key's public
    /// name, or `unsigned`), if one was written and reads back as that instance's.
    pub fn get(&self, signer: &str, id: &str, key: &str) -> Option<SealedInstance> {
        let bytes = std::fs::read(self.path(signer, id, key)).ok()?;
        let record: SealedInstance = serde_json::from_slice(&bytes).ok()?;
        (record.format_version == 1 && record.id == id && record.key == key).then_some(record)
    }

    /// Writes `record` (atomically: a crash leaves the old record or the new one).
    pub fn put(&self, signer: &str, record: &SealedInstance) -> std::io::Result<()> {
        let path = self.path(signer, &record.id, &record.key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut bytes = serde_json::to_vec_pretty(record).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        write_atomic(&path, &bytes)
    }
}

/// Whether `bytes`, a published `model.json`, is the model of content digest `content` with a
/// valid proof of its event in the tree of `size` leaves and root `root`. Checked before a
/// reused model is copied into a new run folder, so an edited earlier copy is never spread.
pub fn proves_model(bytes: &[u8], content: &str, size: u64, root: &str) -> bool {
    let same_tree = |audit: &ModelAudit, _: &crate::audit::Hash| {
        if audit.tree_size == size && audit.root == root { Ok(()) } else { Err("another tree".to_owned()) }
    };
    check_model_proof(bytes, content, same_tree).is_ok()
}
