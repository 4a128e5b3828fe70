//! The access_log table: one row per access of one patient's record.

use super::aliases::RowRules;
use super::columns::{optional, ColumnSpec};
use super::fields::{boolean, required_text, timestamp, FieldError};
use super::report::IngestReport;
use super::source::{text_cell, Cell, Kind, Row};
use crate::model::{Action, DataCategory, Dictionaries, Events, ACCESS_LOG_COLUMNS, ACCESS_LOG_REQUIRED, NONE};
use crate::time::ZoneCache;
use polars::prelude::{DataFrame, PolarsResult, StringChunked};

/// Columns read from access_log: the contract's columns up to
/// `break_glass`, in contract order (the row parser indexes them by
/// position). `reason` and `event_id` are accepted in the input but not read
/// yet: no rule uses them.
pub const SPECS: [ColumnSpec; 9] = {
    let mut specs = [optional(""); 9];
    let mut i = 0;
    while i < specs.len() {
        specs[i] = ColumnSpec { name: ACCESS_LOG_COLUMNS[i], required: i < ACCESS_LOG_REQUIRED };
        i += 1;
    }
    specs
};

fn code_of(dict: &mut crate::model::Dictionary, cell: Option<Cell<'_>>) -> u32 {
    match cell {
        Some(Cell::Str(s)) => dict.intern(s),
        Some(other) => dict.intern(&other.to_text()),
        None => NONE,
    }
}

/// The workstation, IP address and department of each user's last row in
/// one file and the user's last patients, as codes: a session repeats the first three row
/// after row, and a user's next row is the same patient's more often than
/// not (59% of rows in the simulated hospital: notes, then results, then
/// orders of one chart), so most rows compare short strings with the last
/// ones instead of hashing them.
///
/// Next to each code, the [`ViewKey`] its value was read under, when the
/// reader had one: comparing two keys is one 16-byte comparison, where
/// comparing the strings looks the last value up in the dictionary first.
#[derive(Debug, Default)]
pub struct Sessions {
    last: Vec<LastPlaces>,
    /// Each user's last four patients, most recent first: a user goes back and forth between a
    /// few charts, so four catch 89% of rows where the last one catches 65%.
    patients: Vec<[(crate::model::Code, ViewKey); 4]>,
    /// The last timestamp's hour, for the next row's.
    hour: HourCache,
    /// User codes by key: a user id is looked up on every row.
    users: SlotCache<USER_SLOTS>,
    /// Patient codes by key, for a patient none of the user's last four.
    patients_seen: SlotCache<PATIENT_SLOTS>,
    /// Workstation, IP address and department codes by key, for a value
    /// other than the user's last: a user moves between workstations
    /// (a fifth of rows in the simulated hospital), among the few hundred
    /// a day's log holds.
    places: [SlotCache<PLACE_SLOTS>; 3],
}

/// Slots of [`Sessions`]' user cache (a few thousand users share it well).
const USER_SLOTS: usize = 1 << 12;
/// Slots of the patient cache (a day's log holds thousands of patients).
const PATIENT_SLOTS: usize = 1 << 14;
/// Slots of each workstation, IP address and department cache.
const PLACE_SLOTS: usize = 1 << 12;

/// Codes by [`ViewKey`], direct-mapped (`N` slots, a power of two,
/// allocated on first use): one slot compared is cheaper than hashing the
/// id into the dictionary. A key names one raw value, so a slot holding
/// the key holds the code interning that value gives; a value without a
/// key is interned.
#[derive(Debug, Default)]
struct SlotCache<const N: usize> {
    slots: Vec<(ViewKey, crate::model::Code)>,
}

impl<const N: usize> SlotCache<N> {
    fn slot(key: ViewKey) -> usize {
        let h = ((key as u64) ^ ((key >> 64) as u64)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> (64 - N.trailing_zeros())) as usize
    }

    /// The code of `s`, read under `key`: from the cache when the key's
    /// slot holds it, else interned (and cached).
    #[inline]
    fn code(&mut self, dict: &mut crate::model::Dictionary, s: &str, key: ViewKey) -> crate::model::Code {
        if key == NO_KEY {
            return dict.intern(s);
        }
        if self.slots.is_empty() {
            self.slots = vec![(NO_KEY, NONE); N];
        }
        let slot = &mut self.slots[Self::slot(key)];
        if slot.0 == key {
            return slot.1;
        }
        let code = dict.intern(s);
        *slot = (key, code);
        code
    }
}

