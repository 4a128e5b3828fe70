//! `investigate patient`: every access to one patient's record in the
//! period, with the user, their role class, and the care explanation the
//! pipeline gives the access; accesses by one user in one sitting grouped.
//!
//! On a bundle the log is not read whole: first the patient's rows (the
//! filter pushed into Parquet scans), then the patient's rows and every
//! row of the users who opened the record in the period. Those are all an
//! access's explanation reads (encounters and the roster come whole; the
//! user's own charting, panel days and learned class come from the user's
//! rows), except the care-team groups: two users' shared patients are
//! counted from both users' rows, which are there, but whether a shared
//! patient is a hub (seen by more than 60 care users, left out of the
//! count) is judged from the loaded rows only. `--full-scan` explains over
//! the whole log, as detect does.

use std::collections::HashSet;

use crate::explain::Explanation;
use crate::ingest::{Ingested, RowFilter};
use crate::model::NONE;
use crate::output::investigation::{write_patient_access, PatientAccessRow, PatientPage, SESSION_GAP_MINUTES};
use crate::pipeline::explain_every_event;
use crate::progress::Progress;
use crate::time::{ZoneCache, MICROS_PER_SEC};

use super::load::{load_all, load_filtered};
use super::request::{
    find_code, hint, lock_output, sentence, sources, InvestigateError, InvestigateRequest, Outcome, Period, Source,
};

/// The real id of the patient given (an id, or a token with a key), and
/// the events to explain.
fn read(
    req: &InvestigateRequest,
    given: &str,
    progress: &Progress,
    notes: &mut Vec<String>,
) -> Result<(Ingested, String), InvestigateError> {
    let p = req.pseudonymizer.as_ref();
    let unknown = || InvestigateError::UnknownPatient { hint: hint(p) };
    let token_of = p.map(|p| move |id: &str| p.patient(id));
    let token = token_of.as_ref().map(|f| f as &dyn Fn(&str) -> String);
    let whole = |data: Ingested| -> Result<(Ingested, String), InvestigateError> {
        let code = find_code(&data.dict.patients, given, token).ok_or_else(unknown)?;
        let id = data.dict.patients.name(code).to_string();
        Ok((data, id))
    };
    let Source::Bundle(dir) = &req.source else { return whole(load_all(req, progress)?) };
    if req.full_scan {
        return whole(load_all(req, progress)?);
    }
    let id = match token {
        None => given.trim().to_string(),
        Some(token) => {
            // A token is looked up among the context tables' patients; a
            // patient only the access log names needs the whole log.
            let context = load_filtered(dir, req, &RowFilter::default(), progress)?;
            match find_code(&context.dict.patients, given, Some(token)) {
                Some(c) => context.dict.patients.name(c).to_string(),
                None => return whole(load_all(req, progress)?),
            }
        }
    };
    let first = load_filtered(dir, req, &RowFilter::patient(&id), progress)?;
    let code = first.dict.patients.get(&id).ok_or_else(unknown)?;
    let period = Period::of(req);
    let mut zone = ZoneCache::new(first.tz);
    let ev = &first.events;
    let users: HashSet<String> = (0..ev.len())
        .filter(|&i| ev.patient[i] == code && period.contains(&mut zone, ev.ts[i]))
        .map(|i| first.dict.users.name(ev.user[i]).to_string())
        .collect();
    let n_users = users.len();
    let filter = RowFilter { patients: HashSet::from([id.clone()]), users };
    let data = load_filtered(dir, req, &filter, progress)?;
    notes.push(format!(
        "Explained from this patient's accesses and every access of the {} who opened the record in the period ({} events read of the log); care-team explanations judge shared patients from these users' accesses only.",
        if n_users == 1 { "one person".to_string() } else { format!("{n_users} people") },
        data.events.len()
    ));
    Ok((data, id))
}

/// Writes patient_access.csv and patient_access.html for `patient` (an id,
/// or its token with a pseudonymizer) into the request's output folder.
pub fn investigate_patient(
    req: &InvestigateRequest,
    patient: &str,
    progress: &Progress,
) -> Result<Outcome, InvestigateError> {
    let _lock = lock_output(&req.out)?;
    let ids = crate::output::pseudonym::Ids(req.pseudonymizer.as_ref());
    let mut notes = Vec::new();
    let (data, id) = read(req, patient, progress, &mut notes)?;
    let code = data.dict.patients.get(&id).ok_or(InvestigateError::UnknownPatient { hint: hint(ids.0) })?;
    let run = explain_every_event(data.whole(), &req.config, false);
    let (data, ev, explained) = (&run.data, &run.data.events, &run.explained);
    let period = Period::of(req);
    let mut zone = ZoneCache::new(data.tz);
    let mut rows: Vec<usize> =
        (0..ev.len()).filter(|&i| ev.patient[i] == code && period.contains(&mut zone, ev.ts[i])).collect();
    rows.sort_by_key(|&i| (ev.ts[i], i));

    let dict = &data.dict;
    let record = |u| data.roster.as_ref().and_then(|r| r.get(u));
    let out_rows: Vec<PatientAccessRow> = rows
        .iter()
        .map(|&i| {
            let u = ev.user[i];
            let kind = explained.kind[i];
            let name = match (ids.0, record(u)) {
                (None, Some(r)) => {
                    format!("{} {}", r.first_name.as_deref().unwrap_or(""), r.last_name.as_deref().unwrap_or(""))
                        .trim()
                        .to_string()
                }
                _ => String::new(),
            };
            let department = match ev.department[i] {
                NONE => record(u).and_then(|r| r.department),
                d => Some(d),
            };
            PatientAccessRow {
                time: zone.format_local(ev.ts[i]),
                user_id: ids.user(dict.users.name(u)),
                user_name: name,
                role_class: explained.roles.class(u).map(|c| c.as_str().to_string()).unwrap_or_default(),
                department_id: department.map(|d| dict.departments.name(d).to_string()).unwrap_or_default(),
                workstation_id: match ev.workstation[i] {
                    NONE => String::new(),
                    w => dict.workstations.name(w).to_string(),
                },
                action: ev.action[i].as_str().to_string(),
                data_category: ev.category[i].as_str().to_string(),
                break_glass: ev.break_glass[i],
                explanation: kind.as_str().to_string(),
                explanation_sentence: sentence(kind),
            }
        })
        .collect();
    // Sittings: consecutive accesses by one user from one workstation, each
    // within the gap of the one before.
    let gap = SESSION_GAP_MINUTES * 60 * MICROS_PER_SEC;
    let mut sessions: Vec<std::ops::Range<usize>> = Vec::new();
    for (k, &i) in rows.iter().enumerate() {
        let joins = k > 0 && {
            let j = rows[k - 1];
            ev.user[j] == ev.user[i] && ev.workstation[j] == ev.workstation[i] && ev.ts[i] - ev.ts[j] <= gap
        };
        match sessions.last_mut() {
            Some(s) if joins => s.end = k + 1,
            _ => sessions.push(k..k + 1),
        }
    }
    debug_assert!(out_rows.iter().all(|r| r.explanation != Explanation::NoPatient.as_str()));
    let page = PatientPage {
        patient: ids.patient(&id),
        period: Period::describe(req),
        sources: sources(data, rows.iter().map(|&i| ev.source_file[i])),
        rows: out_rows,
        sessions,
        pseudonymized: ids.0.is_some(),
        notes,
    };
    write_patient_access(&req.out, &page)?;
    Ok(Outcome {
        rows: page.rows.len(),
        files: vec![req.out.join("patient_access.csv"), req.out.join("patient_access.html")],
    })
}
