//! The bytes a per-partition pass result travels in, between a cluster's
//! driver and its executors: written by hand (no serde format crate),
//! small and versioned. Passes 1 and 2 carry codes and counts only: user,
//! patient, device and department codes, days and instants, explanation
//! kinds and role classes. Pass 4 (everyone's features out, findings
//! back) carries codes and counts too, plus the few words the rules put
//! in their facts and the peer groups' labels: a department's name, a
//! contact's relationship ("spouse"), a group label ("mostly nurses"), a
//! rule id or a section's name. No user or patient id, person's name or
//! address is written, so a result names no patient even where it is
//! read (tests look for the fixtures' ids in the bytes).
//!
//! Layout: the magic `EWP4` (its digit is the version: 2 added the
//! charting of unlisted visits to pass 1, and gave pass 2 `u32` counts and
//! each user's `busiest` and home flag in place of the profile; 3 added
//! pass 4; 4 added each user's team-only patients to pass 2 and to the
//! breadth fact), the pass (1: spans, 2: measures, 3: everyone's features for
//! pass 4, 4: findings), the partition's index, then the pass's result.
//! Pass 2's floating-point values (the behaviour profile) do not travel:
//! the driver computes them from the counts, as a local run does. Pass
//! 4's do (peer-group scores, baselines, weights), as their 8 IEEE bytes,
//! exactly. Integers are LEB128 varints (signed ones zigzagged), so the
//! many small codes take a byte or two. A reader checks every length
//! against the bytes left, every kind against its enum, and that every
//! finding's evidence travelled with it: damaged bytes are a
//! [`CodecError`], never a panic.
//!
//! Facts are written by an exhaustive match on [`Fact`] (`put_fact`): a
//! fact added to the rules does not compile until it is written and read
//! here. Labels the rules keep as `&'static str` (rule ids, windows,
//! section names) are read back into a small per-process table.

use crate::detect::relations::SharedAddress;
use crate::detect::{AlertKind, Detection, Fact, Finding, Population, SkippedRule, Weights};
use crate::explain::{CareVisits, Charting, Explanation};
use crate::features::Coverage;
use crate::features::{Busiest, DayStats, PeerGroups, UserFeatures, UserStats, UsualHours, CATEGORIES};
use crate::model::{Action, Code, DataCategory, Dictionaries, Events};
use crate::pipeline::{Found, Measures, Spans};
use crate::roles::RoleClass;

/// What starts every result: its last byte is the codec's version.
const MAGIC: &[u8; 4] = b"EWP4";
/// The pass byte of a pass-1 result.
const PASS_SPAN: u8 = 1;
/// The pass byte of a pass-2 result.
const PASS_MEASURE: u8 = 2;
/// The pass byte of what the driver sends pass 4: everyone's features.
const PASS_EVERYONE: u8 = 3;
/// The pass byte of a pass-4 result.
const PASS_DETECT: u8 = 4;
/// The byte of the driver's dictionaries (not a pass result: see
/// [`encode_dictionaries`]).
const PASS_DICTIONARIES: u8 = 5;

/// A result that cannot be read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    /// The bytes end before the result does.
    #[error("a pass result ends early (at byte {0})")]
    Truncated(usize),
    /// The bytes are not a result of this version.
    #[error("a pass result does not start with EWP4 (this version) and the expected pass")]
    Header,
    /// A value is out of its range.
    #[error("a pass result holds an invalid {0}")]
    Invalid(&'static str),
    /// Bytes follow the result.
    #[error("a pass result has {0} bytes after its end")]
    Trailing(usize),
}

/// Appends values to a byte buffer.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An unsigned varint.
    pub fn uvar(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    /// A signed varint (zigzag).
    pub fn ivar(&mut self, v: i64) {
        self.uvar(((v << 1) ^ (v >> 63)) as u64);
    }

    /// One byte.
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// Raw bytes, their length first.
    pub fn bytes(&mut self, b: &[u8]) {
        self.uvar(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    /// A float, as its 8 IEEE bytes (little-endian): exact.
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads values written by [`Writer`], checking every bound.
pub struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, at: 0 }
    }

    /// An unsigned varint.
    pub fn uvar(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.at).ok_or(CodecError::Truncated(self.at))?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError::Invalid("varint"))
    }

    /// A signed varint (zigzag).
    pub fn ivar(&mut self) -> Result<i64, CodecError> {
        let u = self.uvar()?;
        Ok((u >> 1) as i64 ^ -((u & 1) as i64))
    }

    /// A `u32` (a code), as an unsigned varint.
    pub fn u32(&mut self) -> Result<u32, CodecError> {
        u32::try_from(self.uvar()?).map_err(|_| CodecError::Invalid("code"))
    }

    /// A count of items that each take at least one byte: never more than
    /// the bytes left, so a damaged length cannot ask for a huge buffer.
    pub fn count(&mut self) -> Result<usize, CodecError> {
        let n = self.uvar()?;
        let left = (self.buf.len() - self.at) as u64;
        if n > left {
            return Err(CodecError::Truncated(self.buf.len()));
        }
        Ok(n as usize)
    }

    /// One byte.
    pub fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self.buf.get(self.at).ok_or(CodecError::Truncated(self.at))?;
        self.at += 1;
        Ok(b)
    }

    /// A float written by [`Writer::f64`].
    pub fn f64(&mut self) -> Result<f64, CodecError> {
        let raw = self.buf.get(self.at..self.at + 8).ok_or(CodecError::Truncated(self.buf.len()))?;
        let mut bits = [0u8; 8];
        bits.copy_from_slice(raw);
        self.at += 8;
        Ok(f64::from_bits(u64::from_le_bytes(bits)))
    }

    /// Raw bytes written by [`Writer::bytes`].
    pub fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let n = self.count()?;
        let out = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    /// Fails unless every byte was read.
    pub fn end(&self) -> Result<(), CodecError> {
        match self.buf.len() - self.at {
            0 => Ok(()),
            n => Err(CodecError::Trailing(n)),
        }
    }
}

fn put_i64s(w: &mut Writer, v: &[i64]) {
    w.uvar(v.len() as u64);
    v.iter().for_each(|&x| w.ivar(x));
}

fn get_i64s(r: &mut Reader) -> Result<Vec<i64>, CodecError> {
    let n = r.count()?;
    (0..n).map(|_| r.ivar()).collect()
}

fn put_codes(w: &mut Writer, v: &[u32]) {
    w.uvar(v.len() as u64);
    v.iter().for_each(|&x| w.uvar(u64::from(x)));
}

fn get_codes(r: &mut Reader) -> Result<Vec<u32>, CodecError> {
    let n = r.count()?;
    (0..n).map(|_| r.u32()).collect()
}

fn put_bool(w: &mut Writer, b: bool) {
    w.byte(u8::from(b));
}

fn get_bool(r: &mut Reader) -> Result<bool, CodecError> {
    match r.byte()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(CodecError::Invalid("flag")),
    }
}

fn put_header(w: &mut Writer, pass: u8, part: u32) {
    MAGIC.iter().for_each(|&b| w.byte(b));
    w.byte(pass);
    w.uvar(u64::from(part));
}

/// Checks the magic and the pass; returns the partition's index.
fn get_header(r: &mut Reader, pass: u8) -> Result<u32, CodecError> {
    for &m in MAGIC {
        if r.byte().map_err(|_| CodecError::Header)? != m {
            return Err(CodecError::Header);
        }
    }
    if r.byte().map_err(|_| CodecError::Header)? != pass {
        return Err(CodecError::Header);
    }
    r.u32()
}

fn put_kinds(w: &mut Writer, kinds: &[Explanation]) {
    let bytes: Vec<u8> = kinds.iter().map(|k| *k as u8).collect();
    w.bytes(&bytes);
}

fn get_kinds(r: &mut Reader) -> Result<Vec<Explanation>, CodecError> {
    r.bytes()?
        .iter()
        .map(|&b| Explanation::ALL.get(b as usize).copied())
        .collect::<Option<Vec<_>>>()
        .ok_or(CodecError::Invalid("explanation"))
}

/// A per-patient list (`explain::PerPatient`'s parts): its start offsets,
/// then its items, each written by `item`.
fn put_per_patient<T>(w: &mut Writer, start: &[usize], flat: &[T], mut item: impl FnMut(&mut Writer, &T)) {
    w.uvar(start.len() as u64);
    start.iter().for_each(|&s| w.uvar(s as u64));
    w.uvar(flat.len() as u64);
    flat.iter().for_each(|x| item(w, x));
}

/// What [`put_per_patient`] wrote, each item read by `item`.
fn get_per_patient<T>(
    r: &mut Reader<'_>,
    mut item: impl FnMut(&mut Reader<'_>) -> Result<T, CodecError>,
) -> Result<(Vec<usize>, Vec<T>), CodecError> {
    let n = r.count()?;
    let start = (0..n).map(|_| r.uvar().map(|s| s as usize)).collect::<Result<Vec<_>, _>>()?;
    let n = r.count()?;
    let mut flat = Vec::with_capacity(n);
    for _ in 0..n {
        flat.push(item(r)?);
    }
    Ok((start, flat))
}

/// A day number (days since the epoch) within `i32`.
fn get_day(r: &mut Reader<'_>) -> Result<i32, CodecError> {
    i32::try_from(r.ivar()?).map_err(|_| CodecError::Invalid("day"))
}

/// The result of pass 1 on the `part`-th partition: its events' direct
/// explanations (one byte an event) and what it tells about every user.
pub fn encode_span(part: u32, direct: &[Explanation], spans: &Spans) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, PASS_SPAN, part);
    put_kinds(&mut w, direct);
    let (visits, charting, coverage, population, learned) = spans.parts();
    w.uvar(visits.len() as u64);
    for v in visits {
        let (start, flat) = v.parts();
        put_per_patient(&mut w, start, flat, |w, &(day, user)| {
            w.ivar(i64::from(day));
            w.uvar(u64::from(user));
        });
    }
    w.uvar(charting.len() as u64);
    for c in charting {
        let (start, flat) = c.parts();
        put_per_patient(&mut w, start, flat, |w, &(day, department, user)| {
            w.ivar(i64::from(day));
            w.uvar(u64::from(department));
            w.uvar(u64::from(user));
        });
    }
    let entries = coverage.entries();
    w.uvar(entries.len() as u64);
    for ((patient, department), n) in entries {
        w.uvar(u64::from(patient));
        w.uvar(u64::from(department));
        w.uvar(u64::from(n));
    }
    put_i64s(&mut w, &population.workstation_first);
    put_i64s(&mut w, &population.ip_first);
    put_codes(&mut w, &population.ip_network);
    put_bool(&mut w, population.any_device);
    put_bool(&mut w, population.any_break_glass);
    put_i64s(&mut w, &population.department_first);
    w.uvar(learned.len() as u64);
    for &(user, class) in learned {
        w.uvar(u64::from(user));
        let i = RoleClass::ALL.iter().position(|c| *c == class).unwrap_or(usize::MAX);
        w.uvar(i as u64);
    }
    w.finish()
}

