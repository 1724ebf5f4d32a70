//! openraft's storage conformance suite, run against our sqlite log store and state machine.

use std::sync::Arc;

use openraft::testing::{StoreBuilder, Suite};

use super::{open_database, LogStore, StateMachineStore, StorageError, TypeConfig};
use crate::applied::AppliedState;

struct SqliteStoreBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachineStore, tempfile::TempDir> for SqliteStoreBuilder {
    async fn build(&self) -> Result<(tempfile::TempDir, LogStore, StateMachineStore), StorageError> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let pool = open_database(dir.path()).await.expect("open the sqlite database");
        let state_machine = StateMachineStore::open(pool.clone(), Arc::new(AppliedState::new(1000))).await?;
        Ok((dir, LogStore::new(pool), state_machine))
    }
}

#[test]
fn sqlite_storage_passes_the_openraft_suite() {
    Suite::test_all(SqliteStoreBuilder).expect("the openraft storage suite passes");
}
