//! One file per rule. Each states what it flags, why it matters, and an
//! example, and has tests that fire it and that leave its legitimate
//! look-alike alone.

mod break_glass;
mod coworker;
mod deceased_access;
mod employment_window;
mod family;
mod former_patient;
mod neighbour;
mod off_list;
mod restricted_access;
mod self_access;
mod vip_access;

pub use break_glass::BreakGlass;
pub use coworker::Coworker;
pub use deceased_access::DeceasedAccess;
pub use employment_window::EmploymentWindow;
pub use family::Family;
pub use former_patient::FormerPatient;
pub use neighbour::Neighbour;
pub use off_list::OffList;
pub use restricted_access::RestrictedAccess;
pub use self_access::SelfAccess;
pub use vip_access::VipAccess;