/// Reads back what [`encode_span`] wrote: the partition's index, its
/// direct explanations and its spans.
pub fn decode_span(bytes: &[u8]) -> Result<(u32, Vec<Explanation>, Spans), CodecError> {
    let mut r = Reader::new(bytes);
    let part = get_header(&mut r, PASS_SPAN)?;
    let direct = get_kinds(&mut r)?;
    let n_visits = r.count()?;
    let mut visits = Vec::with_capacity(n_visits);
    for _ in 0..n_visits {
        let (start, flat) = get_per_patient(&mut r, |r| Ok((get_day(r)?, r.u32()?)))?;
        visits.push(CareVisits::from_parts(start, flat).ok_or(CodecError::Invalid("care visits"))?);
    }
    let n_charting = r.count()?;
    let mut charting = Vec::with_capacity(n_charting);
    for _ in 0..n_charting {
        let (start, flat) = get_per_patient(&mut r, |r| Ok((get_day(r)?, r.u32()?, r.u32()?)))?;
        charting.push(Charting::from_parts(start, flat).ok_or(CodecError::Invalid("charting"))?);
    }
    let n = r.count()?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let key = (r.u32()?, r.u32()?);
        entries.push((key, r.u32()?));
    }
    let coverage = Coverage::from_entries(entries);
    let population = Population {
        workstation_first: get_i64s(&mut r)?,
        ip_first: get_i64s(&mut r)?,
        ip_network: get_codes(&mut r)?,
        any_device: get_bool(&mut r)?,
        any_break_glass: get_bool(&mut r)?,
        department_first: get_i64s(&mut r)?,
    };
    let n = r.count()?;
    let mut learned: Vec<(Code, RoleClass)> = Vec::with_capacity(n);
    for _ in 0..n {
        let user = r.u32()?;
        let class = usize::try_from(r.uvar()?).ok().and_then(|i| RoleClass::ALL.get(i).copied());
        learned.push((user, class.ok_or(CodecError::Invalid("role class"))?));
    }
    r.end()?;
    Ok((part, direct, Spans::from_parts(visits, charting, coverage, population, learned)))
}

/// The result of pass 2 on the `part`-th partition: its events'
/// explanations completed by the care teams (one byte an event), and its
/// users' features with the count of each explanation.
pub fn encode_measure(part: u32, kinds: &[Explanation], measures: &Measures) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, PASS_MEASURE, part);
    put_kinds(&mut w, kinds);
    let (users, totals) = measures.parts();
    totals.iter().for_each(|&n| w.uvar(n));
    w.uvar(users.len() as u64);
    for (user, s) in users {
        w.uvar(u64::from(*user));
        put_user_stats(&mut w, s);
    }
    w.finish()
}

/// Reads back what [`encode_measure`] wrote: the partition's index, its
/// explanations and its measures.
pub fn decode_measure(bytes: &[u8]) -> Result<(u32, Vec<Explanation>, Measures), CodecError> {
    let mut r = Reader::new(bytes);
    let part = get_header(&mut r, PASS_MEASURE)?;
    let kinds = get_kinds(&mut r)?;
    let mut totals = [0u64; Explanation::KINDS];
    for t in totals.iter_mut() {
        *t = r.uvar()?;
    }
    let n = r.count()?;
    let mut users = Vec::with_capacity(n);
    for _ in 0..n {
        let user = r.u32()?;
        users.push((user, get_user_stats(&mut r)?));
    }
    r.end()?;
    Ok((part, kinds, Measures::from_parts(users, totals)))
}

/// The counts of a user's day, in [`DayStats`]' field order after `day`
/// and `events`.
fn day_counts(d: &DayStats) -> [u64; 13] {
    [
        d.patient_accesses,
        d.distinct_patients,
        d.unexplained_patients,
        d.extraction_patients,
        d.extraction_events,
        d.unexplained_extraction_patients,
        d.export_patients,
        d.export_peak_hour_patients,
        d.after_hours,
        d.peak_hour_patients,
        d.new_workstations,
        d.new_ips,
        d.first_time_patients,
    ]
}

/// The counts of a user's features, in [`UserStats`]' field order
/// (without the categories, hours, days, busiest and home flag).
fn user_counts(s: &UserStats) -> [u32; 17] {
    [
        s.events,
        s.patient_accesses,
        s.distinct_patients,
        s.unexplained_accesses,
        s.unexplained_patients,
        s.team_only_patients,
        s.after_hours_accesses,
        s.weekend_accesses,
        s.active_days,
        s.prints,
        s.exports,
        s.break_glass,
        s.distinct_workstations,
        s.distinct_ips,
        s.sensitive_accesses,
        s.other_department_patients,
        s.peer_shared_patients,
    ]
}

/// A user's [`Busiest`], in its field order.
fn busiest_counts(b: &Busiest) -> [u32; 9] {
    [
        b.distinct_patients,
        b.extraction_patients,
        b.export_patients,
        b.export_peak_hour_patients,
        b.new_device_days,
        b.peak_hour_patients,
        b.patient_days,
        b.later_first_time,
        b.later_patients,
    ]
}

fn put_user_stats(w: &mut Writer, s: &UserStats) {
    user_counts(s).iter().for_each(|&n| w.uvar(u64::from(n)));
    s.categories.iter().for_each(|&n| w.uvar(u64::from(n)));
    w.uvar(u64::from(s.usual_hours.mask()));
    put_bool(w, s.usual_hours.learned);
    w.uvar(s.days.len() as u64);
    for d in &s.days {
        w.ivar(i64::from(d.day));
        w.uvar(d.events.start as u64);
        w.uvar(d.events.end as u64);
        day_counts(d).iter().for_each(|&n| w.uvar(n));
    }
    busiest_counts(&s.busiest).iter().for_each(|&n| w.uvar(u64::from(n)));
    put_bool(w, s.has_home);
}

fn get_array<const N: usize>(r: &mut Reader) -> Result<[u64; N], CodecError> {
    let mut out = [0u64; N];
    for v in out.iter_mut() {
        *v = r.uvar()?;
    }
    Ok(out)
}

fn get_u32s<const N: usize>(r: &mut Reader) -> Result<[u32; N], CodecError> {
    let mut out = [0u32; N];
    for v in out.iter_mut() {
        *v = u32::try_from(r.uvar()?).map_err(|_| CodecError::Invalid("count"))?;
    }
    Ok(out)
}

fn get_index(r: &mut Reader) -> Result<usize, CodecError> {
    usize::try_from(r.uvar()?).map_err(|_| CodecError::Invalid("event index"))
}

fn get_user_stats(r: &mut Reader) -> Result<UserStats, CodecError> {
    let [events, patient_accesses, distinct_patients, unexplained_accesses, unexplained_patients, team_only_patients, after_hours_accesses, weekend_accesses, active_days, prints, exports, break_glass, distinct_workstations, distinct_ips, sensitive_accesses, other_department_patients, peer_shared_patients] =
        get_u32s::<17>(r)?;
    let categories = get_u32s::<CATEGORIES>(r)?;
    let mask = u32::try_from(r.uvar()?).map_err(|_| CodecError::Invalid("usual hours"))?;
    let usual_hours = UsualHours::from_mask(mask, get_bool(r)?).ok_or(CodecError::Invalid("usual hours"))?;
    let n = r.count()?;
    let mut days = Vec::with_capacity(n);
    for _ in 0..n {
        let day = get_day(r)?;
        let (start, end) = (get_index(r)?, get_index(r)?);
        if start > end {
            return Err(CodecError::Invalid("event range"));
        }
        let [patient_accesses, distinct_patients, unexplained_patients, extraction_patients, extraction_events, unexplained_extraction_patients, export_patients, export_peak_hour_patients, after_hours, peak_hour_patients, new_workstations, new_ips, first_time_patients] =
            get_array::<13>(r)?;
        days.push(DayStats {
            day,
            events: start..end,
            patient_accesses,
            distinct_patients,
            unexplained_patients,
            extraction_patients,
            extraction_events,
            unexplained_extraction_patients,
            export_patients,
            export_peak_hour_patients,
            after_hours,
            peak_hour_patients,
            new_workstations,
            new_ips,
            first_time_patients,
        });
    }
    let [distinct, extraction, export, export_peak_hour, new_device_days, peak_hour, patient_days, later_first_time, later_patients] =
        get_u32s::<9>(r)?;
    let busiest = Busiest {
        distinct_patients: distinct,
        extraction_patients: extraction,
        export_patients: export,
        export_peak_hour_patients: export_peak_hour,
        new_device_days,
        peak_hour_patients: peak_hour,
        patient_days,
        later_first_time,
        later_patients,
    };
    let has_home = get_bool(r)?;
    Ok(UserStats {
        events,
        patient_accesses,
        distinct_patients,
        unexplained_accesses,
        unexplained_patients,
        team_only_patients,
        after_hours_accesses,
        weekend_accesses,
        active_days,
        prints,
        exports,
        break_glass,
        distinct_workstations,
        distinct_ips,
        sensitive_accesses,
        categories,
        other_department_patients,
        peer_shared_patients,
        usual_hours,
        days,
        busiest,
        has_home,
    })
}

// ---- Pass 4: everyone's features to the executors, findings back ----

/// A label the rules write as a `&'static str` (a rule id, a window, a
/// category, a driver's phrase), read back: the same text is the same
/// `&'static str` for the life of the process, each distinct label kept
/// once (a result names a few dozen); a result with more, or longer,
/// labels than any rule writes is refused rather than kept.
fn intern(text: &str) -> Result<&'static str, CodecError> {
    use std::collections::BTreeSet;
    /// Distinct labels a process keeps at most.
    const MAX_LABELS: usize = 4096;
    /// The longest label.
    const MAX_LABEL: usize = 256;
    static LABELS: std::sync::Mutex<BTreeSet<&'static str>> = std::sync::Mutex::new(BTreeSet::new());
    let mut labels = LABELS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&known) = labels.get(text) {
        return Ok(known);
    }
    if labels.len() >= MAX_LABELS || text.len() > MAX_LABEL {
        return Err(CodecError::Invalid("label"));
    }
    let kept: &'static str = Box::leak(text.to_owned().into_boxed_str());
    labels.insert(kept);
    Ok(kept)
}

fn put_str(w: &mut Writer, s: &str) {
    w.bytes(s.as_bytes());
}

fn get_string(r: &mut Reader) -> Result<String, CodecError> {
    std::str::from_utf8(r.bytes()?).map(str::to_owned).map_err(|_| CodecError::Invalid("text"))
}

fn get_label(r: &mut Reader) -> Result<&'static str, CodecError> {
    let bytes = r.bytes()?;
    intern(std::str::from_utf8(bytes).map_err(|_| CodecError::Invalid("label"))?)
}

fn put_opt_str(w: &mut Writer, s: &Option<String>) {
    put_bool(w, s.is_some());
    if let Some(s) = s {
        put_str(w, s);
    }
}

fn get_opt_string(r: &mut Reader) -> Result<Option<String>, CodecError> {
    get_bool(r)?.then(|| get_string(r)).transpose()
}

fn put_date(w: &mut Writer, d: chrono::NaiveDate) {
    use chrono::Datelike;
    w.ivar(i64::from(d.num_days_from_ce()));
}

fn get_date(r: &mut Reader) -> Result<chrono::NaiveDate, CodecError> {
    let days = i32::try_from(r.ivar()?).map_err(|_| CodecError::Invalid("date"))?;
    chrono::NaiveDate::from_num_days_from_ce_opt(days).ok_or(CodecError::Invalid("date"))
}

