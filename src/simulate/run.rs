//! The simulator's driver: world, schedule, encounters, look-alikes,
//! incidents, then the days in parallel, then the small tables.
//!
//! Determinism: every stage draws from its own RNG stream derived from the
//! seed; days are generated in parallel but each from `(seed, day)` and
//! written in day order, so the bytes do not depend on the thread count.
//!
//! Streams 1-7 build the clean world. The real world's additions draw from
//! streams 8 (look-alikes) and 9 (incidents), planned after everything
//! clean, and add rows to the days without touching a day's own stream:
//! the real world is the clean world plus those rows, labels and
//! look-alikes. The HR export draws from none of them (see `hr_export`).

use std::collections::BTreeMap;
use std::fs;
use std::time::Instant;

use chrono::{Duration, NaiveDate, Offset, TimeZone};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::care::{self, mix, Ctx, Plan};
use super::dhcp::Leases;
use super::encounters;
use super::event::{day_start, DAY};
use super::hr_export::HrExport;
use super::incidents;
use super::lookalikes;
use super::params::{BundleFormat, Export, Realism, SimulateError, SimulateParams};
use super::planner::Setting;
use super::population;
use super::registry;
use super::report::{RoleStats, SimulationReport};
use super::schedule;
use super::synthea;
use super::workforce;
use super::world::{departments, Role, Town, World};
use super::writer;

fn stream(seed: u64, purpose: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(mix(seed, purpose, 0x5EED))
}

