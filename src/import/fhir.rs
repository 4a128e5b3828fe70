//! HL7 FHIR AuditEvent, R4 and R5, with the IHE BALP conventions.
//!
//! Reads NDJSON (a bulk export: one resource per line, batches of lines
//! parsed in parallel), a JSON Bundle, a JSON array, or a single resource.
//! One AuditEvent gives one access_log record per patient it names (or one
//! without a patient). The mapping, element by element:
//!
//! - `timestamp`: `occurredDateTime`, `occurredPeriod.start` (R5), `period.start`
//!   (R4), else `recorded`.
//! - `user_id`: the agent with `requestor = true` (BALP's user agent; when
//!   several, the human user), else the single agent typed `humanuser`; its
//!   `who.identifier.value`, else the id of `who.reference`. A display name
//!   alone is not an id: such events are rejected.
//! - `patient_id`: R5 `patient`, entities with role Patient (object-role 1),
//!   BALP's Person entity, and any entity whose `what` references `Patient/…`;
//!   ids are the reference's id (`Patient/7/_history/1` → `7`) or the
//!   identifier value (an HL7 v2 CX value `7^^^&1.2.3&ISO` is cut to `7`).
//! - `action`: the most specific code first (R4 `subtype`, R5 `code`), then R4
//!   `type` / R5 `category`, then the `action` letter (C create, R view,
//!   U update, D delete); see [`code_action`]. Anything else (an `E` with an
//!   unknown code) is `other` and counted per code in the summary. A read or
//!   change that names no patient (of a Practitioner, a Consent) is not an
//!   access of a patient's record: also `other`, counted as "view without a
//!   patient".
//! - `data_category`: from the resource types the entities reference
//!   ([`resource_category`]); a security label of a sensitive kind (PSY, BH,
//!   ETH, HIV, SEX, GDIS, ...) overrides it. A Patient resource counts as
//!   demographics only when it is the object read (no role, or role 4), not
//!   when it merely names the patient (role 1).
//! - `workstation_id`, `ip_address`: the agents' `network` (R4: type 1 machine
//!   name, type 2 IP) or `networkString` (R5: an IP address if it parses as
//!   one, else a machine name), the requestor's first; destination agents
//!   (DICOM 110152, 110154) are skipped.
//! - `department_id`: the id of the requestor's `location`.
//! - `break_glass`: the DICOM code 110127 (Emergency Override Started), or a
//!   purpose of use / authorization ETREAT or BTG (event or agent level).
//! - `event_id`: the resource id.
//!
//! An event whose outcome is not success (`0`) is rejected: the access did
//! not happen, and the contract has no column for failures.

use std::io::{BufRead, Read, Write};
use std::net::IpAddr;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ImportError;
use super::inputs::{open, InputFile};
use super::record::{check_patient, AccessRecord, Converted, Unmapped};
use super::session::Session;
use crate::model::{Action, DataCategory};
use crate::time::{parse_timestamp, ZoneCache, TIMESTAMP_EXPECTED};

/// File endings read from a folder.
pub const EXTENSIONS: [&str; 3] = [".ndjson", ".jsonl", ".json"];
/// What a folder must hold.
pub const EXPECTED: &str = "FHIR .ndjson, .jsonl or .json";
/// NDJSON lines parsed per parallel batch.
const BATCH_LINES: usize = 16 * 1024;

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const REST: &str = "http://hl7.org/fhir/restful-interaction";
const EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const ROLE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
/// ehrwatch's own code system for actions FHIR has no code for (print).
pub const EHRWATCH_ACTION: &str = "https://github.com/ehrwatch/ehrwatch/action";

// ---------------------------------------------------------------------------
// The resource, as far as ehrwatch reads it. Both R4 and R5 shapes are
// accepted by the same structs: a `Concept` takes a Coding or a
// CodeableConcept, and unknown elements are skipped.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Coding {
    system: Option<String>,
    code: Option<String>,
    display: Option<String>,
}

/// A Coding (R4 `type`, `subtype`, entity `role`) or a CodeableConcept (R5).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Concept {
    coding: Vec<Coding>,
    text: Option<String>,
    system: Option<String>,
    code: Option<String>,
    display: Option<String>,
}

impl Concept {
    fn codings(&self) -> impl Iterator<Item = (&str, &str, Option<&str>)> {
        let own = self.code.as_deref().map(|c| (self.system.as_deref().unwrap_or(""), c, self.display.as_deref()));
        own.into_iter().chain(self.coding.iter().filter_map(|c| {
            c.code.as_deref().map(|code| (c.system.as_deref().unwrap_or(""), code, c.display.as_deref()))
        }))
    }

    fn has_code(&self, system_part: &str, code: &str) -> bool {
        self.codings().any(|(s, c, _)| c == code && (s.is_empty() || s.contains(system_part)))
    }