fn get_usize(r: &mut Reader) -> Result<usize, CodecError> {
    usize::try_from(r.uvar()?).map_err(|_| CodecError::Invalid("count"))
}

/// The index of `value` in `all` (an enum's `ALL`), as one varint.
fn put_variant<T: PartialEq>(w: &mut Writer, all: &[T], value: &T) {
    w.uvar(all.iter().position(|v| v == value).unwrap_or(usize::MAX) as u64);
}

/// What [`put_variant`] wrote.
fn get_variant<T: Copy>(r: &mut Reader, all: &[T], what: &'static str) -> Result<T, CodecError> {
    usize::try_from(r.uvar()?).ok().and_then(|i| all.get(i).copied()).ok_or(CodecError::Invalid(what))
}

/// Alert kinds, in the order their byte counts.
const ALERT_KINDS: [AlertKind; 4] =
    [AlertKind::Snooping, AlertKind::Exfiltration, AlertKind::Account, AlertKind::Behaviour];

/// Where an address is shared, in the order their byte counts.
const SHARED: [SharedAddress; 2] = [SharedAddress::Contact, SharedAddress::Patient];

/// A fact: its variant's number (in [`Fact`]'s declaration order), then
/// its fields in order. The match is exhaustive: a new fact does not
/// compile until it is written here and read back in [`get_fact`].
fn put_fact(w: &mut Writer, fact: &Fact) {
    match fact {
        Fact::OwnRecord => w.byte(0),
        Fact::SharesSurnameAndHome => w.byte(1),
        Fact::NamedAsContact { relationship } => {
            w.byte(2);
            put_opt_str(w, relationship);
        }
        Fact::NamesakeContact { relationship } => {
            w.byte(3);
            put_opt_str(w, relationship);
        }
        Fact::ContactUnderOtherSurname { relationship, shared } => {
            w.byte(4);
            put_opt_str(w, relationship);
            put_variant(w, &SHARED, shared);
        }
        Fact::SharesSurname => w.byte(5),
        Fact::CoworkerPatient { same_department } => {
            w.byte(6);
            put_bool(w, *same_department);
        }
        Fact::Neighbour { distance_m, same_street, same_home, same_block } => {
            w.byte(7);
            put_bool(w, distance_m.is_some());
            if let Some(d) = distance_m {
                w.f64(*d);
            }
            put_bool(w, *same_street);
            put_bool(w, *same_home);
            put_bool(w, *same_block);
        }
        Fact::VipPatient => w.byte(8),
        Fact::DeceasedPatient { died, days_after } => {
            w.byte(9);
            put_date(w, *died);
            w.ivar(*days_after);
        }
        Fact::RestrictedChart => w.byte(10),
        Fact::NoSensitiveSection => w.byte(11),
        Fact::SensitiveCategories { categories } => {
            w.byte(12);
            w.uvar(categories.len() as u64);
            categories.iter().for_each(|c| put_str(w, c));
        }
        Fact::SensitiveFocus { sensitive, of, usual_per_mille } => {
            w.byte(28);
            [*sensitive, *of, *usual_per_mille].iter().for_each(|&n| w.uvar(u64::from(n)));
        }
        Fact::BreakGlass { count } => {
            w.byte(13);
            w.uvar(*count as u64);
        }
        Fact::AfterTermination { date, days } => {
            w.byte(14);
            put_date(w, *date);
            w.ivar(*days);
        }
        Fact::BulkExtraction { patients, window, what, baseline } => {
            w.byte(15);
            w.uvar(*patients);
            put_str(w, window);
            put_str(w, what);
            w.f64(*baseline);
        }
        Fact::FormerPatient { department, days_since } => {
            w.byte(16);
            put_str(w, department);
            w.ivar(*days_since);
        }
        Fact::OffList { list, mean_days, active_days, expected, observed } => {
            w.byte(26);
            w.uvar(u64::from(*list));
            w.f64(*mean_days);
            w.uvar(u64::from(*active_days));
            w.f64(*expected);
            w.uvar(u64::from(*observed));
        }
        Fact::OffTeam { team, observed } => {
            w.byte(27);
            w.uvar(u64::from(*team));
            w.uvar(u64::from(*observed));
        }
        Fact::PopulationLevel { explanation, class, round, routine, department } => {
            w.byte(17);
            put_variant(w, &Explanation::ALL, explanation);
            put_bool(w, class.is_some());
            if let Some(c) = class {
                put_variant(w, &RoleClass::ALL, c);
            }
            put_str(w, round);
            put_bool(w, routine.is_some());
            if let Some(n) = routine {
                w.uvar(u64::from(*n));
            }
            put_opt_str(w, department);
        }
        Fact::Glance { accesses, charts, least } => {
            w.byte(29);
            [*accesses, *charts, *least].iter().for_each(|&n| w.uvar(u64::from(n)));
        }
        Fact::UnitRound { department, others, days, patients } => {
            w.byte(18);
            put_str(w, department);
            [*others, *days, *patients].iter().for_each(|&n| w.uvar(u64::from(n)));
        }
        Fact::BulkAllExtraction { patients, window, linked, baseline, peers_busiest, peers } => {
            w.byte(19);
            w.uvar(*patients);
            put_str(w, window);
            w.uvar(*linked);
            w.f64(*baseline);
            w.f64(*peers_busiest);
            put_str(w, peers);
        }
        Fact::SlowExfiltration { days, span_days, patients, baseline } => {
            w.byte(20);
            w.uvar(*days as u64);
            w.ivar(*span_days);
            w.uvar(*patients);
            w.f64(*baseline);
        }
        Fact::NewDeviceOddHours { workstations, ips, after_hours, unexplained_patients, unseen_in_hospital } => {
            w.byte(21);
            [*workstations, *ips, *after_hours, *unexplained_patients, *unseen_in_hospital]
                .iter()
                .for_each(|&n| w.uvar(n));
        }
        Fact::UnexplainedBreadth { patients, days, peer_median, peer_label, in_rounds, team_only } => {
            w.byte(22);
            w.uvar(*patients);
            w.uvar(*days);
            w.f64(*peer_median);
            put_str(w, peer_label);
            w.uvar(*in_rounds);
            w.uvar(*team_only);
        }
        Fact::PeerOutlier { score, label, size, drivers } => {
            w.byte(23);
            w.f64(*score);
            put_str(w, label);
            w.uvar(*size as u64);
            w.uvar(drivers.len() as u64);
            for (phrase, value, median) in drivers {
                put_str(w, phrase);
                w.f64(*value);
                w.f64(*median);
            }
        }
        Fact::AlsoIncludes { charts } => {
            w.byte(24);
            w.uvar(charts.len() as u64);
            for (one, many, n) in charts {
                put_str(w, one);
                put_str(w, many);
                w.uvar(u64::from(*n));
            }
        }
        Fact::BeforeHire { date, days } => {
            w.byte(25);
            put_date(w, *date);
            w.ivar(*days);
        }
    }
}

/// What [`put_fact`] wrote.
fn get_fact(r: &mut Reader) -> Result<Fact, CodecError> {
    let u32_of = |r: &mut Reader| r.u32();
    Ok(match r.byte()? {
        0 => Fact::OwnRecord,
        1 => Fact::SharesSurnameAndHome,
        2 => Fact::NamedAsContact { relationship: get_opt_string(r)? },
        3 => Fact::NamesakeContact { relationship: get_opt_string(r)? },
        4 => Fact::ContactUnderOtherSurname {
            relationship: get_opt_string(r)?,
            shared: get_variant(r, &SHARED, "shared address")?,
        },
        5 => Fact::SharesSurname,
        6 => Fact::CoworkerPatient { same_department: get_bool(r)? },
        7 => Fact::Neighbour {
            distance_m: get_bool(r)?.then(|| r.f64()).transpose()?,
            same_street: get_bool(r)?,
            same_home: get_bool(r)?,
            same_block: get_bool(r)?,
        },
        8 => Fact::VipPatient,
        9 => Fact::DeceasedPatient { died: get_date(r)?, days_after: r.ivar()? },
        10 => Fact::RestrictedChart,
        11 => Fact::NoSensitiveSection,
        12 => {
            let n = r.count()?;
            Fact::SensitiveCategories { categories: (0..n).map(|_| get_label(r)).collect::<Result<_, _>>()? }
        }
        13 => Fact::BreakGlass { count: get_usize(r)? },
        14 => Fact::AfterTermination { date: get_date(r)?, days: r.ivar()? },
        15 => {
            Fact::BulkExtraction { patients: r.uvar()?, window: get_label(r)?, what: get_label(r)?, baseline: r.f64()? }
        }
        16 => Fact::FormerPatient { department: get_string(r)?, days_since: r.ivar()? },
        17 => Fact::PopulationLevel {
            explanation: get_variant(r, &Explanation::ALL, "explanation")?,
            class: get_bool(r)?.then(|| get_variant(r, &RoleClass::ALL, "role class")).transpose()?,
            round: get_label(r)?,
            routine: get_bool(r)?.then(|| r.u32()).transpose()?,
            department: get_opt_string(r)?,
        },
        18 => {
            Fact::UnitRound { department: get_string(r)?, others: u32_of(r)?, days: u32_of(r)?, patients: u32_of(r)? }
        }
        19 => Fact::BulkAllExtraction {
            patients: r.uvar()?,
            window: get_label(r)?,
            linked: r.uvar()?,
            baseline: r.f64()?,
            peers_busiest: r.f64()?,
            peers: get_string(r)?,
        },
        20 => Fact::SlowExfiltration {
            days: get_usize(r)?,
            span_days: r.ivar()?,
            patients: r.uvar()?,
            baseline: r.f64()?,
        },
        21 => Fact::NewDeviceOddHours {
            workstations: r.uvar()?,
            ips: r.uvar()?,
            after_hours: r.uvar()?,
            unexplained_patients: r.uvar()?,
            unseen_in_hospital: r.uvar()?,
        },
        22 => Fact::UnexplainedBreadth {
            patients: r.uvar()?,
            days: r.uvar()?,
            peer_median: r.f64()?,
            peer_label: get_string(r)?,
            in_rounds: r.uvar()?,
            team_only: r.uvar()?,
        },
        23 => {
            let (score, label, size) = (r.f64()?, get_string(r)?, get_usize(r)?);
            let n = r.count()?;
            let drivers = (0..n).map(|_| Ok((get_label(r)?, r.f64()?, r.f64()?))).collect::<Result<_, CodecError>>()?;
            Fact::PeerOutlier { score, label, size, drivers }
        }
        24 => {
            let n = r.count()?;
            let charts =
                (0..n).map(|_| Ok((get_label(r)?, get_label(r)?, r.u32()?))).collect::<Result<_, CodecError>>()?;
            Fact::AlsoIncludes { charts }
        }
        25 => Fact::BeforeHire { date: get_date(r)?, days: r.ivar()? },
        26 => Fact::OffList {
            list: u32_of(r)?,
            mean_days: r.f64()?,
            active_days: u32_of(r)?,
            expected: r.f64()?,
            observed: u32_of(r)?,
        },
        27 => Fact::OffTeam { team: u32_of(r)?, observed: u32_of(r)? },
        28 => Fact::SensitiveFocus { sensitive: u32_of(r)?, of: u32_of(r)?, usual_per_mille: u32_of(r)? },
        29 => Fact::Glance { accesses: u32_of(r)?, charts: u32_of(r)?, least: u32_of(r)? },
        _ => return Err(CodecError::Invalid("fact")),
    })
}