/// Simulates a hospital and writes the bundle to `params.out`.
pub fn simulate(params: &SimulateParams) -> Result<SimulationReport, SimulateError> {
    params.check()?;
    let t_start = Instant::now();
    fs::create_dir_all(&params.out).map_err(|source| SimulateError::Write { path: params.out.clone(), source })?;
    let seed = params.seed;

    // World.
    let mut rng = stream(seed, 1);
    let ext = match &params.synthea {
        Some(dir) => Some(synthea::load(dir, &mut rng, params.start_date, params.days)?),
        None => None,
    };
    let center = ext.as_ref().map(|e| e.center).unwrap_or((39.7684, -86.1581));
    let mut town = Town::new(&mut rng, 24, center);
    let pop = match &ext {
        Some(e) => e.population.clone(),
        None => population::build(&mut rng, &mut town, params.patients, params.start_date),
    };
    let mut world = World {
        start: params.start_date,
        days: params.days,
        depts: departments(),
        users: Vec::new(),
        patients: pop.patients,
        households: pop.households,
        contacts: pop.contacts,
        kin: Vec::new(),
        ws_names: Vec::new(),
        ws_ips: Vec::new(),
        ws_pools: Vec::new(),
    };
    workforce::build(&mut stream(seed, 2), &mut world, &mut town, params.users);
    if let Some(e) = &ext {
        synthea::name_physicians(&mut world, &e.providers);
    }

    let surge = lookalikes::surge_day(params.days);
    let sched = schedule::build(&mut stream(seed, 3), &world, surge);
    let mut encs = encounters::build(&mut stream(seed, 4), &mut world, &sched, surge);
    let mut synthea_encounters = 0;
    if let Some(e) = &ext {
        synthea_encounters = synthea::add_encounters(&mut stream(seed, 5), &world, e, &mut encs);
        encounters::finish(&world, &mut encs);
    }

    // Look-alikes and incidents.
    let per = (params.incidents / registry::scenario_names(true, Realism::Clean).len()).clamp(1, 6);
    let mut plan = Plan { surge_day: surge, ..Plan::default() };
    let looks = lookalikes::plan(&mut stream(seed, 6), &mut world, &mut encs, &sched, &mut plan, per);
    let by_patient = encounters::by_patient(world.patients.len(), &encs, false);
    let by_patient_exported = encounters::by_patient(world.patients.len(), &encs, true);
    let at = Setting { encs: &encs, by_patient: &by_patient, sched: &sched, studies: &plan.studies };
    let inc = incidents::plan(&mut stream(seed, 7), &mut world, at, &looks.reserved, params.incidents);
    plan.extra = inc.extra;
    let mut labels = inc.labels;
    let mut skipped = inc.skipped;
    let mut look_rows = looks.rows;
    if params.realism == Realism::Real {
        let n_users = world.users.len();
        let mut actors = vec![false; n_users];
        let mut targets = vec![false; world.patients.len()];
        for l in &labels {
            actors[l.user as usize] = true;
            if let Some(p) = l.patient {
                targets[p as usize] = true;
            }
        }
        let real_looks = lookalikes::plan_real(&mut stream(seed, 8), &mut world, at, actors.clone(), per);
        let reserved: Vec<bool> =
            (0..n_users).map(|u| looks.reserved[u] || real_looks.reserved[u] || actors[u]).collect();
        let taken = incidents::Taken { reserved, actors, patients: targets };
        let real_inc = incidents::plan_real(
            &mut stream(seed, 9),
            &mut world,
            at,
            taken,
            incidents::count_for(params.incidents),
            params.incidents,
        );
        for (day, rows) in plan.extra.iter_mut().enumerate() {
            rows.extend_from_slice(&real_looks.extra[day]);
            rows.extend_from_slice(&real_inc.extra[day]);
        }
        look_rows.extend(real_looks.rows);
        plan.no_task = real_inc
            .labels
            .iter()
            .filter(|l| l.scenario == incidents::service_snoop::NAME)
            .filter_map(|l| Some((l.user, l.patient?)))
            .collect();
        plan.no_task.sort_unstable();
        labels.extend(real_inc.labels);
        skipped.extend(real_inc.skipped);
    }
    let export = params.export_style();

    // Days, in parallel chunks written in order.
    let ctx = Ctx { world: &world, sched: &sched, encs: &encs, by_patient: &by_patient_exported, plan: &plan, seed };
    let tz = params.timezone;
    let chunk = (rayon::current_num_threads() * 2).max(2);
    let mut csv_log = match params.format {
        BundleFormat::Csv | BundleFormat::Fhir | BundleFormat::Epic | BundleFormat::Openemr => {
            Some(writer::CsvLog::create(&params.out)?)
        }
        BundleFormat::Parquet => None,
    };
    let pq_dir = params.out.join("access_log");
    if params.format == BundleFormat::Parquet {
        fs::create_dir_all(&pq_dir).map_err(|source| SimulateError::Write { path: pq_dir.clone(), source })?;
    }
    let mut total = 0u64;
    let mut stats = care::DayStats::default();
    let mut notable = Vec::new();
    let days: Vec<u32> = (0..params.days).collect();
    for group in days.chunks(chunk) {
        let outs: Vec<Result<(care::DayOutput, Vec<u8>), SimulateError>> = group
            .par_iter()
            .map(|&d| {
                let date = params.start_date + Duration::days(d as i64);
                let mut out = care::simulate_day(&ctx, d);
                skip_missing_local_times(&mut out.events, tz, date);
                let leases = (export == Export::Hr).then(|| Leases::for_day(&world.ws_ips, seed, d));
                let d0 = day_start(date);
                let ds = date.format("%Y-%m-%d").to_string();
                let bytes = match params.format {
                    BundleFormat::Csv | BundleFormat::Fhir | BundleFormat::Epic | BundleFormat::Openemr => {
                        writer::format_day_csv(&world, &out.events, d0, &ds, leases.as_ref())
                    }
                    BundleFormat::Parquet => {
                        writer::write_day_parquet(&pq_dir, &world, &out.events, d0, &ds, leases.as_ref())?;
                        Vec::new()
                    }
                };
                Ok((out, bytes))
            })
            .collect();
        for r in outs {
            let (out, bytes) = r?;
            if let Some(log) = csv_log.as_mut() {
                log.append(&bytes)?;
            }
            total += out.events.len() as u64;
            let s = out.stats;
            for i in 0..13 {
                stats.role_events[i] += s.role_events[i];
                stats.role_shifts[i] += s.role_shifts[i];
                stats.role_patient[i] += s.role_patient[i];
                stats.role_strict[i] += s.role_strict[i];
            }
            stats.legit_patient += s.legit_patient;
            stats.legit_strict += s.legit_strict;
            stats.legit_any += s.legit_any;
            stats.legit_explained += s.legit_explained;
            stats.incident_patient += s.incident_patient;
            stats.incident_strict += s.incident_strict;
            notable.extend(out.notable);
        }
    }
    if let Some(log) = csv_log {
        log.finish()?;
    }

    // Small tables.
    let window_end = day_start(params.start_date) + params.days as i64 * DAY;
    let hr = (export == Export::Hr).then(|| HrExport::new(&world, seed));
    writer::write_tables(&params.out, &world, &encs, window_end, hr.as_ref())?;
    writer::write_care_team(&params.out, &world, &plan.studies, seed, hr.is_some())?;
    writer::write_labels(&params.out, &world, &labels)?;
    look_rows.extend(lookalikes::rows_from_notable(&notable));
    look_rows.sort_by(|a, b| (a.scenario, a.user, a.patient, a.start).cmp(&(b.scenario, b.user, b.patient, b.start)));
    writer::write_lookalikes(&params.out, &world, &look_rows)?;

    // A source system's format: the canonical log, rendered by the import
    // writers, replaces access_log.csv (`ehrwatch import` turns it back).
    if let Some(format) = params.format.source_format() {
        let csv = params.out.join("access_log.csv");
        crate::import::write_bundle_as(&params.out, tz, format, &params.out).map_err(|e| SimulateError::Write {
            path: params.out.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        fs::remove_file(&csv).map_err(|source| SimulateError::Write { path: csv.clone(), source })?;
    }

    // Report.
    let ratio_ = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let roles = Role::ALL
        .iter()
        .map(|&r| RoleStats {
            role: r.as_str(),
            users: world.users.iter().filter(|u| u.role == r).count(),
            shifts: stats.role_shifts[r.index()],
            events: stats.role_events[r.index()],
            linked: ratio_(stats.role_strict[r.index()], stats.role_patient[r.index()]),
        })
        .collect();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut incidents_per: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut seen = Vec::new();
    for l in &labels {
        if !seen.contains(&&l.incident) {
            seen.push(&l.incident);
            *incidents_per.entry(l.scenario).or_default() += 1;
        }
    }
    let mut look_per: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in &look_rows {
        *look_per.entry(r.scenario).or_default() += 1;
    }
    Ok(SimulationReport {
        out: params.out.clone(),
        events: total,
        users: world.users.len(),
        patients: world.patients.len(),
        encounters: encs.len(),
        synthea_encounters,
        days: params.days,
        roles,
        legit_patient_events: stats.legit_patient,
        linked_strict: ratio(stats.legit_strict, stats.legit_patient),
        linked_any: ratio(stats.legit_any, stats.legit_patient),
        explained: ratio(stats.legit_explained, stats.legit_patient),
        linked_strict_all: ratio(
            stats.legit_strict + stats.incident_strict,
            stats.legit_patient + stats.incident_patient,
        ),
        incident_patient_events: stats.incident_patient,
        incident_linked: ratio(stats.incident_strict, stats.incident_patient),
        incidents: incidents_per,
        incidents_skipped: skipped,
        lookalikes: look_per,
        seconds: t_start.elapsed().as_secs_f64(),
        realism: params.realism,
        export,
    })
}

/// Moves rows that fall in a local time skipped by a daylight-saving jump
/// (which no real clock shows) one hour later.
fn skip_missing_local_times(events: &mut [super::event::Event], tz: chrono_tz::Tz, date: NaiveDate) {
    let offset_at = |h: u32| {
        date.and_hms_opt(h, 0, 0)
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map(|t| t.offset().fix().local_minus_utc())
    };
    if offset_at(0) == offset_at(23) {
        return;
    }
    let mut moved = false;
    for e in events.iter_mut() {
        let Some(t) = chrono::DateTime::from_timestamp(e.ts, 0) else { continue };
        if tz.from_local_datetime(&t.naive_utc()).earliest().is_none() {
            e.ts += 3600;
            moved = true;
        }
    }
    if moved {
        events.sort_by_key(|e| (e.ts, e.user));
    }
}
