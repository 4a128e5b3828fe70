//! `investigate user`: one user's activity in the period. Per patient the
//! first and last access, the counts by action and category, the care
//! explanation and the alerts of a given alerts.csv; for the page, the
//! accesses by day and hour against the user's usual hours, the distinct
//! patients a day against the peer group's median (the features stage's
//! usual hours and peer groups, over the whole log as detect computes
//! them), and the workstations and addresses with the day each was first
//! used.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::explain::Explanation;
use crate::model::{Action, Code, NONE};
use crate::output::investigation::{write_user_activity, DeviceRow, UserPage, UserPatientRow};
use crate::output::pseudonym::Ids;
use crate::pipeline::explain_every_event;
use crate::progress::Progress;
use crate::time::{date_from_days, ZoneCache, MICROS_PER_DAY, MICROS_PER_HOUR};

use super::load::load_all;
use super::request::{find_code, hint, lock_output, sources, InvestigateError, InvestigateRequest, Outcome, Period};

/// A cell of alerts.csv as written, without the apostrophe that
/// neutralised a formula.
fn unneutralised(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

/// Alert ids of alerts.csv per (user id, patient id) as the file writes them.
fn read_alerts(path: &Path) -> Result<HashMap<(String, String), Vec<String>>, InvestigateError> {
    let bad = |message: String| InvestigateError::Alerts { path: path.to_path_buf(), message };
    let file = crate::fs::open_no_follow(path).map_err(|e| bad(e.to_string()))?;
    let mut r = csv::Reader::from_reader(std::io::BufReader::new(file));
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let column =
        |name: &str| headers.iter().position(|h| h.trim() == name).ok_or_else(|| bad(format!("no column {name}")));
    let (a, u, p) = (column("alert_id")?, column("user_id")?, column("patient_id")?);
    let mut out: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (k, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("row {}: {e}", k + 2)))?;
        let cell = |i: usize| unneutralised(rec.get(i).unwrap_or("")).to_string();
        out.entry((cell(u), cell(p))).or_default().push(cell(a));
    }
    Ok(out)
}

/// One patient's accesses in the period.
#[derive(Default)]
struct OfPatient {
    first: i64,
    last: i64,
    accesses: u64,
    actions: [u64; 5],
    categories: BTreeMap<&'static str, u64>,
    kinds: [u64; Explanation::KINDS],
}

