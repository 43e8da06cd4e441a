//! The scope of the fences that guard the organisation tables of `officeflow-sync`.

/// The scope of the fences that guard the organisation tables: the key of the lock `officeflow-sync` runs under.
pub(crate) const FENCE_SCOPE: &str = "officeflow:sync";
