//! `investigate patient`: every access to one patient's record in the
//! period, with the user, their role class, and the care explanation the
//! pipeline gives the access; accesses by one user in one sitting grouped.
//!
//! On a bundle the log is not read whole. With the row index and the
//! facts `ehrwatch index` learned from the whole log beside it (each
//! user's class learned from their work and their care-team
//! collaborators, `learned.rs`), for this build and these settings, only
//! the patient's rows are read: the rest of an explanation comes from the
//! context tables and the patient's rows (the user's own charting and
//! panel days in this record, the care visits of collaborators, others'
//! charting for an unlisted visit).
//!
//! Without them, first the patient's rows (the filter pushed into Parquet
//! scans, or fetched through the index), explained with the context
//! tables: an access that the encounters, a role the job title names, or
//! the user's own charting in this record explains is explained exactly
//! as the whole log would (those read nothing else of the log). Then, only
//! if needed, every row of the users the rest depends on
//! (`needing_more`): a user with an access without a care link (the
//! care-team groups look at their other patients), a user whose title
//! names no class (it is learned from all their work), and everyone who
//! opened the record near such an access (a collaborator). A care team is
//! learned from the patients two users share, hubs (more than 60 care
//! users) left out: whether a shared patient is a hub needs every access
//! to it, so the shared patients of each user pair that decides a
//! care-team explanation are read whole too, with every user whose class
//! is learned from their work among them (`shared_patients`); beyond 1,000
//! such patients the whole log is read instead. Either way the result
//! equals the whole log's, row for row; `--full-scan` explains over the
//! whole log, as detect does.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::explain::{explain_direct, Explanation};
use crate::ingest::{Ingested, RowFilter};
use crate::model::{Code, NONE};
use crate::output::investigation::{write_patient_access, PatientAccessRow, PatientPage, SESSION_GAP_MINUTES};
use crate::pipeline::{explain_every_event, ExplainedRun};
use crate::progress::Progress;
use crate::roles::RoleBook;
use crate::time::{ZoneCache, MICROS_PER_DAY, MICROS_PER_SEC};

use super::learned::{learned, Learned};
use super::load::{load_all, load_filtered, row_index};
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
    kept: &mut Option<Learned>,
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
    let mut index = row_index(dir, req, notes);
    // Each user's learned class and care team over the whole log, kept
    // beside the index by `ehrwatch index` for these settings and this
    // build: with them the patient's rows are all that is read.
    *kept = index.as_ref().and_then(|ix| learned(dir, ix, &req.config));
    if let (Some(ix), None) = (index.as_ref(), kept.as_ref()) {
        notes.push(format!(
            "The role classes and care teams learned from the whole log are not kept beside the row index for this build, these settings and these context tables: any other rows the explanations need are read too. Keep them with: ehrwatch index --input {} --out {}",
            dir.display(),
            ix.dir().display()
        ));
    }
    // The context tables are read once, by the first filtered read.
    let mut context = None;
    let id = match token {
        None => given.trim().to_string(),
        Some(token) => {
            // A token is looked up among the context tables' patients; a
            // patient only the access log names needs the whole log.
            let context = load_filtered(dir, req, &RowFilter::default(), &mut index, &mut context, notes, progress)?;
            match find_code(&context.dict.patients, given, Some(token)) {
                Some(c) => context.dict.patients.name(c).to_string(),
                None => {
                    *kept = None;
                    return whole(load_all(req, progress)?);
                }
            }
        }
    };
    let first = load_filtered(dir, req, &RowFilter::patient(&id), &mut index, &mut context, notes, progress)?;
    let code = first.dict.patients.get(&id).ok_or_else(unknown)?;
    if kept.is_some() {
        notes.push(format!(
            "Explained from this patient's accesses alone, with each user's role class learned from their work and their care-team collaborators as ehrwatch index learned them from the whole log (kept beside the row index, for this build and these settings); {} events of the log were read.",
            first.events.len()
        ));
        return Ok((first, id));
    }
    // The patient's rows explained alone: exact for an access care links
    // through the encounters, the roster's title or the user's own
    // charting in this record. The rest needs more rows.
    let probe = explain_every_event(first.whole(), &req.config, false);
    let needed = needing_more(&probe, code, req);
    let (first, part) = probe.data.with_events(());
    let first = first.with_events(part.into_events()).0;
    if needed.is_empty() {
        notes.push(
            "Explained from this patient's accesses alone (the rest of the log was not read): each has a care link in the encounters, a role the job title names, or the user's own charting in this record.".to_string(),
        );
        return Ok((first, id));
    }
    let users: HashSet<String> = needed.iter().map(|&u| first.dict.users.name(u).to_string()).collect();
    let n_users = users.len();
    let mut filter = RowFilter { patients: HashSet::from([id.clone()]), users };
    let mut data = load_filtered(dir, req, &filter, &mut index, &mut context, notes, progress)?;
    // A care team is learned from the patients two users share, leaving out
    // those seen by very many care users (hubs): whether a shared patient
    // is a hub needs every access to it. Those patients are read whole,
    // with every user whose class is learned from their work among them.
    let (read, shared) = shared_patients(data, &id, &filter.users, req);
    data = read;
    let n_shared = shared.iter().filter(|p| **p != id).count();
    // Over many days two colleagues share thousands of patients: reading
    // all of them costs more than the whole log, which is read instead.
    let whole_log = |notes: &mut Vec<String>, why: String| -> Result<(Ingested, String), InvestigateError> {
        notes.retain(|n| !n.starts_with("The rows were fetched from the row index"));
        notes.push(format!(
            "The whole access log was read and explained, as with --full-scan: {why}, and reading them costs more than the whole log."
        ));
        Ok((load_all(req, progress)?, id.clone()))
    };
    if n_shared > MAX_SHARED_PATIENTS {
        return whole_log(
            notes,
            format!("a care-team explanation rests on whether {n_shared} other patients, shared by the people concerned, are each seen by more than 60 care users"),
        );
    }
    if !shared.is_empty() {
        filter.patients.extend(shared.iter().cloned());
        if n_shared > 0 {
            data = load_filtered(dir, req, &filter, &mut index, &mut context, notes, progress)?;
        }
        let learners = unclassed_users_of(&data, &shared, &filter.users, req);
        if learners.len() > MAX_LEARNERS {
            return whole_log(
                notes,
                format!("a care-team explanation rests on the roles of {} people whose job titles name none, learned from all their work", learners.len()),
            );
        }
        if !learners.is_empty() {
            filter.users.extend(learners);
            data = load_filtered(dir, req, &filter, &mut index, &mut context, notes, progress)?;
        }
    }
    notes.push(format!(
        "Explained from this patient's accesses and every access of {} whose explanation needs their other work (no care link on this record, a job title that names no role, or a colleague of such an access){}; {} events of the log were read.",
        if n_users == 1 { "the one person".to_string() } else { format!("the {n_users} people") },
        match n_shared {
            0 => String::new(),
            1 => ", and every access to the one other patient whose count of care users decides a care team".to_string(),
            n => format!(", and every access to the {n} other patients whose counts of care users decide a care team"),
        },
        data.events.len()
    ));
    Ok((data, id))
}

