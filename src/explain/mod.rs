//! Explain: decide, for every patient access, whether care explains it.
//!
//! Published work (Fabbri and LeFevre) explains over 90% of accesses by a
//! treatment relationship and reviews only the rest; every detector after
//! this stage sees each access's [`Explanation`].

mod care;

pub use care::{explain, Explanation, Explanations};
