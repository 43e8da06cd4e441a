//! Fenced writes: a store's write transaction first raises the newest fence of its scope in `write_fences`,
//! and is refused when a newer fence has written already.
//!
//! The statement is the same on every backend. On PostgreSQL the row lock it takes serialises the writers of
//! one scope until they commit, so an older fence waiting behind a newer one sees the newer value and is refused.

use crmsync_ports::StoreError;

use super::{Dialect, Stmt};

/// Raises the fence of `$1` to `$2`; changes no row when a higher fence is recorded.
const RAISE: &str = "INSERT INTO write_fences (scope, fence) VALUES ($1, $2) \
     ON CONFLICT (scope) DO UPDATE SET fence = excluded.fence WHERE write_fences.fence <= excluded.fence";

/// The newest fence of `$1`.
const NEWEST: &str = "SELECT fence FROM write_fences WHERE scope = $1";

/// A fence guarding one scope of writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The lock key guarding the writes (`officeflow:sync`).
    pub scope: &'static str,
    /// The fencing number of the lease the writer holds.
    pub fence: u64,
}

impl Fence {
    /// Records this fence inside the write transaction on `conn`, or refuses the write with
    /// [`StoreError::Fenced`] when a newer fence has written.
    pub(crate) async fn check<DB: Dialect>(
        &self,
        conn: &mut DB::Connection,
    ) -> Result<(), StoreError> {
        let fence =
            i64::try_from(self.fence).map_err(|_| crate::error::too_large("fence", self.fence))?;
        let raised = Stmt::<DB>::new(RAISE)
            .bind(self.scope.to_owned())
            .bind(fence)
            .execute(conn)
            .await?;
        if raised == 1 {
            return Ok(());
        }
        let newest: Option<(i64,)> = Stmt::<DB>::new(NEWEST)
            .bind(self.scope.to_owned())
            .fetch_optional(conn)
            .await?;
        Err(StoreError::Fenced {
            scope: self.scope.to_owned(),
            fence: self.fence,
            newest: newest.map_or(0, |(n,)| n.unsigned_abs()),
        })
    }
}
