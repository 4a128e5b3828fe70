//! Writes the bundle: the access log (one CSV, or one Parquet file per day)
//! and the small tables (users, patients, encounters, patient_contacts,
//! labels, lookalikes) as CSV. Each file is written under a temporary name
//! and renamed into place, so a reader never sees half a file.
//!
//! With the HR export ([`HrExport`], [`Leases`]) the same rows are spelled
//! the way a hospital's systems write them; without it the bytes are those
//! of the clean export.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::dhcp::Leases;
use super::encounters::{EncKind, Encounter};
use super::event::{format_ts, push_hms, Event, DAY, NO_PATIENT, REASONS};
use super::hr_export::{hr_address, HrExport};
use super::incidents::LabelRow;
use super::lookalikes::LookalikeRow;
use super::params::SimulateError;
use super::world::World;
use crate::model::ACCESS_LOG_COLUMNS;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SimulateError + '_ {
    move |source| SimulateError::Write { path: path.to_path_buf(), source }
}

fn tmp_name(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SimulateError> {
    let tmp = tmp_name(path);
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

/// A streaming CSV access log: header now, days appended in order, renamed
/// into place by [`CsvLog::finish`].
pub struct CsvLog {
    path: PathBuf,
    tmp: PathBuf,
    w: BufWriter<File>,
}

impl CsvLog {
    /// Creates `access_log.csv.tmp` in `dir` and writes the header.
    pub fn create(dir: &Path) -> Result<CsvLog, SimulateError> {
        let path = dir.join("access_log.csv");
        let tmp = tmp_name(&path);
        let f = File::create(&tmp).map_err(io_err(&tmp))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        w.write_all(ACCESS_LOG_COLUMNS.join(",").as_bytes()).map_err(io_err(&tmp))?;
        w.write_all(b"\n").map_err(io_err(&tmp))?;
        Ok(CsvLog { path, tmp, w })
    }

    /// Appends one day's formatted rows.
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), SimulateError> {
        self.w.write_all(bytes).map_err(io_err(&self.tmp))
    }

    /// Flushes and renames into place.
    pub fn finish(self) -> Result<(), SimulateError> {
        let CsvLog { path, tmp, w } = self;
        let f = w.into_inner().map_err(|e| SimulateError::Write { path: tmp.clone(), source: e.into_error() })?;
        f.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, &path).map_err(io_err(&path))
    }
}

/// Formats one day's rows as CSV lines. `day_start` is the local midnight
/// of the day and `date` its `YYYY-MM-DD`; `leases` are the day's DHCP
/// addresses (HR export), else each workstation's fixed address is written.
pub fn format_day_csv(world: &World, events: &[Event], day_start: i64, date: &str, leases: Option<&Leases>) -> Vec<u8> {
    let mut sessions = leases.map(Leases::sessions);
    let mut out = Vec::with_capacity(events.len() * 110);
    let compact: String = date.chars().filter(|c| *c != '-').collect();
    for (i, e) in events.iter().enumerate() {
        out.extend_from_slice(date.as_bytes());
        out.push(b' ');
        push_hms(&mut out, e.ts - day_start);
        out.push(b',');
        out.extend_from_slice(world.users[e.user as usize].id.as_bytes());
        out.push(b',');
        if e.patient != NO_PATIENT {
            out.extend_from_slice(world.patients[e.patient as usize].id.as_bytes());
        }
        out.push(b',');
        out.extend_from_slice(e.action.as_str().as_bytes());
        out.push(b',');
        out.extend_from_slice(e.cat.as_str().as_bytes());
        out.push(b',');
        if let Some(ws) = world.ws_names.get(e.ws as usize) {
            out.extend_from_slice(ws.as_bytes());
            out.push(b',');
            let ip = match sessions.as_mut() {
                Some(s) => s.ip(e.ws, e.action),
                None => world.ws_ips[e.ws as usize].as_str(),
            };
            out.extend_from_slice(ip.as_bytes());
        } else {
            out.push(b',');
        }
        out.push(b',');
        out.extend_from_slice(world.depts[e.dept as usize].id.as_bytes());
        out.push(b',');
        out.extend_from_slice(if e.break_glass { b"true" } else { b"false" });
        out.push(b',');
        out.extend_from_slice(REASONS[e.reason as usize].as_bytes());
        out.push(b',');
        out.extend_from_slice(b"A");
        out.extend_from_slice(compact.as_bytes());
        out.push(b'-');
        let mut buf = itoa_pad(i as u64 + 1);
        out.append(&mut buf);
        out.push(b'\n');
    }
    out
}

fn itoa_pad(n: u64) -> Vec<u8> {
    format!("{n:07}").into_bytes()
}

