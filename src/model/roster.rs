//! The HR roster (the `users` table), indexed by user code.

use chrono::NaiveDate;

use super::dictionary::Code;

/// A text cell of the roster, 16 bytes: up to 14 bytes held inline,
/// longer text on the heap. A roster of millions of users kept five small
/// strings each, 24 bytes and an allocation apiece with the allocator's
/// overhead; names, titles and zip codes fit inline. Reads as a `str`.
#[derive(Clone, PartialEq, Eq)]
pub struct Text(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    /// The first `len` bytes of `bytes` (the rest are zero).
    Inline { len: u8, bytes: [u8; Text::INLINE] },
    /// Boxed twice: one pointer, so that the whole fits in 16 bytes.
    Heap(Box<Box<str>>),
}

impl Text {
    /// Bytes held inline.
    const INLINE: usize = 14;
}

impl From<&str> for Text {
    fn from(value: &str) -> Text {
        let b = value.as_bytes();
        if b.len() <= Text::INLINE {
            let mut bytes = [0u8; Text::INLINE];
            bytes[..b.len()].copy_from_slice(b);
            Text(Repr::Inline { len: b.len() as u8, bytes })
        } else {
            Text(Repr::Heap(Box::new(value.into())))
        }
    }
}

impl From<String> for Text {
    fn from(value: String) -> Text {
        Text::from(value.as_str())
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match &self.0 {
            // Copied whole from a `str`: always UTF-8.
            Repr::Inline { len, bytes } => std::str::from_utf8(&bytes[..*len as usize]).unwrap_or(""),
            Repr::Heap(s) => s,
        }
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// One employee or account from the roster.
#[derive(Debug, Clone, Default)]
pub struct UserRecord {
    /// Given name.
    pub first_name: Option<Text>,
    /// Family name.
    pub last_name: Option<Text>,
    /// Role, lowercased (`physician`, `nurse`, ...).
    pub role: Option<Text>,
    /// Home department code.
    pub department: Option<Code>,
    /// Home street address.
    pub address: Option<Text>,
    /// Home zip code.
    pub zip: Option<Text>,
    /// Home latitude.
    pub lat: Option<f64>,
    /// Home longitude.
    pub lon: Option<f64>,
    /// First day of employment.
    pub hire_date: Option<NaiveDate>,
    /// Last day of employment.
    pub termination_date: Option<NaiveDate>,
    /// The employee's own patient record, if any.
    pub patient: Option<Code>,
}

/// The roster, by user code. Users seen only in access_log have no record.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    records: Vec<Option<UserRecord>>,
    /// Columns present in the input (lowercase contract names).
    pub columns: Vec<&'static str>,
}

impl Roster {
    /// An empty table whose input had `columns`.
    pub fn with_columns(columns: Vec<&'static str>) -> Self {
        Self { records: Vec::new(), columns }
    }

    /// Stores a record for `user`.
    pub fn insert(&mut self, user: Code, record: UserRecord) {
        let i = user as usize;
        if self.records.len() <= i {
            self.records.resize(i + 1, None);
        }
        self.records[i] = Some(record);
    }

    /// The record of `user`, if the roster has one.
    pub fn get(&self, user: Code) -> Option<&UserRecord> {
        self.records.get(user as usize).and_then(|r| r.as_ref())
    }

    /// Whether `user` has a record.
    pub fn contains(&self, user: Code) -> bool {
        self.get(user).is_some()
    }

    /// Whether the input had this column.
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.contains(&name)
    }

    /// Iterates over (user code, record).
    pub fn iter(&self) -> impl Iterator<Item = (Code, &UserRecord)> {
        self.records.iter().enumerate().filter_map(|(i, r)| r.as_ref().map(|r| (i as Code, r)))
    }

    /// Number of users with a record.
    pub fn len(&self) -> usize {
        self.records.iter().filter(|r| r.is_some()).count()
    }

    /// Whether the roster is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_back_what_it_was_given_inline_or_not() {
        for value in
            ["", "nurse", "1234 Oak Ave", "Zoë Ñúñez-García", "exactly 14 b.", "a longer street address, Apt 4B"]
        {
            let t = Text::from(value);
            assert_eq!(&*t, value);
            assert_eq!(t, Text::from(value.to_string()));
            assert_eq!(format!("{t}"), value);
        }
        assert_ne!(Text::from("ab"), Text::from("abc"));
        assert!(matches!(Text::from("fourteen bytes").0, Repr::Inline { .. }));
        assert!(matches!(Text::from("fifteen bytes!!").0, Repr::Heap(_)));
        assert_eq!(std::mem::size_of::<Option<Text>>(), 16);
    }
}
