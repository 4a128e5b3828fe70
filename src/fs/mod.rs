//! The file system as ehrwatch uses it, at the bottom of the crate (it
//! imports nothing else from it): owner-only files and folders
//! (`owner_only.rs`: 0600 files, 0700 folders, opens that do not follow a
//! symbolic link, replacement by rename), the output folder's staging
//! (`staging.rs`), the working folders a killed run left (`leftovers.rs`)
//! and the one-run-per-folder lock (`lock.rs`).
//!
//! Every file a run creates goes through here: the outputs (`output`), the
//! imported access log (`import`), the spill and stash of a partitioned
//! run (`ingest`, `pipeline`) and the incremental state (`state`). So
//! whatever holds patient data is owner-only, and a file is never half
//! written where a reader looks for it.

mod error;
mod leftovers;
mod lock;
mod owner_only;
mod staging;

pub use error::FsError;
pub use leftovers::{process_alive, sweep_leftovers, SPILL_PREFIX, STAGING_PREFIX};
pub use lock::{FolderLock, OUTPUT_LOCK, O_NOFOLLOW};
pub use owner_only::{create_private, create_private_dir, create_unlinked, open_no_follow, write_replacing};
pub use staging::{write_all, Staging};