/// Shared patients (see [`shared_patients`]) above which the whole log is
/// read instead: at about 2,000 accesses a patient (100 M events over
/// 50,000 patients), a thousand of them is twice the rows of the users
/// read already, and a physician and a nurse of one unit share thousands
/// over a year.
const MAX_SHARED_PATIENTS: usize = 1000;

/// Users whose class is learned from their work among the shared patients
/// (see [`unclassed_users_of`]) above which the whole log is read instead.
const MAX_LEARNERS: usize = 200;

/// The patients (ids) whose standing as a hub decides
/// a care-team explanation of an access to `patient`, given `data`: the
/// patient's rows and every row of the users in `whole`. For each access
/// to the patient in the period that direct care leaves unexplained (its
/// user is in `whole`, see [`needing_more`]), and each user with a direct
/// care access to the patient within the care-team window of it (also in
/// `whole`), the patients both care for directly; a pair that shares too
/// few patients to collaborate even with none of them a hub decides
/// nothing and is left out. Those users' direct explanations are exact
/// (all their rows are here), so the shared patients are; whether each is
/// a hub (more than 60 care users) needs its every access. `data` is
/// handed back.
fn shared_patients(
    data: Ingested,
    patient: &str,
    whole: &HashSet<String>,
    req: &InvestigateRequest,
) -> (Ingested, BTreeSet<String>) {
    let params = &req.config.explain;
    let Some(code) = data.dict.patients.get(patient) else { return (data, BTreeSet::new()) };
    if params.group_min_shared_patients == 0 {
        return (data, BTreeSet::new());
    }
    let run = data.whole();
    let book = RoleBook::from_titles(run.roster.as_ref(), &params.titles);
    let (direct, _) = explain_direct(&run, params, &book);
    let ev = &run.events;
    let is_whole: HashSet<Code> = whole.iter().filter_map(|u| run.dict.users.get(u)).collect();
    let period = Period::of(req);
    let mut zone = ZoneCache::new(run.tz);
    let day = |t: i64| t.div_euclid(MICROS_PER_DAY) as i32;
    // Each wholly read user's directly cared-for patients; the patient's
    // care visits (day, user) and unexplained accesses (user, day).
    let mut care: HashMap<Code, BTreeSet<Code>> = HashMap::new();
    let (mut visits, mut open) = (Vec::new(), Vec::new());
    for i in (0..ev.len()).filter(|&i| ev.patient[i] != NONE) {
        let (u, p) = (ev.user[i], ev.patient[i]);
        if direct[i].is_explained() {
            if is_whole.contains(&u) {
                care.entry(u).or_default().insert(p);
            }
            if p == code {
                visits.push((day(ev.ts[i]), u));
            }
        } else if p == code && direct[i] == Explanation::Unexplained && period.contains(&mut zone, ev.ts[i]) {
            open.push((u, day(ev.ts[i])));
        }
    }
    open.sort_unstable();
    open.dedup();
    let window = params.group_window_days as i32;
    let mut pairs: BTreeSet<(Code, Code)> = BTreeSet::new();
    for &(u, d) in &open {
        for &(_, v) in visits.iter().filter(|(dv, v)| (dv - d).abs() <= window && *v != u) {
            pairs.insert((u, v));
        }
    }
    let empty = BTreeSet::new();
    let mut shared: BTreeSet<Code> = BTreeSet::new();
    for (u, v) in pairs {
        let (of_u, of_v) = (care.get(&u).unwrap_or(&empty), care.get(&v).unwrap_or(&empty));
        let both: Vec<Code> = of_u.intersection(of_v).copied().collect();
        // As `CareTeams::learn` decides, with every shared patient counted.
        let n = both.len() as u32;
        if n >= params.group_min_shared_patients && f64::from(n) >= params.group_min_share * of_u.len() as f64 {
            shared.extend(both);
        }
    }
    let ids = shared.iter().map(|&p| run.dict.patients.name(p).to_string()).collect();
    let (data, part) = run.with_events(());
    (data.with_events(part.into_events()).0, ids)
}