/// Ascending indices, as the first and the gaps.
fn put_ascending(w: &mut Writer, v: &[usize]) {
    w.uvar(v.len() as u64);
    let mut last = 0usize;
    for &i in v {
        w.uvar(i.wrapping_sub(last) as u64);
        last = i;
    }
}

/// What [`put_ascending`] wrote; indices that do not ascend are refused.
fn get_ascending(r: &mut Reader) -> Result<Vec<usize>, CodecError> {
    let n = r.count()?;
    let mut out = Vec::with_capacity(n);
    let mut last = 0usize;
    for k in 0..n {
        let gap = get_usize(r)?;
        if k > 0 && gap == 0 {
            return Err(CodecError::Invalid("event index"));
        }
        last = last.checked_add(gap).ok_or(CodecError::Invalid("event index"))?;
        out.push(last);
    }
    Ok(out)
}

fn put_finding(w: &mut Writer, f: &Finding) {
    put_str(w, f.rule);
    put_variant(w, &ALERT_KINDS, &f.kind);
    w.uvar(u64::from(f.user));
    w.uvar(u64::from(f.patient));
    put_ascending(w, &f.events);
    w.uvar(f.facts.len() as u64);
    f.facts.iter().for_each(|fact| put_fact(w, fact));
    put_bool(w, f.downgraded);
}

fn get_finding(r: &mut Reader) -> Result<Finding, CodecError> {
    let rule = get_label(r)?;
    let kind = get_variant(r, &ALERT_KINDS, "alert kind")?;
    let (user, patient) = (r.u32()?, r.u32()?);
    let events = get_ascending(r)?;
    let n = r.count()?;
    let facts = (0..n).map(|_| get_fact(r)).collect::<Result<_, _>>()?;
    Ok(Finding { rule, kind, user, patient, events, facts, downgraded: get_bool(r)? })
}

fn put_findings(w: &mut Writer, v: &[Finding]) {
    w.uvar(v.len() as u64);
    v.iter().for_each(|f| put_finding(w, f));
}

fn get_findings(r: &mut Reader) -> Result<Vec<Finding>, CodecError> {
    let n = r.count()?;
    (0..n).map(|_| get_finding(r)).collect()
}

/// Per rule, (fact, weight) pairs ([`Weights`]' stronger and weaker).
fn put_fact_weights(w: &mut Writer, m: &std::collections::BTreeMap<&'static str, Vec<(Fact, f64)>>) {
    w.uvar(m.len() as u64);
    for (rule, pairs) in m {
        put_str(w, rule);
        w.uvar(pairs.len() as u64);
        for (fact, weight) in pairs {
            put_fact(w, fact);
            w.f64(*weight);
        }
    }
}

#[allow(clippy::type_complexity)]
fn get_fact_weights(r: &mut Reader) -> Result<std::collections::BTreeMap<&'static str, Vec<(Fact, f64)>>, CodecError> {
    let n = r.count()?;
    let mut m = std::collections::BTreeMap::new();
    for _ in 0..n {
        let rule = get_label(r)?;
        let k = r.count()?;
        let pairs = (0..k).map(|_| Ok((get_fact(r)?, r.f64()?))).collect::<Result<Vec<_>, CodecError>>()?;
        m.insert(rule, pairs);
    }
    Ok(m)
}

/// A detection: its findings, the rules skipped (and why), the downgraded
/// findings, the count per rule, the weights and the rules' order.
fn put_detection(w: &mut Writer, d: &Detection) {
    put_findings(w, &d.findings);
    w.uvar(d.skipped.len() as u64);
    for s in &d.skipped {
        put_str(w, s.rule);
        put_str(w, &s.reason);
    }
    put_findings(w, &d.downgraded);
    w.uvar(d.per_rule.len() as u64);
    for (rule, n) in &d.per_rule {
        put_str(w, rule);
        w.uvar(*n);
    }
    w.uvar(d.weights.rule.len() as u64);
    for (rule, weight) in &d.weights.rule {
        put_str(w, rule);
        w.f64(*weight);
    }
    put_fact_weights(w, &d.weights.stronger);
    put_fact_weights(w, &d.weights.weaker);
    w.uvar(d.order.len() as u64);
    d.order.iter().for_each(|rule| put_str(w, rule));
}

fn get_detection(r: &mut Reader) -> Result<Detection, CodecError> {
    let findings = get_findings(r)?;
    let n = r.count()?;
    let skipped = (0..n)
        .map(|_| Ok(SkippedRule { rule: get_label(r)?, reason: get_string(r)? }))
        .collect::<Result<_, CodecError>>()?;
    let downgraded = get_findings(r)?;
    let n = r.count()?;
    let mut per_rule = std::collections::BTreeMap::new();
    for _ in 0..n {
        per_rule.insert(get_label(r)?, r.uvar()?);
    }
    let n = r.count()?;
    let mut rule = std::collections::BTreeMap::new();
    for _ in 0..n {
        rule.insert(get_label(r)?, r.f64()?);
    }
    let weights = Weights { rule, stronger: get_fact_weights(r)?, weaker: get_fact_weights(r)? };
    let n = r.count()?;
    let order = (0..n).map(|_| get_label(r)).collect::<Result<_, _>>()?;
    Ok(Detection { findings, skipped, downgraded, per_rule, weights, order })
}

/// Events, column by column (times as gaps from the previous event).
fn put_events(w: &mut Writer, e: &Events) {
    w.uvar(e.len() as u64);
    e.user.iter().for_each(|&c| w.uvar(u64::from(c)));
    e.patient.iter().for_each(|&c| w.uvar(u64::from(c)));
    let mut last = 0i64;
    for &t in &e.ts {
        w.ivar(t.wrapping_sub(last));
        last = t;
    }
    e.action.iter().for_each(|a| put_variant(w, &Action::ALL, a));
    e.category.iter().for_each(|c| put_variant(w, &DataCategory::ALL, c));
    for column in [&e.workstation, &e.ip, &e.department] {
        column.iter().for_each(|&c| w.uvar(u64::from(c)));
    }
    e.break_glass.iter().for_each(|&b| put_bool(w, b));
    e.source_file.iter().for_each(|&f| w.uvar(u64::from(f)));
    e.source_line.iter().for_each(|&l| w.uvar(l));
}

fn get_events(r: &mut Reader) -> Result<Events, CodecError> {
    let n = r.count()?;
    let codes = |r: &mut Reader| (0..n).map(|_| r.u32()).collect::<Result<Vec<_>, _>>();
    let user = codes(r)?;
    let patient = codes(r)?;
    let mut last = 0i64;
    let mut ts = Vec::with_capacity(n);
    for _ in 0..n {
        last = last.wrapping_add(r.ivar()?);
        ts.push(last);
    }
    let action = (0..n).map(|_| get_variant(r, &Action::ALL, "action")).collect::<Result<_, _>>()?;
    let category = (0..n).map(|_| get_variant(r, &DataCategory::ALL, "data category")).collect::<Result<_, _>>()?;
    let (workstation, ip, department) = (codes(r)?, codes(r)?, codes(r)?);
    let break_glass = (0..n).map(|_| get_bool(r)).collect::<Result<_, _>>()?;
    let source_file = codes(r)?;
    let source_line = (0..n).map(|_| r.uvar()).collect::<Result<_, _>>()?;
    Ok(Events {
        user,
        patient,
        ts,
        action,
        category,
        workstation,
        ip,
        department,
        break_glass,
        source_file,
        source_line,
    })
}

/// The result of pass 4 on the `part`-th partition: its findings (event
/// indices into the whole run) and the evidence they need (each kept
/// event's index in the run, the events, their explanations).
pub fn encode_detect(part: u32, found: &Found) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, PASS_DETECT, part);
    let (detection, index, events, kinds) = found.parts();
    put_detection(&mut w, detection);
    put_ascending(&mut w, index);
    let mut all = Events::default();
    for e in events {
        all.append(e.clone());
    }
    put_events(&mut w, &all);
    put_kinds(&mut w, kinds);
    w.finish()
}

/// Reads back what [`encode_detect`] wrote. Refuses a result whose kept
/// evidence and explanations differ in length, or a finding whose
/// evidence was not kept.
pub fn decode_detect(bytes: &[u8]) -> Result<(u32, Found), CodecError> {
    let mut r = Reader::new(bytes);
    let part = get_header(&mut r, PASS_DETECT)?;
    let detection = get_detection(&mut r)?;
    let index = get_ascending(&mut r)?;
    let events = get_events(&mut r)?;
    let kinds = get_kinds(&mut r)?;
    r.end()?;
    if events.len() != index.len() || kinds.len() != index.len() {
        return Err(CodecError::Invalid("evidence"));
    }
    let kept = |i: &usize| index.binary_search(i).is_ok();
    if !detection.findings.iter().chain(&detection.downgraded).all(|f| f.events.iter().all(kept)) {
        return Err(CodecError::Invalid("finding's evidence"));
    }
    Ok((part, Found::from_parts(detection, index, events, kinds)))
}

fn put_f64s(w: &mut Writer, v: &[f64]) {
    w.uvar(v.len() as u64);
    v.iter().for_each(|&x| w.f64(x));
}

fn get_f64s(r: &mut Reader) -> Result<Vec<f64>, CodecError> {
    let n = r.count()?;
    (0..n).map(|_| r.f64()).collect()
}

fn put_rows(w: &mut Writer, v: &[[f64; 12]]) {
    w.uvar(v.len() as u64);
    v.iter().flatten().for_each(|&x| w.f64(x));
}

fn get_rows(r: &mut Reader) -> Result<Vec<[f64; 12]>, CodecError> {
    let n = r.count()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut row = [0.0; 12];
        for x in row.iter_mut() {
            *x = r.f64()?;
        }
        out.push(row);
    }
    Ok(out)
}

fn put_peers(w: &mut Writer, g: &PeerGroups) {
    w.uvar(g.k as u64);
    w.f64(g.silhouette);
    w.uvar(g.assignment.len() as u64);
    g.assignment.iter().for_each(|&a| w.uvar(a as u64));
    put_f64s(w, &g.outlier);
    put_bool(w, g.membership_probability.is_some());
    if let Some(p) = &g.membership_probability {
        put_f64s(w, p);
    }
    w.uvar(g.labels.len() as u64);
    g.labels.iter().for_each(|l| put_str(w, l));
    w.uvar(g.sizes.len() as u64);
    g.sizes.iter().for_each(|&s| w.uvar(s as u64));
    put_rows(w, &g.medians);
    w.uvar(g.matches_role.len() as u64);
    g.matches_role.iter().for_each(|&m| put_bool(w, m));
    let (scaling, centroids) = g.scaling_and_centroids();
    w.uvar(scaling.len() as u64);
    for &(median, spread) in scaling {
        w.f64(median);
        w.f64(spread);
    }
    put_rows(w, centroids);
}

