//! One file per rule. Each states what it flags, why it matters, and an
//! example, and has tests that fire it and that leave its legitimate
//! look-alike alone.

mod deceased_access;
mod self_access;
mod vip_access;

pub use deceased_access::DeceasedAccess;
pub use self_access::SelfAccess;
pub use vip_access::VipAccess;

#[cfg(test)]
pub(crate) mod fixture;
