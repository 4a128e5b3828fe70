//! The bytes a per-partition pass result travels in, from a cluster's
//! executor to the driver: written by hand (no serde format crate), small
//! and versioned. Everything in it is a code or a count: user, patient,
//! device and department codes, days and instants, explanation kinds and
//! role classes. No id, name or address is written, so a result names no
//! patient even where it is read.
//!
//! Layout: the magic `EWP2` (its digit is the version: 2 added the
//! charting of unlisted visits to pass 1, and gave pass 2 `u32` counts and
//! each user's `busiest` and home flag in place of the profile), the pass
//! (1: spans, 2: measures), the partition's index, then the pass's result.
//! Floating-point values (the behaviour profile) do not travel: the driver
//! computes them from the counts, as a local run does. Integers are LEB128
//! varints (signed ones zigzagged), so the many small codes take a byte or
//! two. A reader checks every length
//! against the bytes left and every kind against its enum: damaged bytes
//! are a [`CodecError`], never a panic.

use crate::detect::Population;
use crate::explain::{CareVisits, Charting, Explanation};
use crate::features::Coverage;
use crate::features::{Busiest, DayStats, UserStats, UsualHours, CATEGORIES};
use crate::model::Code;
use crate::pipeline::{Measures, Spans};
use crate::roles::RoleClass;

/// What starts every result: its last byte is the codec's version.
const MAGIC: &[u8; 4] = b"EWP2";
/// The pass byte of a pass-1 result.
const PASS_SPAN: u8 = 1;
/// The pass byte of a pass-2 result.
const PASS_MEASURE: u8 = 2;

/// A result that cannot be read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    /// The bytes end before the result does.
    #[error("a pass result ends early (at byte {0})")]
    Truncated(usize),
    /// The bytes are not a result of this version.
    #[error("a pass result does not start with EWP2 (this version) and the expected pass")]
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
fn user_counts(s: &UserStats) -> [u32; 16] {
    [
        s.events,
        s.patient_accesses,
        s.distinct_patients,
        s.unexplained_accesses,
        s.unexplained_patients,
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
    let [events, patient_accesses, distinct_patients, unexplained_accesses, unexplained_patients, after_hours_accesses, weekend_accesses, active_days, prints, exports, break_glass, distinct_workstations, distinct_ips, sensitive_accesses, other_department_patients, peer_shared_patients] =
        get_u32s::<16>(r)?;
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

    #[test]
    fn a_result_carries_codes_not_ids() {
        let w = world();
        let (direct, spans) = spanned(&w);
        let bytes = encode_span(0, &direct, &spans);
        for id in ["med", "cons", "onc", "P3", "Q-77", "WS-9", "10.0.9.9", "MED", "ONC"] {
            assert!(!bytes.windows(id.len()).any(|win| win == id.as_bytes()), "{id} travels");
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
    }

    impl crate::pipeline::Elsewhere for Loopback {
        fn partitions(&self) -> usize {
            self.n
        }

        fn span_all(
            &self,
            plan: &[std::ops::Range<Code>],
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
            assert!(!bytes.windows(id.len()).any(|win| win == id.as_bytes()), "{id} travels");
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

    #[test]
    fn passes_one_and_two_through_the_codec_on_three_partitions_give_what_a_local_run_gives() {
        use crate::pipeline::{analyse, analyse_with, Cut, Resident};
        use crate::progress::Progress;
        let w = world();
        let progress = Progress::hidden();
        let (data, whole) = w.build().with_events(());
        let local = analyse(data, &Resident::new(whole), &w.config, &progress, &mut |_| {}).expect("local");
        let remote = Loopback { world: world(), n: 3 };
        let (data, whole) = w.build().with_events(());
        let cut = Cut::new(whole, 3);
        use crate::pipeline::Partitions;
        assert_eq!(cut.plan().len(), 3, "{:?}", cut.plan());
        let split = analyse_with(data, &cut, Some(&remote), &w.config, &progress, &mut |_| {}).expect("remote");
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
        let part_of = |u: Code| cut.plan().iter().position(|r| r.contains(&u));
        assert_ne!(part_of(onc), part_of(onc2), "{:?}: onc and onc2 in one partition", cut.plan());
        assert_eq!(local.features.peers, split.features.peers);
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
