//! `audit`: registered like every kind, but not computed as a stage. It appends to the
//! pipeline's log, a side effect no cache entry can hold, so the runner executes it on its own
//! thread at the end of the run (`exec::audit_step`).

use super::stage::{AuditEvent, AuditInput, AuditInputError, Stage};
use super::{StageContext, StageError};
use crate::manifest::params::AuditParams;
use crate::store::{EntryMeta, Staging};

/// The `audit` kind.
pub(crate) struct Audit;

impl Stage for Audit {
    type Params = AuditParams;

    fn run(&self, _ctx: &StageContext<'_>, _params: &AuditParams, _out: &mut Staging) -> Result<EntryMeta, StageError> {
        Err(StageError::AuditNotAStage)
    }

    /// An audit stage's own work is the seal: it logs no events about itself.
    fn audit_events(&self, _params: &AuditParams, _at: &AuditInput<'_>) -> Result<Vec<AuditEvent>, AuditInputError> {
        Ok(Vec::new())
    }
}
