//! openraft's storage conformance suite, run against our sqlite log store and state machine.

use std::sync::Arc;

use openraft::testing::{StoreBuilder, Suite};

use super::{open_database, Durability, LogStore, StateMachineStore, StorageError, TypeConfig};
use crate::applied::AppliedState;

struct SqliteStoreBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachineStore, tempfile::TempDir> for SqliteStoreBuilder {
    async fn build(&self) -> Result<(tempfile::TempDir, LogStore, StateMachineStore), StorageError> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let pool = open_database(dir.path()).await.expect("open the sqlite database");
        // The suite applies entries it never appended: its state machine sees a log durable to the
        // end. The gate itself is tested in `durability.rs` and by the drills.
        let all_durable = Durability::default();
        all_durable.written_up_to(u64::MAX);
        let state_machine =
            StateMachineStore::open(pool.clone(), Arc::new(AppliedState::new(1000)), all_durable).await?;
        Ok((dir, LogStore::new(pool, 0, Durability::default()), state_machine))
    }
}

#[test]
fn sqlite_storage_passes_the_openraft_suite() {
    Suite::test_all(SqliteStoreBuilder).expect("the openraft storage suite passes");
}