/// What [`put_peers`] wrote, for `n` users: every per-user list of `n`,
/// every per-group list of `k`, every group below `k`.
fn get_peers(r: &mut Reader, n: usize) -> Result<PeerGroups, CodecError> {
    let k = get_usize(r)?;
    let silhouette = r.f64()?;
    let m = r.count()?;
    let assignment = (0..m).map(|_| get_usize(r)).collect::<Result<Vec<_>, _>>()?;
    let outlier = get_f64s(r)?;
    let membership_probability = get_bool(r)?.then(|| get_f64s(r)).transpose()?;
    let m = r.count()?;
    let labels = (0..m).map(|_| get_string(r)).collect::<Result<Vec<_>, _>>()?;
    let m = r.count()?;
    let sizes = (0..m).map(|_| get_usize(r)).collect::<Result<Vec<_>, _>>()?;
    let medians = get_rows(r)?;
    let m = r.count()?;
    let matches_role = (0..m).map(|_| get_bool(r)).collect::<Result<Vec<_>, _>>()?;
    let m = r.count()?;
    let scaling = (0..m).map(|_| Ok((r.f64()?, r.f64()?))).collect::<Result<Vec<_>, CodecError>>()?;
    let centroids = get_rows(r)?;
    let per_user = [assignment.len(), outlier.len(), matches_role.len()];
    let per_group = [labels.len(), sizes.len(), medians.len(), centroids.len()];
    if per_user.iter().any(|&len| len != n)
        || membership_probability.as_ref().is_some_and(|p| p.len() != n)
        || per_group.iter().any(|&len| len != k)
        || assignment.iter().any(|&g| g >= k)
        || scaling.len() != 12
    {
        return Err(CodecError::Invalid("peer groups"));
    }
    let mut groups = PeerGroups::default();
    (groups.k, groups.silhouette, groups.assignment, groups.outlier) = (k, silhouette, assignment, outlier);
    (groups.membership_probability, groups.labels, groups.sizes) = (membership_probability, labels, sizes);
    (groups.medians, groups.matches_role) = (medians, matches_role);
    Ok(groups.with_scaling_and_centroids(scaling, centroids))
}

/// What the driver sends every pass-4 task: every user's features
/// (without the daily series, which each partition computes again) and
/// the peer groups, for a run of `n_users` user codes.
pub fn encode_everyone(features: &UserFeatures, n_users: usize) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, PASS_EVERYONE, u32::MAX);
    w.uvar(n_users as u64);
    w.uvar(features.users.len() as u64);
    for (user, s) in &features.users {
        w.uvar(u64::from(*user));
        put_user_stats(&mut w, &UserStats { days: Vec::new(), ..s.clone() });
    }
    put_bool(&mut w, features.peers.is_some());
    if let Some(g) = &features.peers {
        put_peers(&mut w, g);
    }
    w.finish()
}

/// Reads back what [`encode_everyone`] wrote. Users must ascend and be
/// below the run's count of user codes.
pub fn decode_everyone(bytes: &[u8]) -> Result<UserFeatures, CodecError> {
    let mut r = Reader::new(bytes);
    get_header(&mut r, PASS_EVERYONE)?;
    let n_users = get_usize(&mut r)?;
    let n = r.count()?;
    let mut users: Vec<(Code, UserStats)> = Vec::with_capacity(n);
    for _ in 0..n {
        let user = r.u32()?;
        if user as usize >= n_users || users.last().is_some_and(|(last, _)| *last >= user) {
            return Err(CodecError::Invalid("user"));
        }
        users.push((user, get_user_stats(&mut r)?));
    }
    let peers = get_bool(&mut r)?.then(|| get_peers(&mut r, users.len())).transpose()?;
    r.end()?;
    Ok(UserFeatures::assembled(users, peers, n_users))
}

/// The driver's dictionaries (every user, patient, department,
/// workstation and address id, in code order), for executors that read
/// only their partitions' rows of the log and must give them the driver's
/// codes. Unlike every pass result, this holds ids: it is written into
/// the job's owner-only work folder on the shared storage the bundle is
/// read from, never sent through the cluster's messages.
pub fn encode_dictionaries(dict: &Dictionaries) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, PASS_DICTIONARIES, u32::MAX);
    for d in [&dict.users, &dict.patients, &dict.departments, &dict.workstations, &dict.ips] {
        w.uvar(d.len() as u64);
        (0..d.len() as Code).for_each(|c| put_str(&mut w, d.name(c)));
    }
    w.finish()
}

/// Reads back what [`encode_dictionaries`] wrote: the same codes.
pub fn decode_dictionaries(bytes: &[u8]) -> Result<Dictionaries, CodecError> {
    let mut r = Reader::new(bytes);
    get_header(&mut r, PASS_DICTIONARIES)?;
    let mut dict = Dictionaries::default();
    for d in [&mut dict.users, &mut dict.patients, &mut dict.departments, &mut dict.workstations, &mut dict.ips] {
        let n = r.count()?;
        for c in 0..n {
            let id = std::str::from_utf8(r.bytes()?).map_err(|_| CodecError::Invalid("id"))?;
            if d.intern(id) as usize != c {
                return Err(CodecError::Invalid("dictionary"));
            }
        }
    }
    r.end()?;
    Ok(dict)
}

/// The byte of a scan task's answer (pass 0, a slice of the log).
const PASS_SCAN: u8 = 6;
/// The byte of a slice's summary, in the shuffle folder.
const SLICE_SUMMARY: u8 = 7;
/// The byte of a slice's or bucket's events, in the shuffle folder.
const SLICE_EVENTS: u8 = 8;
/// The byte of a slice's join (its codes' maps), in the shuffle folder.
const SLICE_JOIN: u8 = 9;
/// The byte of a shuffle task's answer.
const PASS_SHUFFLE: u8 = 10;

/// What a scan task answers (codes and counts): its slice's accepted
/// events, their time range, and each of the slice's user codes' events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Accepted events.
    pub events: u64,
    /// First and last instant (UTC microseconds).
    pub time: Option<(i64, i64)>,
    /// Events per user code of the slice's own dictionary.
    pub per_user: Vec<u64>,
}

/// A scan task's answer for the `part`-th slice.
pub fn encode_scanned(part: u32, scanned: &Scanned) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, PASS_SCAN, part);
    w.uvar(scanned.events);
    put_bool(&mut w, scanned.time.is_some());
    if let Some((lo, hi)) = scanned.time {
        w.ivar(lo);
        w.ivar(hi);
    }
    w.uvar(scanned.per_user.len() as u64);
    scanned.per_user.iter().for_each(|&n| w.uvar(n));
    w.finish()
}

/// Reads back what [`encode_scanned`] wrote.
pub fn decode_scanned(bytes: &[u8]) -> Result<(u32, Scanned), CodecError> {
    let mut r = Reader::new(bytes);
    let part = get_header(&mut r, PASS_SCAN)?;
    let events = r.uvar()?;
    let time = if get_bool(&mut r)? { Some((r.ivar()?, r.ivar()?)) } else { None };
    let n = r.count()?;
    let per_user = (0..n).map(|_| r.uvar()).collect::<Result<Vec<_>, _>>()?;
    r.end()?;
    if per_user.iter().sum::<u64>() != events {
        return Err(CodecError::Invalid("per-user count"));
    }
    Ok((part, Scanned { events, time, per_user }))
}

/// A shuffle task's answer for the `part`-th slice: the events it wrote
/// into each partition's bucket.
pub fn encode_shuffled(part: u32, per_partition: &[u64]) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, PASS_SHUFFLE, part);
    w.uvar(per_partition.len() as u64);
    per_partition.iter().for_each(|&n| w.uvar(n));
    w.finish()
}

/// Reads back what [`encode_shuffled`] wrote.
pub fn decode_shuffled(bytes: &[u8]) -> Result<(u32, Vec<u64>), CodecError> {
    let mut r = Reader::new(bytes);
    let part = get_header(&mut r, PASS_SHUFFLE)?;
    let n = r.count()?;
    let per = (0..n).map(|_| r.uvar()).collect::<Result<Vec<_>, _>>()?;
    r.end()?;
    Ok((part, per))
}

fn put_dict(w: &mut Writer, d: &crate::model::Dictionary) {
    w.uvar(d.len() as u64);
    (0..d.len() as Code).for_each(|c| put_str(w, d.name(c)));
}

fn get_dict(r: &mut Reader, d: &mut crate::model::Dictionary) -> Result<(), CodecError> {
    let n = r.count()?;
    for c in 0..n {
        let id = std::str::from_utf8(r.bytes()?).map_err(|_| CodecError::Invalid("id"))?;
        if d.intern(id) as usize != c {
            return Err(CodecError::Invalid("dictionary"));
        }
    }
    Ok(())
}

fn put_counts(w: &mut Writer, m: &std::collections::BTreeMap<String, u64>) {
    w.uvar(m.len() as u64);
    for (k, n) in m {
        put_str(w, k);
        w.uvar(*n);
    }
}

fn get_counts(r: &mut Reader) -> Result<std::collections::BTreeMap<String, u64>, CodecError> {
    let n = r.count()?;
    (0..n).map(|_| Ok((get_string(r)?, r.uvar()?))).collect()
}

/// A slice's summary (its own dictionaries, file reports, rejected rows
/// and counts of unknown actions and categories). It holds ids and
/// rejected rows as read: written into the owner-only shuffle folder on
/// the shared storage, never sent through the cluster's messages.
pub fn encode_slice_summary(part: u32, s: &crate::ingest::SliceSummary) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, SLICE_SUMMARY, part);
    for d in [&s.dict.users, &s.dict.patients, &s.dict.departments, &s.dict.workstations, &s.dict.ips] {
        put_dict(&mut w, d);
    }
    w.uvar(s.files.len() as u64);
    for f in &s.files {
        put_str(&mut w, f.table);
        put_str(&mut w, &f.path);
        for n in [f.rows_read, f.rows_accepted, f.rows_rejected] {
            w.uvar(n);
        }
    }
    put_bool(&mut w, s.continues);
    let mut rows = Vec::new();
    // A slice's rejects are held in memory (never spooled): this cannot fail.
    let _ = s.rejects.each_row(&mut |row| rows.push(row));
    w.uvar(rows.len() as u64);
    for row in &rows {
        put_str(&mut w, row.table);
        put_str(&mut w, &row.file);
        w.uvar(row.line);
        put_str(&mut w, &row.column);
        put_str(&mut w, &row.reason);
        put_opt_str(&mut w, &row.value);
        put_str(&mut w, &row.raw);
    }
    w.uvar(s.rejects.unlisted);
    let columns: Vec<_> = s.rejects.column_counts().collect();
    w.uvar(columns.len() as u64);
    for (table, column, n) in columns {
        put_str(&mut w, table);
        put_str(&mut w, column);
        w.uvar(n);
    }
    put_counts(&mut w, &s.other_actions);
    put_counts(&mut w, &s.other_categories);
    put_counts(&mut w, &s.aliased);
    w.finish()
}