/// Each user's last workstation, IP address and department (code and key).
type LastPlaces = [(crate::model::Code, ViewKey); 3];

/// User `user`'s last places in `last`, grown to hold them.
fn last_of(last: &mut Vec<LastPlaces>, user: crate::model::Code) -> &mut LastPlaces {
    let u = user as usize;
    if u >= last.len() {
        last.resize(u + 1, [(NONE, NO_KEY); 3]);
    }
    &mut last[u]
}

impl Sessions {
    /// The code of user id `s`, read under `key`: from the cache when the
    /// key's slot holds it, else interned (and cached).
    fn user(&mut self, dict: &mut crate::model::Dictionary, s: &str, key: ViewKey) -> crate::model::Code {
        self.users.code(dict, s, key)
    }

    #[cfg(test)]
    fn of(&mut self, user: crate::model::Code) -> &mut LastPlaces {
        last_of(&mut self.last, user)
    }

    /// The code of the patient in `cell` (keyed `key`) for `user`: from
    /// the user's four most recent patients when the key is one of theirs,
    /// else as [`session_code`] gives it.
    fn patient(
        &mut self,
        dict: &mut crate::model::Dictionary,
        user: crate::model::Code,
        cell: Option<Cell<'_>>,
        key: ViewKey,
    ) -> crate::model::Code {
        let u = user as usize;
        if u >= self.patients.len() {
            self.patients.resize(u + 1, [(NONE, NO_KEY); 4]);
        }
        let recent = &mut self.patients[u];
        match cell {
            Some(Cell::Str(s)) if key != NO_KEY => {
                let hit = recent.iter().position(|e| e.1 == key && e.0 != NONE);
                let entry = match hit {
                    Some(j) => recent[j],
                    None => (self.patients_seen.code(dict, s, key), key),
                };
                // Move to the front (a miss drops the oldest).
                let j = hit.unwrap_or(recent.len() - 1);
                recent.copy_within(0..j, 1);
                recent[0] = entry;
                entry.0
            }
            other => session_code(dict, other, &mut recent[0], key, &mut self.patients_seen),
        }
    }
}

/// A cell's raw value as Arrow's string view holds it when the value is at
/// most 12 bytes (its length and bytes, zero-padded: equal keys mean equal
/// raw values, so equal cells); [`NO_KEY`] for longer values, absent ones
/// and readers without views (CSV).
pub type ViewKey = u128;

/// No [`ViewKey`]: the value is compared as a string.
pub const NO_KEY: ViewKey = 0;

/// The date and hour (`YYYY-MM-DD HH`, the first 13 bytes) of the last
/// local timestamp read as text without fraction or offset, and that
/// hour's start: a log in time order repeats it for thousands of rows, and
/// such a timestamp is that start plus its minutes and seconds.
#[derive(Debug, Default)]
struct HourCache {
    prefix: Option<[u8; 13]>,
    start: i64,
}

impl HourCache {
    /// [`timestamp`] of `cell`, reading minutes and seconds alone when the
    /// cell is a 19-byte local time in the cached hour.
    fn timestamp(&mut self, cell: Option<Cell<'_>>, zone: &mut ZoneCache) -> Result<Option<i64>, FieldError> {
        let Some(Cell::Str(s)) = cell else { return timestamp(cell, "timestamp", zone) };
        let b = s.as_bytes();
        if b.len() != 19 {
            return timestamp(cell, "timestamp", zone);
        }
        let two = |x: u8, y: u8| {
            (x.is_ascii_digit() && y.is_ascii_digit()).then(|| i64::from(x - b'0') * 10 + i64::from(y - b'0'))
        };
        if self.prefix.is_some_and(|p| p[..] == b[..13]) && b[13] == b':' && b[16] == b':' {
            if let (Some(mi), Some(sec)) = (two(b[14], b[15]), two(b[17], b[18])) {
                let wall = self.start + (mi * 60 + sec) * crate::time::MICROS_PER_SEC;
                if mi <= 59 && sec <= 59 && crate::time::is_supported_micros(wall) {
                    let utc = zone.to_utc(wall);
                    if crate::time::is_supported_micros(utc) {
                        return Ok(Some(utc));
                    }
                }
            }
        }
        let read = timestamp(cell, "timestamp", zone);
        if read.is_ok() {
            if let Ok(crate::time::Timestamp::Local(wall)) = crate::time::parse_timestamp(s) {
                let mut prefix = [0u8; 13];
                prefix.copy_from_slice(&b[..13]);
                self.prefix = Some(prefix);
                self.start = wall - wall.rem_euclid(crate::time::MICROS_PER_HOUR);
            }
        }
        read
    }
}

