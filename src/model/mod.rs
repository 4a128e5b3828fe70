//! The pipeline's internal data model: dictionary-coded, columnar, and free of
//! I/O. Ingest builds these types; every later stage only reads them.

mod care_team;
mod contacts;
mod contract;
mod dictionary;
mod encounters;
mod events;
mod network;
mod partition;
mod patients;
mod roster;

pub use care_team::{CareAssignment, CareTeams};
pub use contacts::{Contact, Contacts};
pub use contract::{ACCESS_LOG_COLUMNS, ACCESS_LOG_REQUIRED};
pub use dictionary::{Code, Dictionaries, Dictionary, FxHashMap, FxHashSet, FxHasher, NONE};
pub use encounters::{Encounter, Encounters};
pub(crate) use events::each_column;
pub use events::{alias_key, Action, DataCategory, Events, Recode, SortedParts};
pub use network::{network_codes, network_of};
pub use partition::{Evidence, Partition};
pub use patients::{PatientRecord, Patients};
pub use roster::{Roster, Text, UserRecord};