/// The users, not yet read whole (`whole`), with an access to one of
/// `patients` and a job title that names no role class: their class is
/// learned from all their work, and it decides whether their accesses to
/// those patients are care.
fn unclassed_users_of(
    data: &Ingested,
    patients: &BTreeSet<String>,
    whole: &HashSet<String>,
    req: &InvestigateRequest,
) -> BTreeSet<String> {
    let book = RoleBook::from_titles(data.roster.as_ref(), &req.config.explain.titles);
    let ev = &data.events;
    let patients: HashSet<Code> = patients.iter().filter_map(|p| data.dict.patients.get(p)).collect();
    (0..ev.len())
        .filter(|&i| patients.contains(&ev.patient[i]) && book.class(ev.user[i]).is_none())
        .map(|i| data.dict.users.name(ev.user[i]))
        .filter(|u| !whole.contains(*u))
        .map(str::to_string)
        .collect()
}

/// The users whose accesses to `patient` the patient's rows alone may not
/// explain as the whole log does: those with an access in the period that
/// has no care link yet (or a care-team link, which the patient's rows
/// alone cannot vouch for, or an unlisted visit, which a care-team link
/// learned from the whole log would come before), or whose title names no role class (a class learned
/// from work needs all of it), and everyone who opened the record within
/// the care-team window of such an access (a collaborator's care visit
/// explains it, and the collaboration is counted over both users' work).
fn needing_more(probe: &ExplainedRun, patient: Code, req: &InvestigateRequest) -> BTreeSet<Code> {
    let ev = &probe.data.events;
    let mut zone = ZoneCache::new(probe.data.tz);
    let period = Period::of(req);
    let titled =
        |u: Code| probe.explained.roles.get(u).is_some_and(|a| a.source != crate::roles::RoleSource::Behaviour);
    let mut needed = BTreeSet::new();
    let mut uncertain = Vec::new();
    for i in (0..ev.len()).filter(|&i| ev.patient[i] == patient) {
        if period.contains(&mut zone, ev.ts[i])
            && (matches!(
                probe.explained.kind[i],
                Explanation::Unexplained | Explanation::CareTeamGroup | Explanation::UnlistedVisit
            ) || !titled(ev.user[i]))
        {
            needed.insert(ev.user[i]);
            uncertain.push(ev.ts[i]);
        }
    }
    let window = i64::from(req.config.explain.group_window_days + 1) * MICROS_PER_DAY;
    uncertain.sort_unstable();
    for i in (0..ev.len()).filter(|&i| ev.patient[i] == patient) {
        let t = ev.ts[i];
        let from = uncertain.partition_point(|&u| u < t - window);
        if uncertain.get(from).is_some_and(|&u| u <= t + window) {
            needed.insert(ev.user[i]);
        }
    }
    needed
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
    let mut kept = None;
    let (data, id) = read(req, patient, progress, &mut notes, &mut kept)?;
    let code = data.dict.patients.get(&id).ok_or(InvestigateError::UnknownPatient { hint: hint(ids.0) })?;
    let run = match &kept {
        Some(kept) => kept.explain(data.whole(), &req.config),
        None => explain_every_event(data.whole(), &req.config, false),
    };
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