/// Reads back what [`encode_slice_summary`] wrote.
pub fn decode_slice_summary(bytes: &[u8]) -> Result<(u32, crate::ingest::SliceSummary), CodecError> {
    use crate::ingest::{FileReport, RejectedRow, Rejects, SliceSummary};
    let mut r = Reader::new(bytes);
    let part = get_header(&mut r, SLICE_SUMMARY)?;
    let mut dict = Dictionaries::default();
    for d in [&mut dict.users, &mut dict.patients, &mut dict.departments, &mut dict.workstations, &mut dict.ips] {
        get_dict(&mut r, d)?;
    }
    let access = |t: String| (t == "access_log").then_some("access_log").ok_or(CodecError::Invalid("table"));
    let n = r.count()?;
    let mut files = Vec::with_capacity(n);
    for _ in 0..n {
        let table = access(get_string(&mut r)?)?;
        let path = get_string(&mut r)?;
        let (rows_read, rows_accepted, rows_rejected) = (r.uvar()?, r.uvar()?, r.uvar()?);
        files.push(FileReport { table, path, rows_read, rows_accepted, rows_rejected });
    }
    let continues = get_bool(&mut r)?;
    let n = r.count()?;
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        rows.push(RejectedRow {
            table: access(get_string(&mut r)?)?,
            file: get_string(&mut r)?,
            line: r.uvar()?,
            column: get_string(&mut r)?,
            reason: get_string(&mut r)?,
            value: get_opt_string(&mut r)?,
            raw: get_string(&mut r)?,
        });
    }
    let unlisted = r.uvar()?;
    let n = r.count()?;
    let columns = (0..n)
        .map(|_| Ok((get_string(&mut r)?, get_string(&mut r)?, r.uvar()?)))
        .collect::<Result<Vec<_>, CodecError>>()?;
    let rejects = Rejects::from_counts(rows, unlisted, columns);
    let other_actions = get_counts(&mut r)?;
    let other_categories = get_counts(&mut r)?;
    let aliased = get_counts(&mut r)?;
    r.end()?;
    Ok((part, SliceSummary { dict, files, continues, rejects, other_actions, other_categories, aliased }))
}

/// Events (a slice's in its own codes, or a bucket's in the run's), for
/// the shuffle folder.
pub fn encode_events(part: u32, events: &Events) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, SLICE_EVENTS, part);
    put_events(&mut w, events);
    w.finish()
}

/// Reads back what [`encode_events`] wrote.
pub fn decode_events(bytes: &[u8]) -> Result<(u32, Events), CodecError> {
    let mut r = Reader::new(bytes);
    let part = get_header(&mut r, SLICE_EVENTS)?;
    let events = get_events(&mut r)?;
    r.end()?;
    Ok((part, events))
}

/// How a slice's events join the run (codes only): its codes' maps and
/// its first file's index in the run's file reports.
pub fn encode_slice_join(part: u32, join: &crate::ingest::SliceJoin) -> Vec<u8> {
    let mut w = Writer::default();
    put_header(&mut w, SLICE_JOIN, part);
    let m = &join.maps;
    for v in [&m.users, &m.patients, &m.departments, &m.workstations, &m.ips] {
        put_codes(&mut w, v);
    }
    w.uvar(u64::from(join.base));
    w.finish()
}