/// Writes one day's rows to `dir/YYYY-MM-DD.parquet` with plain string
/// columns (nulls for missing values) and a boolean `break_glass`;
/// `leases` as in [`format_day_csv`].
pub fn write_day_parquet(
    dir: &Path,
    world: &World,
    events: &[Event],
    day_start: i64,
    date: &str,
    leases: Option<&Leases>,
) -> Result<(), SimulateError> {
    let mut sessions = leases.map(Leases::sessions);
    let path = dir.join(format!("{date}.parquet"));
    let perr = |m: PolarsError| SimulateError::Parquet { path: path.clone(), message: m.to_string() };
    let compact: String = date.chars().filter(|c| *c != '-').collect();
    let n = events.len();
    let mut ts = Vec::with_capacity(n);
    let mut user = Vec::with_capacity(n);
    let mut patient: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut action = Vec::with_capacity(n);
    let mut cat: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut ws: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut ip: Vec<Option<String>> = Vec::with_capacity(n);
    let mut dept = Vec::with_capacity(n);
    let mut bg = Vec::with_capacity(n);
    let mut reason: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut id = Vec::with_capacity(n);
    let mut hms = Vec::with_capacity(8);
    for (i, e) in events.iter().enumerate() {
        hms.clear();
        push_hms(&mut hms, (e.ts - day_start).clamp(0, DAY - 1));
        ts.push(format!("{date} {}", String::from_utf8_lossy(&hms)));
        user.push(world.users[e.user as usize].id.as_str());
        patient.push((e.patient != NO_PATIENT).then(|| world.patients[e.patient as usize].id.as_str()));
        action.push(e.action.as_str());
        cat.push(Some(e.cat.as_str()).filter(|s| !s.is_empty()));
        ws.push(world.ws_names.get(e.ws as usize).map(|s| s.as_str()));
        ip.push(world.ws_ips.get(e.ws as usize).map(|s| match sessions.as_mut() {
            Some(l) => l.ip(e.ws, e.action).to_string(),
            None => s.clone(),
        }));
        dept.push(world.depts[e.dept as usize].id);
        bg.push(e.break_glass);
        reason.push(Some(REASONS[e.reason as usize]).filter(|s| !s.is_empty()));
        id.push(format!("A{compact}-{:07}", i + 1));
    }
    let [c_ts, c_user, c_patient, c_action, c_cat, c_ws, c_ip, c_dept, c_bg, c_reason, c_id] = ACCESS_LOG_COLUMNS;
    let cols = vec![
        Column::new(c_ts.into(), ts),
        Column::new(c_user.into(), user),
        Column::new(c_patient.into(), patient),
        Column::new(c_action.into(), action),
        Column::new(c_cat.into(), cat),
        Column::new(c_ws.into(), ws),
        Column::new(c_ip.into(), ip),
        Column::new(c_dept.into(), dept),
        Column::new(c_bg.into(), bg),
        Column::new(c_reason.into(), reason),
        Column::new(c_id.into(), id),
    ];
    let mut df = DataFrame::new_infer_height(cols).map_err(perr)?;
    let tmp = tmp_name(&path);
    let f = File::create(&tmp).map_err(io_err(&tmp))?;
    ParquetWriter::new(BufWriter::new(f)).set_parallel(false).finish(&mut df).map_err(perr)?;
    fs::rename(&tmp, &path).map_err(io_err(&path))
}

fn csv_file(path: &Path, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<(), SimulateError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let cerr =
        |e: csv::Error| SimulateError::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) };
    w.write_record(header).map_err(cerr)?;
    for r in rows {
        w.write_record(&r).map_err(cerr)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| SimulateError::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) })?;
    write_atomic(path, &bytes)
}

