//! Shard checkpoints kept in the lease table (`consume kinesis --cluster`)
//! instead of a local file: the `checkpoint` field of a shard's lease hash
//! (`leases.rs`), written only by the lease's current holder, as KCL's
//! checkpointer refuses a checkpoint once the lease was lost. A worker that
//! takes the lease over reads it in the same script that takes the lease,
//! so it resumes exactly after the last stored checkpoint: records past it
//! run again (at least once), none is skipped.
//!
//! The checkpoint is opaque here (JSON written by the Kinesis consumer:
//! the sequence number through which every record finished, and the ones
//! beyond it that finished too).

use redis::Script;

use super::error::ClusterError;
use super::leases::Leases;

/// Stores ARGV[2] as the checkpoint if ARGV[1] holds the lease; with
/// ARGV[3] = '1' the shard is marked ended (KCL's `SHARD_END`) and the
/// lease freed. 1 when stored, 0 when the lease is someone else's.
const STORE: &str = r"
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'checkpoint', ARGV[2])
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'ended', '1', 'owner', '', 'expires', 0, 'lag', 0)
end
return 1
";

/// What a checkpoint write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Written.
    Stored,
    /// Refused: another worker holds the lease now (stop reading the shard).
    LeaseLost,
}

impl Leases {
    /// Stores `checkpoint` (JSON) for `shard_id` if this node holds its
    /// lease; `ended` marks the shard read to its end and frees the lease,
    /// which lets its children be taken.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis does not answer.
    pub async fn checkpoint(
        &self,
        shard_id: &str,
        checkpoint: &str,
        ended: bool,
    ) -> Result<Stored, ClusterError> {
        let mut conn = self.node().conn();
        let stored: u8 = Script::new(STORE)
            .key(self.key(shard_id))
            .arg(self.node_id())
            .arg(checkpoint)
            .arg(if ended { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await?;
        Ok(if stored == 1 {
            Stored::Stored
        } else {
            Stored::LeaseLost
        })
    }

    /// The stored checkpoint of `shard_id` (`None`: none yet), whoever
    /// holds the lease.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis does not answer.
    pub async fn stored_checkpoint(&self, shard_id: &str) -> Result<Option<String>, ClusterError> {
        let mut conn = self.node().conn();
        Ok(redis::cmd("HGET")
            .arg(self.key(shard_id))
            .arg("checkpoint")
            .query_async(&mut conn)
            .await?)
    }
}
