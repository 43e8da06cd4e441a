//! Opens the organisation store of `officeflow-sync` on the same backend (and pool) as the journal.

use std::sync::Arc;

use crmsync_ports::OrgStore;

use crate::{Database, StorageUrlError, Stores};

/// The scope of the fences that guard the organisation tables: the key of the lock `officeflow-sync` runs under.
pub(crate) const FENCE_SCOPE: &str = "officeflow:sync";

/// The journal, sets and key-value store of `url` (see [`Stores::open`]) plus the organisation store on the
/// same connection pool.
pub async fn open_with_org(url: &str) -> Result<(Stores, Arc<dyn OrgStore>), StorageUrlError> {
    let database = Database::open(url).await?;
    Ok((Stores::of(&database), database.org()))
}