/// The [`ViewKey`] of a value read as text (CSV): its bytes laid out as
/// Arrow lays out a short string's view, so equal keys mean equal values;
/// [`NO_KEY`] for values over 12 bytes.
pub fn key_of(s: &str) -> ViewKey {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 12 {
        return NO_KEY;
    }
    let mut buf = [0u8; 16];
    buf[..4].copy_from_slice(&(b.len() as u32).to_le_bytes());
    buf[4..4 + b.len()].copy_from_slice(b);
    u128::from_le_bytes(buf)
}

/// The [`ViewKey`] of a text cell; [`NO_KEY`] for others.
fn cell_key(cell: Option<Cell<'_>>) -> ViewKey {
    match cell {
        Some(Cell::Str(s)) => key_of(s),
        _ => NO_KEY,
    }
}

/// [`code_of`], first trying the code `last` names: by key when the cell
/// has one equal to the last one's, else by comparing the strings; then
/// the code `cache` holds for the key.
fn session_code<const N: usize>(
    dict: &mut crate::model::Dictionary,
    cell: Option<Cell<'_>>,
    last: &mut (crate::model::Code, ViewKey),
    key: ViewKey,
    cache: &mut SlotCache<N>,
) -> u32 {
    match cell {
        Some(Cell::Str(_)) if key != NO_KEY && last.1 == key && last.0 != NONE => last.0,
        // Both keyed and different: other raw values, so (whitespace
        // aside, which interning settles) another id; no string compare.
        Some(Cell::Str(s)) if key != NO_KEY && last.1 != NO_KEY => {
            *last = (cache.code(dict, s, key), key);
            last.0
        }
        Some(Cell::Str(s)) if last.0 != NONE && dict.name(last.0) == s => {
            last.1 = key;
            last.0
        }
        Some(Cell::Str(s)) => {
            *last = (cache.code(dict, s, key), key);
            last.0
        }
        other => code_of(dict, other),
    }
}

/// Parses one row of file `file_index` into `events`, its ids interned
/// into `dict` (workstation, IP address and department first compared with
/// the user's last row in `sessions`), an unknown action or category
/// counted in `report`, the instant checked and other spellings read by
/// `rules`.
/// Validates every cell before pushing any column, so a rejected row
/// leaves no trace but its rejection (the returned [`FieldError`]).
#[allow(clippy::too_many_arguments)]
pub fn accept(
    row: &Row<'_>,
    file_index: u32,
    dict: &mut Dictionaries,
    events: &mut Events,
    report: &mut IngestReport,
    zone: &mut ZoneCache,
    sessions: &mut Sessions,
    rules: &RowRules,
) -> Result<(), FieldError> {
    let mut to = Target { file_index, dict, events, report, zone, sessions, rules };
    let c = row.cells;
    let keys = [cell_key(c[1]), cell_key(c[2]), cell_key(c[5]), cell_key(c[6]), cell_key(c[7])];
    accept_cells(c, row.line, &keys, &mut to)
}

/// Where accepted rows go, and what reading them needs.
pub struct Target<'a> {
    /// The part's file index ([`Events::source_file`]).
    pub file_index: u32,
    /// The part's dictionaries.
    pub dict: &'a mut Dictionaries,
    /// The part's events.
    pub events: &'a mut Events,
    /// Unknown actions and categories are counted here.
    pub report: &'a mut IngestReport,
    /// Reads naive timestamps.
    pub zone: &'a mut ZoneCache,
    /// Each user's last ids.
    pub sessions: &'a mut Sessions,
    /// Which instants are believed.
    pub rules: &'a RowRules,
}