/// Reads back what [`encode_slice_join`] wrote.
pub fn decode_slice_join(bytes: &[u8]) -> Result<(u32, crate::ingest::SliceJoin), CodecError> {
    let mut r = Reader::new(bytes);
    let part = get_header(&mut r, SLICE_JOIN)?;
    let mut maps = crate::model::Recode::default();
    for v in [&mut maps.users, &mut maps.patients, &mut maps.departments, &mut maps.workstations, &mut maps.ips] {
        *v = get_codes(&mut r)?;
    }
    let base = r.u32()?;
    r.end()?;
    Ok((part, crate::ingest::SliceJoin { maps, base }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{measure, span};
    use crate::roles::RoleBook;
    use crate::test_fixture::World;

    /// A small hospital whose pass 1 has visits, coverage, devices, a
    /// class learned from work and charting: oncology's "onc" charts for
    /// "Q-77", whom no encounter lists, and that unlisted visit explains
    /// "onc2"'s look the same day.
    fn world() -> World {
        let mut w = World::new();
        // onc first and onc2 last: a cut of three puts them apart.
        w.user("onc").department("ONC");
        w.user("med").department("MED");
        w.user("cons").department("CONS");
        w.user("rn").department("MED").role("nurse");
        for i in 0..5 {
            let p = format!("P{i}");
            w.patient(&p);
            w.encounter(&p, "MED", "2026-11-01 08:00:00", Some("2026-11-03 08:00:00"), Some("med"));
            w.access_from("2026-11-02 09:00:00", "med", &p, "view", "WS-1", "10.0.0.1");
            w.access_from("2026-11-02 10:00:00", "cons", &p, "create", "WS-2", "10.0.0.2");
            w.access_from("2026-11-02 11:00:00", "rn", &p, "view", "WS-3", "10.0.0.3");
        }
        w.access_from("2026-11-27 23:20:00", "rn", "P3", "export", "WS-9", "10.0.9.9");
        w.user("onc2").department("ONC");
        w.patient("Q-77");
        w.access_from("2026-11-10 09:00:00", "onc", "Q-77", "create", "WS-4", "10.0.0.4");
        w.access_from("2026-11-10 14:00:00", "onc2", "Q-77", "view", "WS-5", "10.0.0.5");
        w
    }

    fn spanned(w: &World) -> (Vec<Explanation>, Spans) {
        let data = w.build();
        let book = RoleBook::from_titles(data.roster.as_ref(), &w.config.explain.titles);
        span(&data, &w.config, &book)
    }

    /// Everything a pass-1 result holds, as comparable values.
    fn flat(direct: &[Explanation], s: &Spans) -> impl PartialEq + std::fmt::Debug {
        let (visits, charting, coverage, p, learned) = s.parts();
        let visits: Vec<(Vec<usize>, Vec<(i32, Code)>)> =
            visits.iter().map(|v| (v.parts().0.to_vec(), v.parts().1.to_vec())).collect();
        let charting: Vec<Charting> = charting.to_vec();
        let population = (
            p.workstation_first.clone(),
            p.ip_first.clone(),
            p.ip_network.clone(),
            p.any_device,
            p.any_break_glass,
            p.department_first.clone(),
        );
        (direct.to_vec(), visits, charting, coverage.entries(), population, learned.to_vec())
    }

    #[test]
    fn a_pass_one_result_reads_back_as_written() {
        let w = world();
        let (direct, spans) = spanned(&w);
        assert!(!direct.is_empty());
        let (_, charting, coverage, population, _) = spans.parts();
        assert!(!coverage.entries().is_empty(), "the world has department coverage");
        assert!(charting.iter().any(|c| !c.parts().1.is_empty()), "the world has charting");
        assert!(population.any_device);
        let bytes = encode_span(7, &direct, &spans);
        let (part, direct2, spans2) = decode_span(&bytes).expect("decodes");
        assert_eq!(part, 7);
        assert_eq!(flat(&direct, &spans), flat(&direct2, &spans2));
    }

    /// Whether `id` is in `bytes` past the header (whose magic, `EWP4`,
    /// holds the fixtures' "P3").
    fn travels(bytes: &[u8], id: &str) -> bool {
        bytes[MAGIC.len()..].windows(id.len()).any(|win| win == id.as_bytes())
    }

    #[test]
    fn a_result_carries_codes_not_ids() {
        let w = world();
        let (direct, spans) = spanned(&w);
        let bytes = encode_span(0, &direct, &spans);
        for id in ["med", "cons", "onc", "P3", "Q-77", "WS-9", "10.0.9.9", "MED", "ONC"] {
            assert!(!travels(&bytes, id), "{id} travels");
        }
    }

    #[test]
    fn damaged_results_are_errors_not_panics() {
        let w = world();
        let (direct, spans) = spanned(&w);
        let bytes = encode_span(1, &direct, &spans);
        for cut in 0..bytes.len() {
            assert!(decode_span(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_span(&longer).err(), Some(CodecError::Trailing(1)));
        let mut wrong = bytes.clone();
        wrong[0] = b'X';
        assert_eq!(decode_span(&wrong).err(), Some(CodecError::Header));
        // Every single-byte change decodes to an error or to some result,
        // never a panic.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            let _ = decode_span(&b);
        }
    }

    /// Pass 1 "elsewhere": each partition spanned on its own copy of the
    /// bundle and sent through the codec, as an executor does.
    struct Loopback {
        world: World,
        n: usize,
        /// The merged spans as pass 2 was sent them (pass 4 reads them too).
        spans: std::sync::Mutex<Vec<u8>>,
    }

    impl crate::pipeline::Elsewhere for Loopback {
        fn partitions(&self) -> usize {
            self.n
        }

        fn span_all(
            &self,
            plan: &[std::ops::Range<Code>],
            _dict: &Dictionaries,
        ) -> Result<Vec<(Vec<Explanation>, Spans)>, crate::error::Error> {
            let (mut data, whole) = self.world.build().with_events(crate::model::Partition::default());
            let cut = crate::pipeline::Cut::new(whole, 1);
            let book = RoleBook::from_titles(data.roster.as_ref(), &self.world.config.explain.titles);
            let mut out = Vec::new();
            for (k, users) in plan.iter().enumerate().rev() {
                data.events = cut.events_of(users.clone());
                let (direct, spans) = span(&data, &self.world.config, &book);
                let (part, direct, spans) = decode_span(&encode_span(k as u32, &direct, &spans)).expect("decodes");
                assert_eq!(part as usize, k);
                out.push((direct, spans));
            }
            out.reverse();
            Ok(out)
        }

        fn measure_all(
            &self,
            plan: &[std::ops::Range<Code>],
            spans: &Spans,
            direct: &dyn Fn(usize) -> Result<Vec<Explanation>, crate::error::Error>,
        ) -> Result<Vec<(Vec<Explanation>, Measures)>, crate::error::Error> {
            // The merged spans travel as a pass-1 result of no events; this
            // side learns the care teams from them on its own copy.
            let broadcast = encode_span(u32::MAX, &[], spans);
            *self.spans.lock().expect("spans") = broadcast.clone();
            let (mut data, whole) = self.world.build().with_events(crate::model::Partition::default());
            let cut = crate::pipeline::Cut::new(whole, 1);
            let book = RoleBook::from_titles(data.roster.as_ref(), &self.world.config.explain.titles);
            let (_, _, spans) = decode_span(&broadcast).expect("decodes");
            let spanning = spans.finish(&data, book, &self.world.config);
            let mut out = Vec::new();
            for (k, users) in plan.iter().enumerate().rev() {
                data.events = cut.events_of(users.clone());
                let (kinds, measured) = measure(&data, direct(k)?, &spanning, &self.world.config);
                let (part, kinds, measured) =
                    decode_measure(&encode_measure(k as u32, &kinds, &measured)).expect("decodes");
                assert_eq!(part as usize, k);
                out.push((kinds, measured));
            }
            out.reverse();
            Ok(out)
        }

        fn detect_all(
            &self,
            plan: &[std::ops::Range<Code>],
            features: &UserFeatures,
            firsts: &[usize],
            kinds: &dyn Fn(usize) -> Result<Vec<Explanation>, crate::error::Error>,
        ) -> Result<Vec<Found>, crate::error::Error> {
            // Everyone's features travel; this side finishes the spans and
            // builds who is who to whom on its own copy, as an executor.
            let everyone = decode_everyone(&encode_everyone(features, features.codes())).expect("decodes");
            let (mut data, whole) = self.world.build().with_events(crate::model::Partition::default());
            let cut = crate::pipeline::Cut::new(whole, 1);
            let book = RoleBook::from_titles(data.roster.as_ref(), &self.world.config.explain.titles);
            let (_, _, spans) = decode_span(&self.spans.lock().expect("spans")).expect("decodes");
            let spanning = spans.finish(&data, book, &self.world.config);
            let mut everyone = crate::pipeline::Everyone::from_spanning(everyone, &spanning, &data, &self.world.config);
            let mut out = Vec::new();
            for (k, users) in plan.iter().enumerate().rev() {
                data.events = cut.events_of(users.clone());
                let found = everyone.detect_in(&data, kinds(k)?, &self.world.config, firsts[k], true, None);
                let (part, found) = decode_detect(&encode_detect(k as u32, &found)).expect("decodes");
                assert_eq!(part as usize, k);
                out.push(found);
            }
            out.reverse();
            Ok(out)
        }
    }

    /// Pass 2 on the whole world: its explanations and measures.
    fn measured(w: &World) -> (Vec<Explanation>, Measures) {
        let data = w.build();
        let book = RoleBook::from_titles(data.roster.as_ref(), &w.config.explain.titles);
        let (direct, spans) = span(&data, &w.config, &book);
        let spanning = spans.finish(&data, book, &w.config);
        measure(&data, direct, &spanning, &w.config)
    }

    #[test]
    fn a_pass_two_result_reads_back_as_written() {
        let w = world();
        let (kinds, measures) = measured(&w);
        let (users, totals) = measures.parts();
        assert!(users.len() >= 3, "every user is measured");
        assert!(users.iter().any(|(_, s)| !s.days.is_empty() && s.usual_hours.count() > 0));
        assert!(users.iter().any(|(_, s)| s.busiest.later_patients > 0 && s.busiest.peak_hour_patients > 0));
        assert!(users.iter().any(|(_, s)| s.has_home));
        assert!(users.iter().any(|(_, s)| s.profile().values.iter().any(|v| *v != 0.0 && v.fract() != 0.0)));
        assert!(totals[Explanation::UnlistedVisit as usize] > 0, "an unlisted visit explains onc2's look");
        let bytes = encode_measure(4, &kinds, &measures);
        let (part, kinds2, back) = decode_measure(&bytes).expect("decodes");
        assert_eq!(part, 4);
        assert_eq!(kinds, kinds2);
        assert_eq!(back.parts().0, users);
        assert_eq!(back.parts().1, totals);
        // The profile computed from what travelled is the same, bit for bit.
        for ((_, a), (_, b)) in users.iter().zip(back.parts().0) {
            let bits = |s: &UserStats| s.profile().values.map(f64::to_bits);
            assert_eq!(bits(a), bits(b));
        }
        for id in ["med", "cons", "P3", "Q-77", "WS-9", "MED", "ONC"] {
            assert!(!travels(&bytes, id), "{id} travels");
        }
    }

    #[test]
    fn damaged_pass_two_results_are_errors_not_panics() {
        let w = world();
        let (kinds, measures) = measured(&w);
        let bytes = encode_measure(2, &kinds, &measures);
        for cut in 0..bytes.len() {
            assert!(decode_measure(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_measure(&longer).err(), Some(CodecError::Trailing(1)));
        // A pass-1 result is not a pass-2 result, nor the other way round.
        let (direct, spans) = spanned(&w);
        assert_eq!(decode_measure(&encode_span(2, &direct, &spans)).err(), Some(CodecError::Header));
        assert_eq!(decode_span(&bytes).err(), Some(CodecError::Header));
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            let _ = decode_measure(&b);
        }
        // An explanation byte past the last kind is refused; the last kind
        // is read.
        let mut last = Writer::default();
        put_kinds(&mut last, &[Explanation::UnlistedVisit]);
        assert_eq!(get_kinds(&mut Reader::new(&last.finish())), Ok(vec![Explanation::UnlistedVisit]));
        let mut past = Writer::default();
        past.bytes(&[Explanation::KINDS as u8]);
        assert_eq!(get_kinds(&mut Reader::new(&past.finish())), Err(CodecError::Invalid("explanation")));
        // A count past u32 is refused.
        let mut big = Writer::default();
        big.uvar(u64::from(u32::MAX) + 1);
        assert_eq!(get_u32s::<1>(&mut Reader::new(&big.finish())), Err(CodecError::Invalid("count")));
        // Usual hours past 23 are refused.
        let mut w2 = Writer::default();
        w2.uvar(1 << 24);
        let raw = w2.finish();
        assert_eq!(UsualHours::from_mask(1 << 24, true), None);
        assert!(Reader::new(&raw).u32().is_ok_and(|m| UsualHours::from_mask(m, false).is_none()));
    }

    /// Each user's features without the daily series (a partitioned run
    /// keeps it only while the user's partition is worked on; `busiest`
    /// stays).
    fn without_days(a: &crate::pipeline::Analysed) -> Vec<(Code, UserStats)> {
        let mut users = a.features.users.clone();
        for (_, s) in &mut users {
            s.days = Vec::new();
        }
        users
    }

    /// `make()`'s world analysed locally, and in three partitions through
    /// the codec (a loopback "cluster"), with the split's plan.
    fn local_and_split(
        make: fn() -> World,
    ) -> (crate::pipeline::Analysed, crate::pipeline::Analysed, Vec<std::ops::Range<Code>>) {
        use crate::pipeline::{analyse, analyse_with, Cut, Partitions, Resident};
        use crate::progress::Progress;
        let w = make();
        let progress = Progress::hidden();
        let (data, whole) = w.build().with_events(());
        let local = analyse(data, &Resident::new(whole), &w.config, &progress, &mut |_| {}).expect("local");
        let remote = Loopback { world: make(), n: 3, spans: Default::default() };
        let (data, whole) = w.build().with_events(());
        let cut = Cut::new(whole, 3);
        assert_eq!(cut.plan().len(), 3, "{:?}", cut.plan());
        let plan = cut.plan();
        let split = analyse_with(data, &cut, Some(&remote), &w.config, &progress, &mut |_| {}).expect("remote");
        (local, split, plan)
    }

    #[test]
    fn passes_one_two_and_four_through_the_codec_on_three_partitions_give_what_a_local_run_gives() {
        let (local, split, plan) = local_and_split(world);
        assert_eq!(split.partitions, 3);
        assert!(!local.detection.findings.is_empty() || !local.detection.per_rule.is_empty());
        assert_eq!(local.detection.findings, split.detection.findings);
        assert_eq!(local.detection.per_rule, split.detection.per_rule);
        assert_eq!(local.explained.kind, split.explained.kind);
        assert_eq!(local.explained.totals(), split.explained.totals());
        assert_eq!(local.data.events.run_index(), split.data.events.run_index());
        assert!(local.features.users.iter().any(|(_, s)| s.days.len() > 1 && s.patient_accesses > 0));
        assert!(split.features.users.iter().all(|(_, s)| s.days.is_empty()), "partitioned, the series go");
        assert_eq!(without_days(&local), without_days(&split));
        // The unlisted visit crossed partitions: onc's charting (pass 1 of
        // one partition) explains onc2's look (pass 2 of another).
        let unlisted = Explanation::UnlistedVisit as usize;
        assert!(local.explained.totals()[unlisted] > 0, "an unlisted visit explains something");
        let (onc, onc2) =
            (local.data.dict.users.get("onc").expect("onc"), local.data.dict.users.get("onc2").expect("onc2"));
        let part_of = |u: Code| plan.iter().position(|r| r.contains(&u));
        assert_ne!(part_of(onc), part_of(onc2), "{plan:?}: onc and onc2 in one partition");
        assert_eq!(local.features.peers, split.features.peers);
    }

    /// A consult service charting on the MED unit's patients, a MED nurse
    /// who opens a VIP's chart at night, and a registrar opening her
    /// relative's record at night (the analysis tests' hospital): pass 4
    /// finds relationship and sensitive-chart findings with facts.
    fn hospital() -> World {
        let mut w = World::new();
        w.user("med").department("MED");
        w.user("cons").department("CONS");
        w.user("rn").department("MED").role("nurse");
        w.user("reg").department("REG").name("Maria", "Lopez").address("12 Oak Street Apt 4B");
        for i in 0..8 {
            let p = format!("P{i}");
            w.patient(&p);
            w.encounter(&p, "MED", "2026-11-01 08:00:00", Some("2026-11-03 08:00:00"), Some("med"));
            w.access_from("2026-11-02 09:00:00", "med", &p, "view", "WS-1", "10.0.0.1");
            w.access_from("2026-11-02 10:00:00", "cons", &p, "create", "WS-2", "10.0.0.2");
            w.access_from("2026-11-02 11:00:00", "rn", &p, "view", "WS-3", "10.0.0.3");
        }
        w.patient("VIP-9").vip();
        w.access_from("2026-11-25 23:40:00", "rn", "VIP-9", "view", "WS-3", "10.0.0.3");
        w.patient("REL").name("Jose", "Lopez").address("12 OAK ST #4b");
        w.access_from("2026-11-26 23:10:00", "reg", "REL", "view", "WS-9", "10.0.9.9");
        w.access_from("2026-11-26 23:12:00", "reg", "REL", "print", "WS-9", "10.0.9.9");
        w.access_from("2026-11-27 23:20:00", "rn", "P3", "export", "WS-9", "10.0.9.9");
        w
    }

    /// Passes 1 to 4 on the whole world as one partition: pass 4's result
    /// and every user's features.
    fn detected(w: &World) -> (Found, UserFeatures) {
        let data = w.build();
        let book = RoleBook::from_titles(data.roster.as_ref(), &w.config.explain.titles);
        let (direct, spans) = span(&data, &w.config, &book);
        let spanning = spans.finish(&data, book.clone(), &w.config);
        let (kinds, measures) = measure(&data, direct, &spanning, &w.config);
        let features = crate::features::finish(measures.parts().0.to_vec(), &data, &book, &w.config.peers);
        let mut everyone = crate::pipeline::Everyone::from_spanning(features.clone(), &spanning, &data, &w.config);
        (everyone.detect_in(&data, kinds, &w.config, 0, false, None), features)
    }

    /// Everything a pass-4 result holds, as comparable text and values.
    fn flat_found(f: &Found) -> impl PartialEq + std::fmt::Debug {
        let (d, index, events, kinds) = f.parts();
        (
            (d.findings.clone(), d.downgraded.clone(), d.skipped.clone(), d.per_rule.clone(), d.order.clone()),
            format!("{:?}", d.weights),
            index.to_vec(),
            format!("{events:?}"),
            kinds.to_vec(),
        )
    }

    #[test]
    fn a_pass_four_result_reads_back_as_written() {
        let w = hospital();
        let (found, _) = detected(&w);
        let (d, index, _, _) = found.parts();
        assert!(d.findings.iter().any(|f| f.rule == "family" && !f.facts.is_empty()), "{:?}", d.findings);
        assert!(d.findings.iter().any(|f| f.facts.contains(&Fact::VipPatient)), "{:?}", d.findings);
        assert!(d.findings.iter().all(|f| !f.events.is_empty() && !f.facts.is_empty()));
        assert!(!index.is_empty() && !d.order.is_empty() && !d.weights.rule.is_empty());
        let bytes = encode_detect(5, &found);
        let (part, back) = decode_detect(&bytes).expect("decodes");
        assert_eq!(part, 5);
        assert_eq!(flat_found(&found), flat_found(&back));
        for id in ["reg", "REL", "VIP-9", "Lopez", "Maria", "Oak", "OAK", "WS-9", "10.0.9.9"] {
            assert!(!travels(&bytes, id), "{id} travels");
        }
    }

    /// One of every fact, each field away from its default.
    fn every_fact() -> Vec<Fact> {
        use chrono::NaiveDate;
        let day = NaiveDate::from_ymd_opt(2026, 3, 14).expect("date");
        vec![
            Fact::OwnRecord,
            Fact::SharesSurnameAndHome,
            Fact::NamedAsContact { relationship: Some("spouse".into()) },
            Fact::NamedAsContact { relationship: None },
            Fact::NamesakeContact { relationship: Some("son".into()) },
            Fact::ContactUnderOtherSurname { relationship: Some("mother".into()), shared: SharedAddress::Patient },
            Fact::ContactUnderOtherSurname { relationship: None, shared: SharedAddress::Contact },
            Fact::SharesSurname,
            Fact::CoworkerPatient { same_department: true },
            Fact::Neighbour { distance_m: Some(87.25), same_street: true, same_home: false, same_block: false },
            Fact::Neighbour { distance_m: None, same_street: false, same_home: true, same_block: false },
            Fact::Neighbour { distance_m: None, same_street: false, same_home: false, same_block: true },
            Fact::VipPatient,
            Fact::DeceasedPatient { died: day, days_after: 12 },
            Fact::RestrictedChart,
            Fact::NoSensitiveSection,
            Fact::SensitiveCategories { categories: vec!["hiv", "substance_use"] },
            Fact::SensitiveFocus { sensitive: 8, of: 9, usual_per_mille: 4 },
            Fact::Glance { accesses: 2, charts: 6, least: 9 },
            Fact::BreakGlass { count: 3 },
            Fact::AfterTermination { date: day, days: 40 },
            Fact::BulkExtraction { patients: 120, window: "1 hour", what: "printed or exported", baseline: 2.5 },
            Fact::FormerPatient { department: "ICU".into(), days_since: 200 },
            Fact::OffList { list: 34, mean_days: 5.9, active_days: 20, expected: 0.3, observed: 7 },
            Fact::OffTeam { team: 45, observed: 3 },
            Fact::PopulationLevel {
                explanation: Explanation::RoleTiming,
                class: Some(RoleClass::ALL[3]),
                round: "queue",
                routine: Some(4),
                department: Some("ED".into()),
            },
            Fact::PopulationLevel {
                explanation: Explanation::UnlistedVisit,
                class: None,
                round: "visit",
                routine: None,
                department: None,
            },
            Fact::UnitRound { department: "MED".into(), others: 2, days: 9, patients: 31 },
            Fact::BulkAllExtraction {
                patients: 80,
                window: "1 day",
                linked: 61,
                baseline: 3.0,
                peers_busiest: 7.5,
                peers: "peer group 3 (mostly nurses)".into(),
            },
            Fact::SlowExfiltration { days: 4, span_days: 11, patients: 35, baseline: 1.5 },
            Fact::NewDeviceOddHours {
                workstations: 1,
                ips: 2,
                after_hours: 14,
                unexplained_patients: 9,
                unseen_in_hospital: 1,
            },
            Fact::UnexplainedBreadth {
                patients: 44,
                days: 12,
                peer_median: 6.5,
                peer_label: "mostly clerks".into(),
                in_rounds: 3,
                team_only: 2,
            },
            Fact::PeerOutlier {
                score: 4.25,
                label: "mostly physicians".into(),
                size: 17,
                drivers: vec![("after-hours share", 0.4, 0.05), ("patients a day", 30.0, 8.0)],
            },
            Fact::AlsoIncludes { charts: vec![("restricted chart", "restricted charts", 3)] },
            Fact::BeforeHire { date: day, days: 6 },
        ]
    }

    #[test]
    fn every_fact_reads_back_as_written() {
        let facts = every_fact();
        // Every variant is here: the labels of the list cover all of them.
        let labels: std::collections::BTreeSet<&str> = facts.iter().map(Fact::label).collect();
        assert!(labels.len() >= 25, "{labels:?}");
        for fact in facts {
            let mut w = Writer::default();
            put_fact(&mut w, &fact);
            let bytes = w.finish();
            let mut r = Reader::new(&bytes);
            assert_eq!(get_fact(&mut r).as_ref(), Ok(&fact));
            assert_eq!(r.end(), Ok(()), "{fact:?}");
            // Cut short, it is an error.
            for cut in 1..bytes.len() {
                assert!(get_fact(&mut Reader::new(&bytes[..cut])).is_err(), "{fact:?} cut at {cut}");
            }
        }
        assert_eq!(get_fact(&mut Reader::new(&[30])), Err(CodecError::Invalid("fact")));
        // A label read twice is one `&'static str`.
        let (a, b) = (intern("1 hour").expect("label"), intern(&String::from("1 hour")).expect("label"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(intern(&"x".repeat(300)), Err(CodecError::Invalid("label")));
    }

    #[test]
    fn damaged_pass_four_results_are_errors_not_panics() {
        let w = hospital();
        let (found, features) = detected(&w);
        let bytes = encode_detect(0, &found);
        for cut in 0..bytes.len() {
            assert!(decode_detect(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_detect(&longer).err(), Some(CodecError::Trailing(1)));
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            let _ = decode_detect(&b);
        }
        // A finding whose evidence did not travel is refused.
        let (d, index, events, kinds) = found.parts();
        let lost = Found::from_parts(
            Detection {
                findings: d.findings.clone(),
                skipped: Vec::new(),
                downgraded: Vec::new(),
                per_rule: Default::default(),
                weights: Weights::default(),
                order: Vec::new(),
            },
            index[1..].to_vec(),
            events[0].gather(&(1..index.len()).collect::<Vec<_>>()),
            kinds[1..].to_vec(),
        );
        assert!(d.findings.iter().any(|f| f.events.contains(&index[0])), "the first kept event is evidence");
        assert_eq!(decode_detect(&encode_detect(0, &lost)).err(), Some(CodecError::Invalid("finding's evidence")));
        // Everyone's features, cut short or flipped, likewise.
        let everyone = encode_everyone(&features, features.codes());
        for cut in 0..everyone.len() {
            assert!(decode_everyone(&everyone[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..everyone.len() {
            let mut b = everyone.clone();
            b[i] ^= 0xff;
            let _ = decode_everyone(&b);
        }
        assert_eq!(decode_detect(&everyone).err(), Some(CodecError::Header));
    }

    /// Two peer groups of three users, every field set.
    fn groups() -> PeerGroups {
        let row = |x: f64| std::array::from_fn(|j| x + j as f64 / 8.0);
        let mut g = PeerGroups::default();
        g.k = 2;
        g.silhouette = 0.625;
        g.assignment = vec![0, 1, 1];
        g.outlier = vec![0.5, 1.25, 3.75];
        g.membership_probability = Some(vec![0.9, 0.8, 0.55]);
        g.labels = vec!["mostly nurses".into(), "mostly clerks".into()];
        g.sizes = vec![1, 2];
        g.medians = vec![row(1.0), row(2.0)];
        g.matches_role = vec![true, false, true];
        g.with_scaling_and_centroids((0..12).map(|j| (j as f64, 1.5)).collect(), vec![row(-1.0), row(0.5)])
    }

    #[test]
    fn everyones_features_and_peer_groups_read_back_as_written() {
        let w = hospital();
        let (_, mut features) = detected(&w);
        assert!(features.users.len() >= 3 && features.users.iter().any(|(_, s)| !s.days.is_empty()));
        let users = features.users.iter().take(3).cloned().collect();
        features = UserFeatures::assembled(users, Some(groups()), features.codes());
        let bytes = encode_everyone(&features, features.codes());
        let back = decode_everyone(&bytes).expect("decodes");
        assert_eq!(back.codes(), features.codes());
        assert_eq!(back.peers, features.peers);
        let g = back.peers.as_ref().expect("groups");
        assert_eq!(g.scaling_and_centroids(), groups().scaling_and_centroids());
        // The daily series stay behind; everything else travels.
        assert!(back.users.iter().all(|(_, s)| s.days.is_empty()));
        for ((a, x), (b, y)) in features.users.iter().zip(&back.users) {
            assert_eq!(a, b);
            assert_eq!(&UserStats { days: Vec::new(), ..x.clone() }, y);
            assert_eq!(back.position(*b), features.position(*a));
        }
        for id in ["med", "cons", "reg", "MED", "Lopez"] {
            assert!(!travels(&bytes, id), "{id} travels");
        }
        // Groups that do not fit the users are refused.
        let wrong = UserFeatures::assembled(features.users[..2].to_vec(), Some(groups()), features.codes());
        assert_eq!(
            decode_everyone(&encode_everyone(&wrong, wrong.codes())).err(),
            Some(CodecError::Invalid("peer groups"))
        );
    }

    #[test]
    fn all_four_passes_through_the_codec_find_what_a_local_run_finds() {
        let (local, split, _) = local_and_split(hospital);
        assert!(local.detection.findings.len() >= 2, "{:?}", local.detection.findings);
        assert_eq!(local.detection.findings, split.detection.findings);
        assert_eq!(local.detection.downgraded, split.detection.downgraded);
        assert_eq!(local.detection.per_rule, split.detection.per_rule);
        assert_eq!(local.detection.skipped, split.detection.skipped);
        assert_eq!(format!("{:?}", local.detection.weights), format!("{:?}", split.detection.weights));
        assert_eq!(local.data.events.run_index(), split.data.events.run_index());
        assert_eq!(format!("{:?}", local.data.events.ts), format!("{:?}", split.data.events.ts));
        assert_eq!(local.explained.kind, split.explained.kind);
    }

    #[test]
    fn the_drivers_dictionaries_read_back_with_the_same_codes() {
        let data = hospital().build();
        let bytes = encode_dictionaries(&data.dict);
        let back = decode_dictionaries(&bytes).expect("decodes");
        let all = |d: &Dictionaries| -> Vec<Vec<String>> {
            [&d.users, &d.patients, &d.departments, &d.workstations, &d.ips]
                .iter()
                .map(|x| (0..x.len() as Code).map(|c| x.name(c).to_string()).collect())
                .collect()
        };
        assert!(data.dict.patients.len() > 5 && data.dict.users.len() > 3);
        assert_eq!(all(&data.dict), all(&back));
        for cut in 0..bytes.len() {
            assert!(decode_dictionaries(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        // An id twice would shift every later code: refused.
        let mut twice = Dictionaries::default();
        twice.users.intern("a");
        let mut w = Writer::default();
        put_header(&mut w, PASS_DICTIONARIES, u32::MAX);
        w.uvar(2);
        put_str(&mut w, "a");
        put_str(&mut w, "a");
        (0..4).for_each(|_| w.uvar(0));
        assert_eq!(decode_dictionaries(&w.finish()).err(), Some(CodecError::Invalid("dictionary")));
    }

    #[test]
    fn varints_round_trip_at_their_edges() {
        let mut w = Writer::default();
        let signed = [0, 1, -1, 63, -64, i64::MAX, i64::MIN, 1_700_000_000_000_000];
        let unsigned = [0, 127, 128, u64::MAX];
        signed.iter().for_each(|&v| w.ivar(v));
        unsigned.iter().for_each(|&v| w.uvar(v));
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        for v in signed {
            assert_eq!(r.ivar(), Ok(v));
        }
        for v in unsigned {
            assert_eq!(r.uvar(), Ok(v));
        }
        assert_eq!(r.end(), Ok(()));
    }
}
