//! Behaviour rules: findings from each user's activity over time and
//! against their peers, rather than from one record's relationship to the
//! user. One file per rule, each with a test that fires it and one for
//! its legitimate look-alike.

mod bulk_extraction;
mod compromised_account;
mod peer_outlier;
mod slow_exfiltration;
mod unexplained_browsing;

pub use bulk_extraction::BulkExtraction;
pub use compromised_account::CompromisedAccount;
pub use peer_outlier::PeerOutlier;
pub use slow_exfiltration::SlowExfiltration;
pub use unexplained_browsing::UnexplainedBrowsing;