/// [`accept`] of a row given as its cells (in [`SPECS`] order) and line,
/// with the [`ViewKey`]s of its user, patient, workstation, IP address and
/// department cells ([`NO_KEY`] where there is none).
fn accept_cells(c: &[Option<Cell<'_>>], line: u64, keys: &[ViewKey; 5], to: &mut Target<'_>) -> Result<(), FieldError> {
    let Target { file_index, dict, events, report, zone, sessions, rules } = to;
    let file_index = *file_index;
    let ts = sessions.hour.timestamp(c[0], zone)?.ok_or_else(|| FieldError::missing("timestamp"))?;
    let ts = rules.plausible.check(ts)?;
    let user = required_text(c[1], "user_id")?;
    let action_text = required_text(c[3], "action")?;
    let action = Action::parse(&action_text).or_else(|| {
        let a = rules.aliases.action(&action_text)?;
        report.count_alias("action", &action_text, a.as_str());
        Some(a)
    });
    let has_patient = c[2].is_some();
    if let Some(a) = action {
        if a.needs_patient() && !has_patient {
            return Err(FieldError::new(
                "patient_id",
                format!("missing patient_id; a {} needs the patient whose record was touched", a.as_str()),
            ));
        }
    }
    let category = |s: &str, report: &mut IngestReport| {
        DataCategory::parse(s).unwrap_or_else(|| match rules.aliases.category(s) {
            Some(c) => {
                report.count_alias("data_category", s, c.as_str());
                c
            }
            None => {
                IngestReport::count_unknown(&mut report.other_categories, s);
                DataCategory::Other
            }
        })
    };
    let category = match c[4] {
        None => DataCategory::Unspecified,
        Some(Cell::Str(s)) => category(s, report),
        Some(cell) => category(&cell.to_text(), report),
    };
    let break_glass = boolean(c[8], "break_glass")?.unwrap_or(false);
    let action = action.unwrap_or_else(|| {
        IngestReport::count_unknown(&mut report.other_actions, &action_text);
        Action::Other
    });

    let user = sessions.user(&mut dict.users, &user, keys[0]);
    events.user.push(user);
    events.patient.push(sessions.patient(&mut dict.patients, user, c[2], keys[1]));
    let last = last_of(&mut sessions.last, user);
    let [workstations, ips, departments] = &mut sessions.places;
    events.ts.push(ts);
    events.action.push(action);
    events.category.push(category);
    events.workstation.push(session_code(&mut dict.workstations, c[5], &mut last[0], keys[2], workstations));
    events.ip.push(session_code(&mut dict.ips, c[6], &mut last[1], keys[3], ips));
    events.department.push(session_code(&mut dict.departments, c[7], &mut last[2], keys[4], departments));
    events.break_glass.push(break_glass);
    events.source_file.push(file_index);
    events.source_line.push(line);
    Ok(())
}

/// Accepts a collected Parquet batch of the access log (columns named by
/// [`SPECS`], as `kinds` say, `names` the present ones, rows numbered
/// from `offset + 1`) column by column: the same checks and codes as
/// [`accept`] row by row, without a boxed iterator per cell, and with each
/// short id's [`ViewKey`] compared before its string. A rejected row goes
/// to `on_reject` as the [`Row`] the row-by-row reader would have made.
/// Returns the rows read, or `None` when a column is of a type only the
/// row-by-row reader takes (an integer id, a datetime), without reading any.
pub(super) fn accept_frame(
    frame: &DataFrame,
    kinds: &[Kind],
    names: &[&'static str],
    offset: u64,
    to: &mut Target<'_>,
    on_reject: &mut dyn FnMut(&Row<'_>, FieldError),
) -> PolarsResult<Option<u64>> {
    let text_only = names
        .iter()
        .zip(kinds)
        .all(|(name, kind)| matches!(kind, Kind::Str) || (*name == "break_glass" && matches!(kind, Kind::Bool)));
    if !text_only {
        return Ok(None);
    }
    let mut frame = frame.clone();
    frame.align_chunks();
    let text = |name: &str| -> PolarsResult<Option<&StringChunked>> {
        match names.iter().position(|n| *n == name) {
            Some(i) if kinds[i] == Kind::Str => Ok(Some(frame.column(name)?.str()?)),
            _ => Ok(None),
        }
    };
    // One optional column of strings per spec (`None` when absent).
    let columns: Vec<Option<&StringChunked>> = SPECS.iter().map(|s| text(s.name)).collect::<PolarsResult<_>>()?;
    let flags = match names.iter().position(|n| *n == "break_glass") {
        Some(i) if kinds[i] == Kind::Bool => Some(frame.column("break_glass")?.bool()?),
        _ => None,
    };
    let present: Vec<usize> = (0..SPECS.len()).filter(|&i| names.contains(&SPECS[i].name)).collect();
    let mut chunks: Vec<Option<_>> = columns.iter().map(|c| c.map(|c| c.downcast_iter())).collect();
    let mut flag_chunks = flags.map(|f| f.downcast_iter());
    let mut line = offset;
    let mut cells: [Option<Cell<'_>>; 9] = [None; 9];
    let mut keys = [NO_KEY; 5];
    for _ in 0..frame.first_col_n_chunks() {
        let arrays: Vec<Option<_>> = chunks.iter_mut().map(|c| c.as_mut().and_then(|c| c.next())).collect();
        let flag_array = flag_chunks.as_mut().and_then(|c| c.next());
        let n = arrays.iter().flatten().map(|a| a.len()).next().or(flag_array.map(|a| a.len())).unwrap_or(0);
        for i in 0..n {
            line += 1;
            for (spec, array) in arrays.iter().enumerate() {
                let Some(array) = array else { continue };
                cells[spec] = array.get(i).and_then(text_cell);
                // User, patient, workstation, IP address, department: specs
                // 1, 2, 5, 6, 7.
                let slot = match spec {
                    1 => 0,
                    2 => 1,
                    5 => 2,
                    6 => 3,
                    7 => 4,
                    _ => continue,
                };
                let view = array.views()[i];
                keys[slot] = if view.is_inline() && cells[spec].is_some() { view.as_u128() } else { NO_KEY };
            }
            if let Some(flag) = flag_array {
                let valid = flag.validity().is_none_or(|v| v.get_bit(i));
                cells[8] = valid.then(|| Cell::Bool(flag.value(i)));
            }
            if let Err(e) = accept_cells(&cells, line, &keys, to) {
                let projected: Vec<Option<Cell<'_>>> = present.iter().map(|&i| cells[i]).collect();
                on_reject(&Row::of_cells(line, &cells, &projected, names), e);
            }
        }
    }
    Ok(Some(line - offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dictionary;
    use polars::prelude::Column;

    #[test]
    fn reads_the_contract_columns_up_to_break_glass_with_the_first_four_required() {
        let names: Vec<&str> = SPECS.iter().map(|s| s.name).collect();
        assert_eq!(names, ACCESS_LOG_COLUMNS[..9]);
        assert_eq!(names[8], "break_glass");
        let required: Vec<&str> = SPECS.iter().filter(|s| s.required).map(|s| s.name).collect();
        assert_eq!(required, ["timestamp", "user_id", "patient_id", "action"]);
    }

    #[test]
    fn the_session_cache_gives_the_codes_plain_interning_gives() {
        let rows = [
            ("a", Some("WS1")),
            ("b", Some("WS2")),
            ("a", Some("WS1")),
            ("a", Some("WS3")),
            ("b", None),
            ("b", Some("WS2")),
            ("a", Some("WS1")),
            ("c", Some("WS3")),
            ("a", Some("WS10")),
        ];
        // Keyed as CSV keys them, keyed as raw Parquet views (a raw value
        // with spaces keys apart from its trimmed value), and unkeyed.
        for keyed in [0, 1, 2] {
            let (mut plain, mut cached, mut users) =
                (Dictionary::default(), Dictionary::default(), Dictionary::default());
            let mut sessions = Sessions::default();
            // A cache of two slots: keys collide and overwrite each other.
            let mut cache = SlotCache::<2>::default();
            for (i, (user, ws)) in rows.into_iter().enumerate() {
                let raw = ws.map(|w| if i % 3 == 0 { format!(" {w}") } else { w.to_string() });
                let cell = ws.map(Cell::Str);
                let key = match (keyed, &raw) {
                    (0, _) => NO_KEY,
                    (1, _) => cell_key(cell),
                    (_, Some(raw)) => key_of(raw),
                    (_, None) => NO_KEY,
                };
                let want = code_of(&mut plain, cell);
                let user = users.intern(user);
                let got = session_code(&mut cached, cell, &mut sessions.of(user)[0], key, &mut cache);
                assert_eq!(got, want, "{ws:?} keyed {keyed}");
            }
            assert_eq!(cached.len(), plain.len());
            for c in 0..plain.len() as u32 {
                assert_eq!(cached.name(c), plain.name(c));
            }
        }
    }

    #[test]
    fn the_recent_patients_give_the_codes_plain_interning_gives() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(41);
        let (mut plain, mut cached) = (Dictionary::default(), Dictionary::default());
        let mut sessions = Sessions::default();
        for _ in 0..20_000 {
            let user = rng.gen_range(0..5u32);
            // Few patients per user, some ids too long for a key, some
            // padded, some absent.
            let id = match rng.gen_range(0..10) {
                0 => None,
                1 => Some(format!("PATIENT-WITH-A-LONG-ID-{}", rng.gen_range(0..3))),
                2 => Some(format!(" P{}{}", user, rng.gen_range(0..6))),
                _ => Some(format!("P{}{}", user, rng.gen_range(0..6))),
            };
            let trimmed = id.as_deref().map(str::trim);
            let cell = trimmed.map(Cell::Str);
            let key = id.as_deref().map_or(NO_KEY, key_of);
            let want = code_of(&mut plain, cell);
            assert_eq!(sessions.patient(&mut cached, user, cell, key), want, "{id:?}");
        }
        assert_eq!(cached.len(), plain.len());
    }

    #[test]
    fn the_hour_cache_reads_timestamps_as_the_full_parser_does() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(43);
        // Madrid's clocks go forward at 02:00 on 2026-03-29 and back at
        // 03:00 on 2026-10-25: hours that are skipped and repeated.
        let hours = [
            "2026-03-29 01",
            "2026-03-29 02",
            "2026-03-29 03",
            "2026-10-25 02",
            "2026-10-25 03",
            "9999-12-31 23",
            "0001-01-01 00",
            "2026-11-28T09",
        ];
        let tails =
            [":00:00", ":59:59", ":60:00", ":00:60", ":1x:00", "-00:00", ":30:15", ":30:15.5", ":30:15Z", ":07:09"];
        let (mut zone, mut plain_zone) =
            (ZoneCache::new(chrono_tz::Europe::Madrid), ZoneCache::new(chrono_tz::Europe::Madrid));
        let mut cache = HourCache::default();
        for _ in 0..20_000 {
            let text = format!("{}{}", hours[rng.gen_range(0..hours.len())], tails[rng.gen_range(0..tails.len())]);
            let cell = Some(Cell::Str(text.as_str()));
            let want = timestamp(cell, "timestamp", &mut plain_zone);
            assert_eq!(cache.timestamp(cell, &mut zone), want, "{text}");
        }
        assert_eq!(cache.timestamp(None, &mut zone), Ok(None));
    }

    #[test]
    fn keys_are_equal_exactly_when_short_values_are() {
        let values = ["", "a", "a ", "U1", "U1\0", "P1245129", "WS-ONC-030", "123456789012", "1234567890123"];
        for a in values {
            for b in values {
                let (ka, kb) = (key_of(a), key_of(b));
                if a.is_empty() || a.len() > 12 {
                    assert_eq!(ka, NO_KEY, "{a:?}");
                } else if b.len() <= 12 && !b.is_empty() {
                    assert_eq!(ka == kb, a == b, "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn the_user_cache_gives_the_codes_interning_gives_even_when_slots_collide() {
        // More users than slots, so that slots are overwritten.
        let ids: Vec<String> = (0..(USER_SLOTS as u64 * 3)).map(|i| format!("U{}", i * 7919 % 20011)).collect();
        let (mut plain, mut cached) = (Dictionary::default(), Dictionary::default());
        let mut sessions = Sessions::default();
        for round in 0..2 {
            for id in &ids {
                let want = plain.intern(id);
                assert_eq!(sessions.user(&mut cached, id, key_of(id)), want, "round {round}");
            }
        }
        assert_eq!(cached.len(), plain.len());
    }

    /// What reading a frame gave: the events, the rejects (line, reason,
    /// raw text; last, the unknown actions and categories counted) and the
    /// dictionaries.
    type Read = (Events, Vec<(u64, String, String)>, Dictionaries);

    /// What one part's read fills, owned: a [`Target`] borrows it.
    struct Part {
        dict: Dictionaries,
        events: Events,
        report: IngestReport,
        zone: ZoneCache,
        sessions: Sessions,
    }

    impl Part {
        fn new(tz: chrono_tz::Tz) -> Part {
            Part {
                dict: Dictionaries::default(),
                events: Events::default(),
                report: IngestReport::default(),
                zone: ZoneCache::new(tz),
                sessions: Sessions::default(),
            }
        }

        fn target<'a>(&'a mut self, rules: &'a RowRules) -> Target<'a> {
            Target {
                file_index: 0,
                dict: &mut self.dict,
                events: &mut self.events,
                report: &mut self.report,
                zone: &mut self.zone,
                sessions: &mut self.sessions,
                rules,
            }
        }
    }

    /// The [`Read`] of a frame by `accept_frame` and, row by row, by `accept`.
    fn both_ways(frame: &DataFrame, kinds: &[Kind]) -> [Read; 2] {
        let names: Vec<&'static str> = frame
            .get_column_names()
            .iter()
            .map(|n| SPECS.iter().find(|s| s.name == n.as_str()).expect("a spec's column").name)
            .collect();
        let index: Vec<Option<usize>> = SPECS.iter().map(|s| names.iter().position(|n| *n == s.name)).collect();
        let rules = RowRules::any();
        let mut out = Vec::new();
        for columnwise in [true, false] {
            let mut part = Part::new(chrono_tz::Europe::Madrid);
            let mut to = part.target(&rules);
            let mut rejected = Vec::new();
            let mut on_reject = |row: &Row<'_>, e: FieldError| rejected.push((row.line, e.reason, row.raw()));
            let read = if columnwise {
                accept_frame(frame, kinds, &names, 10, &mut to, &mut on_reject).unwrap().expect("text columns")
            } else {
                crate::ingest::source::emit_batch(frame, &names, kinds, &index, &SPECS, 10, &mut |row| {
                    let t = &mut to;
                    if let Err(e) = accept(&row, 0, t.dict, t.events, t.report, t.zone, t.sessions, t.rules) {
                        on_reject(&row, e);
                    }
                })
                .unwrap()
            };
            assert_eq!(read, frame.height() as u64);
            let counted = format!("{:?} {:?}", part.report.other_actions, part.report.other_categories);
            rejected.push((0, counted, String::new()));
            out.push((part.events, rejected, part.dict));
        }
        let second = out.pop().unwrap();
        [out.pop().unwrap(), second]
    }

    fn same(a: &Read, b: &Read) {
        let (ea, eb) = (&a.0, &b.0);
        assert_eq!(ea.user, eb.user);
        assert_eq!(ea.patient, eb.patient);
        assert_eq!(ea.ts, eb.ts);
        assert_eq!(ea.action, eb.action);
        assert_eq!(ea.category, eb.category);
        assert_eq!(ea.workstation, eb.workstation);
        assert_eq!(ea.ip, eb.ip);
        assert_eq!(ea.department, eb.department);
        assert_eq!(ea.break_glass, eb.break_glass);
        assert_eq!(ea.source_line, eb.source_line);
        assert_eq!(a.1, b.1, "rejects and counts");
        for (da, db) in [
            (&a.2.users, &b.2.users),
            (&a.2.patients, &b.2.patients),
            (&a.2.workstations, &b.2.workstations),
            (&a.2.ips, &b.2.ips),
            (&a.2.departments, &b.2.departments),
        ] {
            assert_eq!(da.len(), db.len());
            for c in 0..da.len() as u32 {
                assert_eq!(da.name(c), db.name(c));
            }
        }
    }

    /// Rows with nulls, padding, long ids, a bad and a missing timestamp, a
    /// view without a patient, unknown actions and categories, a bad flag.
    fn messy_columns() -> Vec<Column> {
        let ts = [
            Some("2026-11-28 09:00:00"),
            Some(" 2026-11-28 09:00:05 "),
            Some("2026-11-28 09:01:00"),
            Some("2026-13-01 08:00:00"),
            None,
            Some("2026-11-28T09:02:00Z"),
            Some("2026-11-28 09:03:00"),
            Some("2026-11-28 09:04:00"),
            Some("2026-11-28 09:05:00"),
            Some("NULL"),
        ];
        let user = [
            Some("u1"),
            Some(" u1"),
            Some("u2"),
            Some("u1"),
            Some("u3"),
            Some("a-user-id-longer-than-twelve"),
            None,
            Some("u2"),
            Some("u1"),
            Some("u1"),
        ];
        let patient = [
            Some("P1"),
            Some("P1"),
            Some("P1 "),
            Some("P2"),
            Some("P2"),
            Some("P3"),
            Some("P3"),
            None,
            Some("P-0000000000042"),
            Some("P1"),
        ];
        let action = [
            Some("view"),
            Some("VIEW"),
            Some("print"),
            Some("view"),
            Some("view"),
            Some("frobnicate"),
            Some("view"),
            Some("view"),
            Some("export"),
            Some("view"),
        ];
        let category = [
            Some("notes"),
            None,
            Some("tattoos"),
            Some("notes"),
            Some(""),
            Some("HIV"),
            Some("notes"),
            Some("notes"),
            Some("results"),
            None,
        ];
        let ws = [
            Some("WS-1"),
            Some("WS-1"),
            Some("WS-1 "),
            None,
            Some("WS-2"),
            Some("WS-2"),
            Some("WS-1"),
            Some("WS-1"),
            Some("WS-1"),
            Some("WS-1"),
        ];
        let ip = [Some("10.0.0.1"); 10];
        let dept = [
            Some("ED"),
            Some("ED"),
            Some("ICU"),
            Some("ED"),
            Some("ED"),
            Some("ED"),
            Some("ED"),
            Some("ED"),
            Some("ED"),
            Some("ED"),
        ];
        vec![
            Column::new("timestamp".into(), ts),
            Column::new("user_id".into(), user),
            Column::new("patient_id".into(), patient),
            Column::new("action".into(), action),
            Column::new("data_category".into(), category),
            Column::new("workstation_id".into(), ws),
            Column::new("ip_address".into(), ip),
            Column::new("department_id".into(), dept),
        ]
    }

    #[test]
    fn a_frame_read_column_by_column_equals_it_read_row_by_row() {
        let flags = [
            Some(true),
            Some(false),
            None,
            Some(false),
            Some(false),
            Some(true),
            Some(false),
            Some(false),
            Some(false),
            Some(false),
        ];
        let text_flags = [
            Some("true"),
            Some("0"),
            None,
            Some("maybe"),
            Some("no"),
            Some("1"),
            Some("f"),
            Some("F"),
            Some("t"),
            Some("n"),
        ];
        // break_glass as booleans, as text, and absent (with the optional
        // workstation, IP and department columns absent too).
        let mut frames = Vec::new();
        let mut bools = messy_columns();
        bools.push(Column::new("break_glass".into(), flags));
        frames.push((bools, vec![Kind::Str; 8].into_iter().chain([Kind::Bool]).collect::<Vec<_>>()));
        let mut texts = messy_columns();
        texts.push(Column::new("break_glass".into(), text_flags));
        frames.push((texts, vec![Kind::Str; 9]));
        let mut few = messy_columns();
        few.truncate(5);
        frames.push((few, vec![Kind::Str; 5]));
        for (columns, kinds) in frames {
            let frame = DataFrame::new_infer_height(columns).unwrap();
            let [columnwise, rowwise] = both_ways(&frame, &kinds);
            assert!(columnwise.1.len() >= 4, "some rows rejected: {:?}", columnwise.1);
            assert!(!columnwise.0.is_empty());
            same(&columnwise, &rowwise);
        }
    }

    #[test]
    fn a_frame_of_misaligned_chunks_is_read_in_row_order() {
        // Columns cut into chunks at different rows: read as one frame
        // they give what the frame rechunked gives, row by row.
        let columns = messy_columns();
        let cut: Vec<Column> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let s = c.as_materialized_series();
                let at = (i % 4 + 1) as i64;
                let mut head = s.slice(0, at as usize);
                head.append(&s.slice(at, s.len())).unwrap();
                head.into()
            })
            .collect();
        let frame = DataFrame::new_infer_height(cut).unwrap();
        assert!(frame.should_rechunk());
        let mut whole = DataFrame::new_infer_height(columns).unwrap();
        whole.rechunk_mut();
        let kinds = vec![Kind::Str; 8];
        let [cut_read, _] = both_ways(&frame, &kinds);
        let [_, whole_read] = both_ways(&whole, &kinds);
        same(&cut_read, &whole_read);
    }

    #[test]
    fn a_frame_with_a_column_of_another_type_is_left_to_the_row_reader() {
        let mut columns = messy_columns();
        columns[1] = Column::new("user_id".into(), [1i64, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let frame = DataFrame::new_infer_height(columns).unwrap();
        let names: Vec<&'static str> = SPECS[..8].iter().map(|s| s.name).collect();
        let mut kinds = vec![Kind::Str; 8];
        kinds[1] = Kind::Int;
        let mut part = Part::new(chrono_tz::UTC);
        let rules = RowRules::any();
        let mut to = part.target(&rules);
        let read = accept_frame(&frame, &kinds, &names, 0, &mut to, &mut |_, _| panic!("nothing is read")).unwrap();
        assert_eq!(read, None);
        assert!(part.events.is_empty());
    }
}