/// Writes user_activity.csv and user_activity.html for `user` (an id, or
/// its token with a pseudonymizer) into the request's output folder;
/// `alerts` is a detect run's alerts.csv whose alert ids are listed.
pub fn investigate_user(
    req: &InvestigateRequest,
    user: &str,
    alerts: Option<&Path>,
    progress: &Progress,
) -> Result<Outcome, InvestigateError> {
    let _lock = lock_output(&req.out)?;
    let ids = Ids(req.pseudonymizer.as_ref());
    let alerts = alerts.map(read_alerts).transpose()?.unwrap_or_default();
    let data = load_all(req, progress)?;
    let token_of = ids.0.map(|p| move |id: &str| p.user(id));
    let token = token_of.as_ref().map(|f| f as &dyn Fn(&str) -> String);
    let code: Code = find_code(&data.dict.users, user, token).ok_or_else(|| InvestigateError::UnknownUser {
        shown: if ids.0.is_some() { String::new() } else { format!("{:?} ", user.trim()) },
        hint: hint(ids.0),
    })?;
    let run = explain_every_event(data.whole(), &req.config, true);
    let (data, ev, explained) = (&run.data, &run.data.events, &run.explained);
    let dict = &data.dict;
    let period = Period::of(req);
    let mut zone = ZoneCache::new(data.tz);

    let mut patients: BTreeMap<Code, OfPatient> = BTreeMap::new();
    let mut heat: BTreeMap<i64, [u32; 24]> = BTreeMap::new();
    let mut daily: BTreeMap<i64, Vec<Code>> = BTreeMap::new();
    // Per workstation and address: first use by the user (any day), and
    // accesses in the period.
    let mut devices: BTreeMap<(u8, Code), (i64, u64)> = BTreeMap::new();
    let mut files = Vec::new();
    for i in (0..ev.len()).filter(|&i| ev.user[i] == code) {
        let t = ev.ts[i];
        let inside = period.contains(&mut zone, t);
        for (kind, device) in [(0u8, ev.workstation[i]), (1, ev.ip[i])] {
            if device != NONE {
                let d = devices.entry((kind, device)).or_insert((t, 0));
                d.0 = d.0.min(t);
                d.1 += u64::from(inside);
            }
        }
        if !inside {
            continue;
        }
        files.push(ev.source_file[i]);
        let local = zone.to_local(t);
        let day = local.div_euclid(MICROS_PER_DAY);
        let hour = (local.rem_euclid(MICROS_PER_DAY) / MICROS_PER_HOUR) as usize;
        heat.entry(day).or_insert([0; 24])[hour.min(23)] += 1;
        let p = ev.patient[i];
        if p == NONE {
            continue;
        }
        daily.entry(day).or_default().push(p);
        let of = patients.entry(p).or_insert_with(|| OfPatient { first: t, last: t, ..Default::default() });
        of.first = of.first.min(t);
        of.last = of.last.max(t);
        of.accesses += 1;
        let slot = match ev.action[i] {
            Action::View => 0,
            Action::Create | Action::Update => 1,
            Action::Print => 2,
            Action::Export => 3,
            _ => 4,
        };
        of.actions[slot] += 1;
        let category = ev.category[i].as_str();
        *of.categories.entry(if category.is_empty() { "unspecified" } else { category }).or_insert(0) += 1;
        of.kinds[explained.kind[i] as usize] += 1;
    }

    let user_shown = ids.user(dict.users.name(code));
    let mut rows: Vec<(i64, UserPatientRow)> = patients
        .into_iter()
        .map(|(p, of)| {
            let unexplained = of.kinds[Explanation::Unexplained as usize];
            // The kind of most accesses; on a tie, care (in order of preference).
            let explanation = Explanation::CARE
                .into_iter()
                .chain([Explanation::Unexplained])
                .rev()
                .max_by_key(|k| of.kinds[*k as usize])
                .unwrap_or(Explanation::Unexplained);
            let patient_shown = ids.patient(dict.patients.name(p));
            let alert_ids =
                alerts.get(&(user_shown.clone(), patient_shown.clone())).map(|a| a.join(";")).unwrap_or_default();
            let row = UserPatientRow {
                patient_id: patient_shown,
                first_access: zone.format_local(of.first),
                last_access: zone.format_local(of.last),
                accesses: of.accesses,
                views: of.actions[0],
                charting: of.actions[1],
                prints: of.actions[2],
                exports: of.actions[3],
                other_actions: of.actions[4],
                categories: of.categories.iter().map(|(c, n)| format!("{c}={n}")).collect::<Vec<_>>().join(";"),
                explanation: explanation.as_str().to_string(),
                unexplained_accesses: unexplained,
                alert_ids,
            };
            (of.first, row)
        })
        .collect();
    // No care link first, then partly explained, then by first access.
    rows.sort_by(|(ta, a), (tb, b)| {
        let rank = |r: &UserPatientRow| match (r.explanation.as_str(), r.unexplained_accesses) {
            ("unexplained", _) => 0,
            (_, n) if n > 0 => 1,
            _ => 2,
        };
        rank(a).cmp(&rank(b)).then(ta.cmp(tb)).then(a.patient_id.cmp(&b.patient_id))
    });

    let record = data.roster.as_ref().and_then(|r| r.get(code));
    let features = run.features.as_ref();
    let stats = features.and_then(|f| f.get(code));
    let mut usual = [false; 24];
    let usual_label = match stats {
        Some(s) => {
            for (h, u) in usual.iter_mut().enumerate() {
                *u = s.usual_hours.contains(h as u8);
            }
            let how = if s.usual_hours.learned { "learned from the user's accesses" } else { "the default day window" };
            format!("{}, {how}", s.usual_hours)
        }
        None => "not known".to_string(),
    };
    let peer_median = features.and_then(|f| {
        let peers = f.peers.as_ref()?;
        let g = *peers.assignment.get(f.position(code)?)?;
        Some((peers.medians.get(g)?[1], peers.labels.get(g).cloned().unwrap_or_default()))
    });
    let role = {
        let title =
            record.and_then(|r| r.role.as_deref().map(str::to_string)).unwrap_or_else(|| "no title".to_string());
        match explained.roles.get(code) {
            Some(a) if a.source == crate::roles::RoleSource::Behaviour => {
                format!("{title} (class {}, learned from the user's work)", a.class)
            }
            Some(a) => format!("{title} (class {})", a.class),
            None => format!("{title} (no role class)"),
        }
    };
    let name = match (ids.0, record) {
        (None, Some(r)) => {
            let n = format!("{} {}", r.first_name.as_deref().unwrap_or(""), r.last_name.as_deref().unwrap_or(""));
            Some(n.trim().to_string()).filter(|n| !n.is_empty())
        }
        _ => None,
    };
    let day_name = |d: i64| date_from_days(d as i32).to_string();
    let page = UserPage {
        user: user_shown.clone(),
        name,
        role,
        department: record.and_then(|r| r.department).map(|d| dict.departments.name(d).to_string()).unwrap_or_default(),
        period: Period::describe(req),
        sources: sources(data, files.into_iter()),
        rows: rows.into_iter().map(|(_, r)| r).collect(),
        heat: heat.into_iter().map(|(d, h)| (day_name(d), h)).collect(),
        usual,
        usual_label,
        daily: daily
            .into_iter()
            .map(|(d, mut p)| {
                p.sort_unstable();
                p.dedup();
                (day_name(d), p.len() as u64)
            })
            .collect(),
        peer_median,
        devices: devices
            .into_iter()
            .filter(|(_, (_, n))| *n > 0)
            .map(|((kind, d), (first, accesses))| DeviceRow {
                kind: if kind == 0 { "workstation" } else { "address" },
                id: if kind == 0 { dict.workstations.name(d).to_string() } else { dict.ips.name(d).to_string() },
                first_seen: day_name(zone.to_local(first).div_euclid(MICROS_PER_DAY)),
                accesses,
            })
            .collect(),
        pseudonymized: ids.0.is_some(),
    };
    write_user_activity(&req.out, &page)?;
    Ok(Outcome {
        rows: page.rows.len(),
        files: vec![req.out.join("user_activity.csv"), req.out.join("user_activity.html")],
    })
}