fn date_str(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// Writes users, patients, encounters and patient_contacts. Encounters still
/// open at `window_end` get an empty end. With `hr`, users.csv and
/// patient_contacts.csv are spelled the HR way (see [`HrExport`]).
pub fn write_tables(
    dir: &Path,
    world: &World,
    encs: &[Encounter],
    window_end: i64,
    hr: Option<&HrExport>,
) -> Result<(), SimulateError> {
    csv_file(
        &dir.join("users.csv"),
        &crate::ingest::users_columns().collect::<Vec<_>>(),
        world.users.iter().enumerate().map(|(i, u)| {
            let h = &world.households[u.household as usize];
            let (first, last, role, dept, address) = match hr {
                Some(hr) => (
                    hr.name(&u.first),
                    hr.name(&u.last),
                    hr.titles[i].clone(),
                    hr.departments[i].clone(),
                    hr_address(&h.address),
                ),
                None => (
                    u.first.clone(),
                    u.last.clone(),
                    u.role.as_str().to_string(),
                    world.depts[u.home as usize].id.to_string(),
                    h.address.clone(),
                ),
            };
            vec![
                u.id.clone(),
                first,
                last,
                role,
                dept,
                address,
                h.zip.clone(),
                format!("{:.6}", h.lat),
                format!("{:.6}", h.lon),
                date_str(Some(u.hire_date)),
                date_str(u.termination_date),
                u.patient.map(|p| world.patients[p as usize].id.clone()).unwrap_or_default(),
            ]
        }),
    )?;
    let mut order: Vec<usize> = (0..world.patients.len()).collect();
    order.sort_by(|&a, &b| world.patients[a].id.cmp(&world.patients[b].id));
    csv_file(
        &dir.join("patients.csv"),
        // The contract's columns, then the simulator's own `sex` (extra
        // columns are kept and ignored).
        &crate::ingest::patients_columns().chain(["sex"]).collect::<Vec<_>>(),
        order.iter().map(|&i| {
            let p = &world.patients[i];
            let h = &world.households[p.household as usize];
            vec![
                p.id.clone(),
                p.first.clone(),
                p.last.clone(),
                date_str(Some(p.birth)),
                h.address.clone(),
                h.zip.clone(),
                format!("{:.6}", h.lat),
                format!("{:.6}", h.lon),
                date_str(p.deceased),
                p.vip.to_string(),
                p.restricted.to_string(),
                p.sex.to_string(),
            ]
        }),
    )?;
    csv_file(
        &dir.join("encounters.csv"),
        &["encounter_id", "patient_id", "department_id", "start", "end", "provider_user_id", "encounter_class"],
        encs.iter().filter(|e| e.exported).map(|e| {
            vec![
                e.id.clone(),
                world.patients[e.patient as usize].id.clone(),
                world.depts[e.dept as usize].id.to_string(),
                format_ts(e.start),
                if e.end > window_end { String::new() } else { format_ts(e.end) },
                world.users.get(e.provider as usize).map(|u| u.id.clone()).unwrap_or_default(),
                match e.kind {
                    EncKind::Inpatient => "inpatient",
                    EncKind::Emergency => "emergency",
                    EncKind::Outpatient => "outpatient",
                }
                .to_string(),
            ]
        }),
    )?;
    csv_file(
        &dir.join("patient_contacts.csv"),
        &["patient_id", "first_name", "last_name", "relationship", "address"],
        world.contacts.iter().enumerate().map(|(i, c)| {
            let (first, last, address) = match hr {
                Some(hr) => {
                    let (f, l) = hr.contact_name(world, i);
                    (f, l, hr.contact_address(world, i))
                }
                None => (c.first.clone(), c.last.clone(), c.address.clone()),
            };
            vec![world.patients[c.patient as usize].id.clone(), first, last, c.relationship.to_string(), address]
        }),
    )
}

/// Writes care_team.csv: each research coordinator on the team of every
/// patient of their study list, as a research system exports study teams
/// (one row per coordinator and enrolled patient), each enrolled some
/// months before the window and still enrolled. With `hr`, the
/// relationship names the study by a protocol number, the way each
/// hospital's research office writes it; the clean export says only
/// "research study team".
pub fn write_care_team(
    dir: &Path,
    world: &World,
    studies: &[(u32, Vec<u32>)],
    seed: u64,
    hr: bool,
) -> Result<(), SimulateError> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(super::care::mix(seed, 0x57AD_7EA3, 0));
    let mut rows = Vec::new();
    for (u, list) in studies {
        use chrono::Datelike;
        let protocol = format!("{}-{:04}", world.start.year() - rng.gen_range(0..4), rng.gen_range(1..9999));
        let relationship =
            if hr { format!("Study Coordinator - IRB {protocol}") } else { "research study team".to_string() };
        for p in list {
            let enrolled = world.start - chrono::Duration::days(rng.gen_range(14..400));
            rows.push(vec![
                world.patients[*p as usize].id.clone(),
                world.users[*u as usize].id.clone(),
                relationship.clone(),
                date_str(Some(enrolled)),
                String::new(),
            ]);
        }
    }
    csv_file(&dir.join("care_team.csv"), &["patient_id", "user_id", "relationship", "start", "end"], rows.into_iter())
}

/// Writes labels.csv.
pub fn write_labels(dir: &Path, world: &World, labels: &[LabelRow]) -> Result<(), SimulateError> {
    csv_file(
        &dir.join("labels.csv"),
        &["incident_id", "scenario", "user_id", "patient_id", "start", "end"],
        labels.iter().map(|l| {
            vec![
                l.incident.clone(),
                l.scenario.to_string(),
                world.users[l.user as usize].id.clone(),
                l.patient.map(|p| world.patients[p as usize].id.clone()).unwrap_or_default(),
                format_ts(l.start),
                format_ts(l.end),
            ]
        }),
    )
}

/// Writes lookalikes.csv.
pub fn write_lookalikes(dir: &Path, world: &World, rows: &[LookalikeRow]) -> Result<(), SimulateError> {
    csv_file(
        &dir.join("lookalikes.csv"),
        &["scenario", "user_id", "patient_id", "start", "end"],
        rows.iter().map(|l| {
            vec![
                l.scenario.to_string(),
                world.users[l.user as usize].id.clone(),
                l.patient.map(|p| world.patients[p as usize].id.clone()).unwrap_or_default(),
                format_ts(l.start),
                format_ts(l.end),
            ]
        }),
    )
}