    fn label(&self) -> Option<String> {
        self.text.clone().or_else(|| self.codings().next().map(|(_, c, d)| d.unwrap_or(c).to_string()))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Identifier {
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Reference {
    reference: Option<String>,
    identifier: Option<Identifier>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Period {
    start: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Network {
    address: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Agent {
    #[serde(rename = "type")]
    kind: Option<Concept>,
    who: Option<Reference>,
    requestor: Option<bool>,
    location: Option<Reference>,
    network: Option<Network>,
    network_string: Option<String>,
    purpose_of_use: Vec<Concept>,
    authorization: Vec<Concept>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Entity {
    what: Option<Reference>,
    #[serde(rename = "type")]
    kind: Option<Concept>,
    role: Option<Concept>,
    security_label: Vec<Concept>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OutcomeObject {
    code: Option<Concept>,
}

/// R4: a code string; R5: an object with a Coding.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Outcome {
    Code(String),
    Object(OutcomeObject),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AuditEvent {
    resource_type: Option<String>,
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<Concept>,
    subtype: Vec<Concept>,
    category: Vec<Concept>,
    code: Option<Concept>,
    action: Option<String>,
    recorded: Option<String>,
    occurred_date_time: Option<String>,
    occurred_period: Option<Period>,
    period: Option<Period>,
    outcome: Option<Outcome>,
    purpose_of_event: Vec<Concept>,
    authorization: Vec<Concept>,
    patient: Option<Reference>,
    agent: Vec<Agent>,
    entity: Vec<Entity>,
}

// ---------------------------------------------------------------------------
// Vocabulary.

/// The action a code stands for, when it decides one. `rest` and DICOM's
/// class codes (110100, 110110, 110113, 110114) do not: the subtype or the
/// action letter does.
pub fn code_action(system: &str, code: &str) -> Option<Action> {
    let dicom = system.is_empty() || system.contains("dicom") || system.contains("DCM");
    let rest = system.is_empty() || system.contains("restful-interaction");
    if dicom {
        let a = match code {
            "110122" => Some(Action::Login),
            "110123" => Some(Action::Logout),
            "110106" | "110104" => Some(Action::Export),
            "110107" => Some(Action::Create),
            "110112" => Some(Action::Search),
            "110103" | "110127" => Some(Action::View),
            _ => None,
        };
        if a.is_some() {
            return a;
        }
    }
    if rest {
        let a = match code {
            "read" | "vread" | "history" | "history-instance" | "history-type" => Some(Action::View),
            "search" | "search-type" | "search-system" | "history-system" => Some(Action::Search),
            "create" => Some(Action::Create),
            "update" | "patch" => Some(Action::Update),
            "delete" => Some(Action::Delete),
            _ => None,
        };
        if a.is_some() {
            return a;
        }
    }
    if let Some(t) = code.strip_prefix("ITI-") {
        return match t {
            "9" | "18" | "21" | "38" | "45" | "47" | "55" | "67" | "78" | "83" => Some(Action::Search),
            "39" | "43" | "68" => Some(Action::View),
            "32" => Some(Action::Export),
            "41" | "42" | "61" | "65" => Some(Action::Create),
            _ => None,
        };
    }
    if system == EHRWATCH_ACTION {
        return Action::parse(code);
    }
    // The HIPAA disclosure code of the FHIR examples: data left the organisation.
    if code.eq_ignore_ascii_case("disclosure") {
        return Some(Action::Export);
    }
    None
}

/// The data category of a resource type, when it has one.
pub fn resource_category(resource_type: &str) -> Option<DataCategory> {
    Some(match resource_type {
        "Patient" => DataCategory::Demographics,
        "Observation" | "DiagnosticReport" | "Specimen" => DataCategory::Results,
        "MedicationRequest"
        | "MedicationStatement"
        | "MedicationAdministration"
        | "MedicationDispense"
        | "Medication"
        | "Immunization" => DataCategory::Medications,
        "ImagingStudy" | "ImagingSelection" | "Media" => DataCategory::Imaging,
        "ServiceRequest" | "NutritionOrder" | "DeviceRequest" | "RequestGroup" | "RequestOrchestration" => {
            DataCategory::Orders
        }
        "DocumentReference" | "Composition" | "ClinicalImpression" | "DocumentManifest" => DataCategory::Notes,
        "Claim" | "ClaimResponse" | "Coverage" | "ExplanationOfBenefit" | "Account" | "Invoice" | "ChargeItem" => {
            DataCategory::Billing
        }
        "MolecularSequence" | "GenomicStudy" => DataCategory::Genetic,
        _ => return None,
    })
}

/// A sensitive category from a security label code (v3 ActCode and friends).
fn label_category(code: &str) -> Option<DataCategory> {
    Some(match code {
        "PSY" | "PSYTHPN" | "BH" | "MH" => DataCategory::BehavioralHealth,
        "ETH" | "SUD" | "ETHUD" | "ALCUD" | "OPIOIDUD" | "COCAUD" | "DRGIS" => DataCategory::SubstanceUse,
        "HIV" => DataCategory::Hiv,
        "SEX" => DataCategory::Reproductive,
        "GDIS" => DataCategory::Genetic,
        _ => return None,
    })
}

/// The id a reference points at: `Patient/7/_history/1` → (`Patient`, `7`);
/// absolute URLs too. Contained (`#x`) and malformed references give `None`.
fn reference_parts(reference: &str) -> Option<(&str, &str)> {
    let r = reference.split("/_history/").next().unwrap_or(reference).trim_end_matches('/');
    if r.starts_with('#') || r.starts_with("urn:") {
        return None;
    }
    let mut it = r.rsplit('/');
    let id = it.next()?;
    let kind = it.next()?;
    (!id.is_empty() && kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())).then_some((kind, id))
}

/// An identifier value as an id: an HL7 v2 CX value is cut to its id part.
fn identifier_id(value: &str) -> Option<String> {
    let v = value.split('^').next().unwrap_or(value).trim();
    (!v.is_empty()).then(|| v.to_string())
}

// ---------------------------------------------------------------------------
// Conversion.

fn is_success(outcome: &Option<Outcome>) -> Result<(), String> {
    let code = match outcome {
        None => return Ok(()),
        Some(Outcome::Code(c)) => Some(c.clone()),
        Some(Outcome::Object(o)) => {
            o.code.as_ref().and_then(|c| c.codings().next().map(|(_, code, _)| code.to_string()))
        }
    };
    match code.as_deref() {
        None | Some("0") => Ok(()),
        Some(other) => Err(format!(
            "outcome \"{other}\" is not success (0): the access did not happen, and the contract has no column for failures"
        )),
    }
}

fn agent_type_is(agent: &Agent, code: &str) -> bool {
    agent.kind.as_ref().is_some_and(|k| k.codings().any(|(_, c, _)| c == code))
}

fn pick_user(ev: &AuditEvent) -> Result<&Agent, String> {
    let requestors: Vec<&Agent> = ev.agent.iter().filter(|a| a.requestor == Some(true)).collect();
    let chosen = match requestors.len() {
        1 => Some(requestors[0]),
        0 => {
            let humans: Vec<&Agent> = ev.agent.iter().filter(|a| agent_type_is(a, "humanuser")).collect();
            (humans.len() == 1).then(|| humans[0])
        }
        _ => requestors
            .iter()
            .find(|a| agent_type_is(a, "humanuser"))
            .or_else(|| requestors.iter().find(|a| a.who.as_ref().is_some_and(|w| w.identifier.is_some())))
            .copied()
            .or(Some(requestors[0])),
    };
    chosen.ok_or_else(|| {
        format!(
            "no agent with requestor=true among {} agents; expected the user agent marked requestor (IHE BALP)",
            ev.agent.len()
        )
    })
}

fn user_id(agent: &Agent) -> Result<String, String> {
    let who = agent.who.as_ref().ok_or("the requestor agent has no who; expected who.identifier or who.reference")?;
    if let Some(v) = who.identifier.as_ref().and_then(|i| i.value.as_deref()).map(str::trim).filter(|v| !v.is_empty()) {
        return Ok(v.to_string());
    }
    if let Some((_, id)) = who.reference.as_deref().and_then(reference_parts) {
        return Ok(id.to_string());
    }
    Err("the requestor agent's who has neither identifier.value nor a resolvable reference (a display name is not an id)"
        .into())
}

fn patients(ev: &AuditEvent) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |id: String| {
        if !out.contains(&id) {
            out.push(id);
        }
    };
    if let Some((_, id)) = ev.patient.as_ref().and_then(|p| p.reference.as_deref()).and_then(reference_parts) {
        add(id.to_string());
    } else if let Some(id) =
        ev.patient.as_ref().and_then(|p| p.identifier.as_ref()?.value.as_deref()).and_then(identifier_id)
    {
        add(id);
    }
    for e in &ev.entity {
        let Some(what) = &e.what else { continue };
        let reference = what.reference.as_deref().and_then(reference_parts);
        let patient_role = e.role.as_ref().is_some_and(|r| r.has_code(OBJECT_ROLE, "1"));
        let person_type = e.kind.as_ref().is_some_and(|k| k.has_code(ENTITY_TYPE, "1"));
        match reference {
            Some(("Patient", id)) => add(id.to_string()),
            Some(_) => {}
            None if patient_role || person_type => {
                if let Some(id) = what.identifier.as_ref().and_then(|i| i.value.as_deref()).and_then(identifier_id) {
                    add(id);
                }
            }
            None => {}
        }
    }
    out
}

fn category(ev: &AuditEvent) -> (DataCategory, Option<String>) {
    for e in &ev.entity {
        for label in &e.security_label {
            if let Some(c) = label.codings().find_map(|(_, code, _)| label_category(code)) {
                return (c, None);
            }
        }
    }
    let mut demographics = false;
    let mut unmapped = None;
    for e in &ev.entity {
        let Some((kind, _)) = e.what.as_ref().and_then(|w| w.reference.as_deref()).and_then(reference_parts) else {
            continue;
        };
        if kind == "Patient" {
            let names_only = e.role.as_ref().is_some_and(|r| r.has_code(OBJECT_ROLE, "1"));
            demographics |= !names_only;
            continue;
        }
        match resource_category(kind) {
            Some(c) => return (c, None),
            None => unmapped = unmapped.or(Some(kind.to_string())),
        }
    }
    if demographics {
        return (DataCategory::Demographics, None);
    }
    (DataCategory::Unspecified, unmapped)
}

fn action(ev: &AuditEvent) -> (Action, Option<String>) {
    let specific: Vec<&Concept> = ev.subtype.iter().chain(ev.code.iter()).collect();
    let general: Vec<&Concept> = ev.kind.iter().chain(ev.category.iter()).collect();
    for group in [&specific, &general] {
        for c in group.iter() {
            if let Some(a) = c.codings().find_map(|(s, code, _)| code_action(s, code)) {
                return (a, None);
            }
        }
    }
    let letter = ev.action.as_deref().unwrap_or("");
    match letter {
        "C" => (Action::Create, None),
        "R" => (Action::View, None),
        "U" => (Action::Update, None),
        "D" => (Action::Delete, None),
        _ => {
            let code = specific.iter().chain(general.iter()).find_map(|c| {
                c.codings().next().map(|(_, code, d)| format!("{code} {}", d.unwrap_or("")).trim().to_string())
            });
            let key = match code {
                Some(c) => format!("action {} code {c}", if letter.is_empty() { "-" } else { letter }),
                None => format!("action {}", if letter.is_empty() { "-" } else { letter }),
            };
            (Action::Other, Some(key))
        }
    }
}

fn is_break_glass_reason(c: &Concept) -> bool {
    c.codings().any(|(s, code, _)| (code == "ETREAT" || code == "BTG") && (s.is_empty() || s.contains("ActReason")))
}

fn break_glass(ev: &AuditEvent, user: &Agent) -> Option<String> {
    let codes = ev.subtype.iter().chain(ev.code.iter()).chain(ev.kind.iter()).chain(ev.category.iter());
    for c in codes {
        if c.codings()
            .any(|(s, code, _)| code == "110127" && (s.is_empty() || s.contains("dicom") || s.contains("DCM")))
        {
            return Some(c.label().unwrap_or_else(|| "Emergency Override Started".into()));
        }
    }
    let reasons = ev
        .purpose_of_event
        .iter()
        .chain(ev.authorization.iter())
        .chain(user.purpose_of_use.iter())
        .chain(user.authorization.iter());
    for c in reasons {
        if is_break_glass_reason(c) {
            return Some(c.label().unwrap_or_else(|| "ETREAT".into()));
        }
    }
    None
}

fn network(ev: &AuditEvent, user: &Agent) -> (Option<String>, Option<String>) {
    let mut ws = None;
    let mut ip = None;
    let others = ev.agent.iter().filter(|a| !std::ptr::eq(*a, user));
    for a in std::iter::once(user).chain(others) {
        if agent_type_is(a, "110152") || agent_type_is(a, "110154") {
            continue;
        }
        if let Some(n) = &a.network {
            if let Some(addr) = n.address.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                match n.kind.as_deref() {
                    Some("1") => ws = ws.or(Some(addr.to_string())),
                    Some("2") => ip = ip.or(Some(addr.to_string())),
                    _ => {}
                }
            }
        }
        if let Some(s) = a.network_string.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            if s.parse::<IpAddr>().is_ok() {
                ip = ip.or(Some(s.to_string()));
            } else {
                ws = ws.or(Some(s.to_string()));
            }
        }
    }
    (ws, ip)
}

fn when(ev: &AuditEvent, zone: &mut ZoneCache) -> Result<i64, (String, String)> {
    let (element, text) = if let Some(t) = &ev.occurred_date_time {
        ("occurredDateTime", t)
    } else if let Some(t) = ev.occurred_period.as_ref().and_then(|p| p.start.as_ref()) {
        ("occurredPeriod.start", t)
    } else if let Some(t) = ev.period.as_ref().and_then(|p| p.start.as_ref()) {
        ("period.start", t)
    } else if let Some(t) = &ev.recorded {
        ("recorded", t)
    } else {
        return Err(("recorded".into(), "missing; expected recorded or occurredDateTime".into()));
    };
    parse_timestamp(text)
        .map(|ts| zone.resolve(ts))
        .map_err(|()| (element.to_string(), format!("\"{text}\" is not an instant; {TIMESTAMP_EXPECTED}")))
}

fn convert_event(ev: AuditEvent, zone: &mut ZoneCache) -> Converted {
    match ev.resource_type.as_deref() {
        Some("AuditEvent") => {}
        Some(other) => {
            return Converted::reject("resourceType", format!("resourceType is {other}; expected AuditEvent"))
        }
        None => return Converted::reject("resourceType", "missing; expected \"resourceType\": \"AuditEvent\""),
    }
    if let Err(reason) = is_success(&ev.outcome) {
        return Converted::reject("outcome", reason);
    }
    let ts = match when(&ev, zone) {
        Ok(ts) => ts,
        Err((column, reason)) => return Converted::reject(column, reason),
    };
    let agent = match pick_user(&ev) {
        Ok(a) => a,
        Err(reason) => return Converted::reject("agent", reason),
    };
    let user = match user_id(agent) {
        Ok(u) => u,
        Err(reason) => return Converted::reject("agent.who", reason),
    };
    let (mut action, mut unmapped_action) = action(&ev);
    let ids = patients(&ev);
    if ids.is_empty() && action.needs_patient() {
        // Not an access of a patient's record (a read of a Practitioner, a
        // Consent, ...): kept as `other` and counted, never dropped.
        unmapped_action = Some(format!("{} without a patient", action.as_str()));
        action = Action::Other;
    }
    let (data_category, unmapped_category) = category(&ev);
    let bg = break_glass(&ev, agent);
    let (ws, ip) = network(&ev, agent);
    let department = agent.location.as_ref().and_then(|l| {
        l.reference
            .as_deref()
            .and_then(reference_parts)
            .map(|(_, id)| id.to_string())
            .or_else(|| l.identifier.as_ref()?.value.clone())
    });
    let mut base = AccessRecord::new(ts, user, action);
    base.data_category = data_category;
    base.workstation_id = ws;
    base.ip_address = ip;
    base.department_id = department;
    base.break_glass = bg.is_some();
    base.reason = bg;
    base.event_id = ev.id.clone();
    let records: Vec<AccessRecord> = if ids.is_empty() {
        vec![base]
    } else {
        ids.into_iter()
            .map(|p| {
                let mut r = base.clone();
                r.patient_id = Some(p);
                r
            })
            .collect()
    };
    debug_assert!(check_patient(&records[0]).is_ok());
    let mut unmapped = Vec::new();
    unmapped.extend(unmapped_action.map(Unmapped::Action));
    unmapped.extend(unmapped_category.map(Unmapped::Category));
    Converted::Records(records, unmapped)
}

/// Converts one resource from JSON text.
pub fn convert_json(text: &str, zone: &mut ZoneCache) -> Converted {
    match serde_json::from_str::<AuditEvent>(text) {
        Ok(ev) => convert_event(ev, zone),
        Err(e) => Converted::reject("", format!("not a FHIR resource in JSON: {e}")),
    }
}

fn convert_value(v: Value, zone: &mut ZoneCache) -> Converted {
    match serde_json::from_value::<AuditEvent>(v) {
        Ok(ev) => convert_event(ev, zone),
        Err(e) => Converted::reject("", format!("not a FHIR AuditEvent: {e}")),
    }
}

// ---------------------------------------------------------------------------
// Reading files.

/// Reads one input: NDJSON by line, or a JSON document (Bundle, array or a
/// single resource). A `.json` file that turns out to hold several lines of
/// resources is read as NDJSON.
pub fn read_file(file: &InputFile, session: &mut Session<'_>, zone: &mut ZoneCache) -> Result<(), ImportError> {
    let kind = file.kind_name();
    if kind.ends_with(".json") {
        let mut text = String::new();
        open(&file.path)?.read_to_string(&mut text).map_err(|e| ImportError::Read {
            file: file.path.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        match serde_json::from_str::<Value>(&text) {
            Ok(v) => return read_document(file, v, session, zone),
            Err(e)
                if e.is_syntax() && e.line() > 1 && text.trim_start().starts_with('{') && looks_like_ndjson(&text) =>
            {
                return read_lines(file, std::io::Cursor::new(text.into_bytes()), session, zone);
            }
            Err(e) => {
                return Err(ImportError::BadDocument {
                    file: file.path.clone(),
                    message: format!("not JSON (line {}, column {}): {e}", e.line(), e.column()),
                    expected: "a FHIR AuditEvent, a Bundle of them, or NDJSON (one resource per line)",
                })
            }
        }
    }
    read_lines(file, open(&file.path)?, session, zone)
}

fn looks_like_ndjson(text: &str) -> bool {
    text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| serde_json::from_str::<Value>(l).is_ok())
}

fn read_document(
    file: &InputFile,
    v: Value,
    session: &mut Session<'_>,
    zone: &mut ZoneCache,
) -> Result<(), ImportError> {
    let resources: Vec<(u64, Value)> = match v {
        Value::Array(items) => items.into_iter().enumerate().map(|(i, r)| (i as u64 + 1, r)).collect(),
        Value::Object(mut o) if o.get("resourceType").and_then(Value::as_str) == Some("Bundle") => {
            let entries = match o.remove("entry") {
                Some(Value::Array(e)) => e,
                None => Vec::new(),
                Some(_) => {
                    return Err(ImportError::BadDocument {
                        file: file.path.clone(),
                        message: "Bundle.entry is not an array".into(),
                        expected: "a Bundle whose entry is an array of {\"resource\": AuditEvent}",
                    })
                }
            };
            entries
                .into_iter()
                .enumerate()
                .map(|(i, mut e)| (i as u64 + 1, e.get_mut("resource").map(Value::take).unwrap_or(Value::Null)))
                .collect()
        }
        other => vec![(1, other)],
    };
    for (line, r) in resources {
        let raw = r.to_string();
        let outcome = if r.is_null() {
            Converted::reject("resource", "bundle entry has no resource; expected entry.resource")
        } else {
            convert_value(r, zone)
        };
        session.row(line, || raw, outcome)?;
    }
    Ok(())
}

fn read_lines(
    file: &InputFile,
    mut reader: impl BufRead,
    session: &mut Session<'_>,
    zone: &mut ZoneCache,
) -> Result<(), ImportError> {
    let mut line_no: u64 = 0;
    let mut buf = Vec::new();
    loop {
        let mut batch: Vec<(u64, Result<String, String>)> = Vec::with_capacity(BATCH_LINES);
        let mut eof = false;
        while batch.len() < BATCH_LINES {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(|e| ImportError::Read {
                file: file.path.clone(),
                line: line_no + 1,
                message: e.to_string(),
            })?;
            if n == 0 {
                eof = true;
                break;
            }
            line_no += 1;
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = String::from_utf8(std::mem::take(&mut buf))
                .map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            batch.push((line_no, text));
        }
        let outcomes: Vec<Converted> = batch
            .par_iter()
            .map_init(
                || zone.clone(),
                |z, (_, text)| match text {
                    Ok(t) => convert_json(t, z),
                    Err(_) => Converted::reject("", "line is not valid UTF-8"),
                },
            )
            .collect();
        for ((line, text), outcome) in batch.into_iter().zip(outcomes) {
            session.row(line, || text.unwrap_or_else(|e| e), outcome)?;
        }
        if eof {
            return Ok(());
        }
    }
}

// ---------------------------------------------------------------------------
// Writing: canonical records as FHIR R4 AuditEvents (IHE BALP shape), NDJSON.

/// The file name [`FhirWriter`] writes.
pub const FHIR_FILE: &str = "audit_events.ndjson";

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}

/// (type, subtype, action letter) of an action.
fn action_codes(action: Action) -> (Value, Value, &'static str) {
    let rest = coding(EVENT_TYPE, "rest", "Restful Operation");
    let sub = |code: &str| coding(REST, code, code);
    match action {
        Action::View => (rest, sub("read"), "R"),
        Action::Create => (rest, sub("create"), "C"),
        Action::Update => (rest, sub("update"), "U"),
        Action::Delete => (rest, sub("delete"), "D"),
        Action::Search => (rest, sub("search-type"), "E"),
        Action::Login => (coding(DCM, "110114", "User Authentication"), coding(DCM, "110122", "Login"), "E"),
        Action::Logout => (coding(DCM, "110114", "User Authentication"), coding(DCM, "110123", "Logout"), "E"),
        Action::Export => (coding(DCM, "110106", "Export"), coding(EHRWATCH_ACTION, "export", "Export"), "R"),
        Action::Print => (coding(DCM, "110106", "Export"), coding(EHRWATCH_ACTION, "print", "Print"), "R"),
        Action::Other => {
            (coding(DCM, "110100", "Application Activity"), coding(DCM, "110120", "Application Start"), "E")
        }
    }
}

/// (resource type, security label) an entity gets for a category.
fn category_entity(c: DataCategory) -> Option<(&'static str, Option<&'static str>)> {
    Some(match c {
        DataCategory::Unspecified | DataCategory::Other => return None,
        DataCategory::Demographics => ("Patient", None),
        DataCategory::Notes => ("DocumentReference", None),
        DataCategory::Results => ("Observation", None),
        DataCategory::Medications => ("MedicationRequest", None),
        DataCategory::Imaging => ("ImagingStudy", None),
        DataCategory::Orders => ("ServiceRequest", None),
        DataCategory::Billing => ("Claim", None),
        DataCategory::BehavioralHealth => ("DocumentReference", Some("BH")),
        DataCategory::SubstanceUse => ("DocumentReference", Some("ETH")),
        DataCategory::Hiv => ("Observation", Some("HIV")),
        DataCategory::Reproductive => ("DocumentReference", Some("SEX")),
        DataCategory::Genetic => ("Observation", Some("GDIS")),
    })
}

/// Renders one record as a FHIR R4 AuditEvent following IHE BALP: the user
/// agent with requestor=true (its IP as network type 2, its department as
/// location), a Source Role agent for the workstation (network type 1), the
/// patient entity (Person, role Patient), and a data entity whose resource
/// type and security label carry the data category.
pub fn render(r: &AccessRecord, seq: u64) -> Value {
    let (kind, subtype, letter) = action_codes(r.action);
    let recorded = crate::time::ZoneCache::new(chrono_tz::UTC).format_local(r.timestamp);
    let micros = r.timestamp.rem_euclid(1_000_000);
    let recorded = if micros == 0 {
        recorded.replace("+00:00", "Z")
    } else {
        recorded.replace("+00:00", &format!(".{micros:06}Z"))
    };
    let id = r.event_id.clone().unwrap_or_else(|| format!("ehrwatch-{seq}"));
    let mut user = json!({
        "type": {"coding": [coding(ROLE_TYPE, "humanuser", "human user")]},
        "who": {"identifier": {"value": r.user_id}},
        "requestor": true,
    });
    if let Some(ip) = &r.ip_address {
        user["network"] = json!({"address": ip, "type": "2"});
    }
    if let Some(d) = &r.department_id {
        user["location"] = json!({"reference": format!("Location/{d}")});
    }
    if r.break_glass {
        user["purposeOfUse"] = json!([{"coding": [coding(ACT_REASON, "ETREAT", "Emergency Treatment")], "text": r.reason.clone().unwrap_or_else(|| "break the glass".into())}]);
    }
    let mut agents = vec![user];
    if let Some(ws) = &r.workstation_id {
        agents.push(json!({
            "type": {"coding": [coding(DCM, "110153", "Source Role ID")]},
            "who": {"display": ws},
            "requestor": false,
            "network": {"address": ws, "type": "1"},
        }));
    }
    let mut entities = Vec::new();
    if let Some(p) = &r.patient_id {
        entities.push(json!({
            "what": {"reference": format!("Patient/{p}")},
            "type": coding(ENTITY_TYPE, "1", "Person"),
            "role": coding(OBJECT_ROLE, "1", "Patient"),
        }));
    }
    if let Some((rtype, label)) = category_entity(r.data_category) {
        let target = match (rtype, &r.patient_id) {
            ("Patient", Some(p)) => format!("Patient/{p}"),
            _ => format!("{rtype}/{id}"),
        };
        let mut e = json!({
            "what": {"reference": target},
            "type": coding(ENTITY_TYPE, "2", "System Object"),
            "role": coding(OBJECT_ROLE, "4", "Domain Resource"),
        });
        if let Some(l) = label {
            e["securityLabel"] = json!([coding(ACT_CODE, l, l)]);
        }
        entities.push(e);
    }
    let mut ev = json!({
        "resourceType": "AuditEvent",
        "id": id,
        "type": kind,
        "subtype": [subtype],
        "action": letter,
        "recorded": recorded,
        "outcome": "0",
        "agent": agents,
        "source": {"observer": {"display": "ehrwatch"}},
    });
    if !entities.is_empty() {
        ev["entity"] = Value::Array(entities);
    }
    ev
}

/// Writes canonical records as FHIR NDJSON.
pub struct FhirWriter<W: Write> {
    out: W,
    seq: u64,
}

impl<W: Write> FhirWriter<W> {
    /// A writer onto `out`.
    pub fn new(out: W) -> Self {
        FhirWriter { out, seq: 0 }
    }

    /// Writes one record as one line.
    pub fn write(&mut self, r: &AccessRecord) -> std::io::Result<()> {
        self.seq += 1;
        serde_json::to_writer(&mut self.out, &render(r, self.seq))?;
        self.out.write_all(b"\n")
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Converted {
        convert_json(text, &mut ZoneCache::new(chrono_tz::UTC))
    }

    fn records(text: &str) -> Vec<AccessRecord> {
        match one(text) {
            Converted::Records(r, _) => r,
            Converted::Rejected(r) => panic!("rejected: {r:?}"),
        }
    }

    #[test]
    fn references_and_identifiers() {
        assert_eq!(reference_parts("Patient/7/_history/1"), Some(("Patient", "7")));
        assert_eq!(reference_parts("http://x.org/fhir/Patient/abc"), Some(("Patient", "abc")));
        assert_eq!(reference_parts("#o1"), None);
        assert_eq!(identifier_id("e3cd^^^&2.16.840&ISO").as_deref(), Some("e3cd"));
    }

    #[test]
    fn several_agents_the_requestor_is_the_user_and_destinations_are_skipped() {
        let text = r#"{"resourceType":"AuditEvent","action":"R","recorded":"2026-01-02T03:04:05-06:00",
          "type":{"code":"rest"},"subtype":[{"code":"read"}],
          "agent":[{"who":{"identifier":{"value":"dest"}},"requestor":false,
                    "type":{"coding":[{"code":"110152"}]},"networkString":"10.9.9.9"},
                   {"who":{"identifier":{"value":"u1"}},"requestor":true,"networkString":"10.0.0.1",
                    "location":{"reference":"Location/ICU"}},
                   {"who":{"display":"ws"},"requestor":false,"networkString":"WS-7"}],
          "entity":[{"what":{"reference":"Patient/P1"},"role":{"code":"1"}},
                    {"what":{"reference":"Observation/o1"}}]}"#;
        let r = &records(text)[0];
        assert_eq!(r.user_id, "u1");
        assert_eq!(r.ip_address.as_deref(), Some("10.0.0.1"));
        assert_eq!(r.workstation_id.as_deref(), Some("WS-7"));
        assert_eq!(r.department_id.as_deref(), Some("ICU"));
        assert_eq!(r.patient_id.as_deref(), Some("P1"));
        assert_eq!(r.data_category, DataCategory::Results);
        assert_eq!(r.timestamp, 1_767_344_645_000_000, "offset -06:00 applied");
    }

    #[test]
    fn no_patient_view_is_other_and_unknown_codes_are_other() {
        let view = r#"{"resourceType":"AuditEvent","action":"R","recorded":"2026-01-02T03:04:05Z",
          "agent":[{"who":{"identifier":{"value":"u1"}},"requestor":true}],
          "entity":[{"what":{"reference":"Practitioner/x"}}]}"#;
        match one(view) {
            Converted::Records(r, u) => {
                assert_eq!((r[0].action, r[0].patient_id.is_none()), (Action::Other, true));
                assert!(u.contains(&Unmapped::Action("view without a patient".into())), "{u:?}");
            }
            other => panic!("{other:?}"),
        }
        let odd = r#"{"resourceType":"AuditEvent","action":"E","recorded":"2026-01-02T03:04:05Z",
          "code":{"coding":[{"system":"urn:x","code":"X9","display":"Thing"}]},
          "agent":[{"who":{"identifier":{"value":"u1"}},"requestor":true}]}"#;
        match one(odd) {
            Converted::Records(r, u) => {
                assert_eq!(r[0].action, Action::Other);
                assert_eq!(u, vec![Unmapped::Action("action E code X9 Thing".into())]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_patients_give_two_records_and_failures_are_rejected() {
        let text = r#"{"resourceType":"AuditEvent","action":"R","recorded":"2026-01-02T03:04:05Z","outcome":"0",
          "agent":[{"who":{"reference":"Practitioner/u9"},"requestor":true}],
          "entity":[{"what":{"reference":"Patient/A"}},{"what":{"reference":"Patient/B"}}]}"#;
        let r = records(text);
        assert_eq!(r.iter().map(|r| r.patient_id.clone().unwrap()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(r[0].user_id, "u9");
        let failed = text.replace("\"outcome\":\"0\"", "\"outcome\":\"8\"");
        assert!(matches!(one(&failed), Converted::Rejected(r) if r.column == "outcome"));
    }

    #[test]
    fn render_then_read_gives_the_record_back() {
        let all = [
            (Action::View, DataCategory::Unspecified),
            (Action::View, DataCategory::Demographics),
            (Action::Print, DataCategory::Notes),
            (Action::Export, DataCategory::Hiv),
            (Action::Search, DataCategory::BehavioralHealth),
            (Action::Create, DataCategory::Orders),
            (Action::Update, DataCategory::SubstanceUse),
            (Action::Delete, DataCategory::Reproductive),
            (Action::View, DataCategory::Genetic),
            (Action::View, DataCategory::Billing),
            (Action::View, DataCategory::Imaging),
            (Action::View, DataCategory::Medications),
            (Action::View, DataCategory::Results),
        ];
        for (i, (action, cat)) in all.into_iter().enumerate() {
            let mut r = AccessRecord::new(1_767_344_645_123_456, "u1".into(), action);
            r.patient_id = Some("P 1".into());
            r.data_category = cat;
            r.workstation_id = Some("WS-1".into());
            r.ip_address = Some("10.1.2.3".into());
            r.department_id = Some("ICU".into());
            r.break_glass = i % 2 == 0;
            r.reason = r.break_glass.then(|| "Emergency Treatment".to_string());
            r.event_id = Some(format!("e{i}"));
            let text = render(&r, 1).to_string();
            assert_eq!(records(&text), vec![r], "{text}");
        }
        for action in [Action::Login, Action::Logout, Action::Search] {
            let r = AccessRecord::new(0, "u2".into(), action);
            let mut back = records(&render(&r, 7).to_string());
            back[0].event_id = None;
            assert_eq!(back, vec![r]);
        }
    }
}
