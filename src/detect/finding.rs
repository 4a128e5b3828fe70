//! Findings and the facts they carry.
//!
//! A finding names a rule, a user, optionally a patient, the events that are
//! its evidence, and the facts that made the rule fire. Explanations shown to
//! privacy officers are rendered from these facts (see `score`), never
//! re-derived from scratch.

use chrono::NaiveDate;

use crate::detect::relations::SharedAddress;
use crate::model::Code;

/// The contract's alert kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// Looking at a record without a work reason.
    Snooping,
    /// Taking data out in bulk.
    Exfiltration,
    /// Misuse of the account itself (use after termination, compromise).
    Account,
    /// Outlier against peers or the user's own baseline.
    Behaviour,
}

impl AlertKind {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Snooping => "snooping",
            AlertKind::Exfiltration => "exfiltration",
            AlertKind::Account => "account",
            AlertKind::Behaviour => "behaviour",
        }
    }
}

/// A fact established by a rule, rendered as one evidence sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// The HR roster links the user to this patient record.
    OwnRecord,
    /// Same surname and same home address.
    SharesSurnameAndHome,
    /// The user's name matches one of the patient's contacts.
    NamedAsContact {
        /// The contact's relationship to the patient, as given.
        relationship: Option<String>,
    },
    /// The user's name matches one of the patient's contacts, but every
    /// such contact is listed at an address that is not the user's home,
    /// and the patient does not live there: perhaps a namesake. Weaker
    /// than [`Fact::NamedAsContact`].
    NamesakeContact {
        /// The contact's relationship to the patient, as given.
        relationship: Option<String>,
    },
    /// The user's given name matches a contact of the patient listed under
    /// another surname (maiden or married name), and an address ties that
    /// contact to the user's home.
    ContactUnderOtherSurname {
        /// The contact's relationship to the patient, as given.
        relationship: Option<String>,
        /// Whose address is the user's home.
        shared: SharedAddress,
    },
    /// The user and the patient share a surname (weak; context only).
    SharesSurname,
    /// The patient is an employee.
    CoworkerPatient {
        /// In the user's own department.
        same_department: bool,
    },
    /// The homes are close.
    Neighbour {
        /// Metres between the homes, when both have coordinates.
        distance_m: Option<f64>,
        /// Same street address (building).
        same_street: bool,
        /// Same home, different surname.
        same_home: bool,
        /// Same block of the same street (no coordinates to measure).
        same_block: bool,
    },
    /// The patient is flagged VIP.
    VipPatient,
    /// The patient died on `died`, `days_after` days before the first flagged access.
    DeceasedPatient {
        /// Date of death.
        died: NaiveDate,
        /// Days from death to the first flagged access.
        days_after: i64,
    },
    /// The chart is restricted (confidential).
    RestrictedChart,
    /// A restricted chart was opened but none of the accesses read a
    /// sensitive section (what a snooper of a confidential chart comes
    /// for): the chart's flag alone.
    NoSensitiveSection,
    /// Sensitive sections were opened.
    SensitiveCategories {
        /// Category names, sorted.
        categories: Vec<&'static str>,
    },
    /// Most of what the user opened of the chart around the sensitive
    /// reads was a sensitive section, one the user's own work rarely
    /// opens: the look went straight to the diagnosis.
    SensitiveFocus {
        /// Accesses that read a sensitive section.
        sensitive: u32,
        /// The user's accesses to the chart within an hour of those reads.
        of: u32,
        /// Sensitive sections' share of the user's patient accesses, per mille.
        usual_per_mille: u32,
    },
    /// Break-the-glass was used.
    BreakGlass {
        /// How many of the accesses used it.
        count: usize,
    },
    /// The account was used after its owner's termination date.
    AfterTermination {
        /// The termination date.
        date: NaiveDate,
        /// Days after it, of the last use.
        days: i64,
    },
    /// Many records printed or exported (or opened) at once.
    BulkExtraction {
        /// Distinct patients.
        patients: u64,
        /// "1 hour" or "1 day".
        window: &'static str,
        /// What was done: "printed or exported" or "opened, mostly without a care explanation,".
        what: &'static str,
        /// The user's median per day of the same measure.
        baseline: f64,
    },
    /// A former patient of the user's unit, months after the stay, with no
    /// care since.
    FormerPatient {
        /// The unit.
        department: String,
        /// Days from the end of the stay to the first access.
        days_since: i64,
    },
    /// A patient opened on a single day, off the recurring list of a user
    /// whose list patients come back day after day: more such one-off
    /// patients than the list accounts for.
    OffList {
        /// Patients on the user's list (opened on several days).
        list: u32,
        /// Their mean number of days, to one decimal.
        mean_days: f64,
        /// Days the user opened any patient.
        active_days: u32,
        /// One-off patients the list would leave, expected, to one decimal.
        expected: f64,
        /// The user's one-off patients.
        observed: u32,
    },
    /// A patient opened on a single day by a user whose patients the
    /// care_team table lists (a study team): one of several patients off
    /// that list, each opened once.
    OffTeam {
        /// Patients the table lists the user on and the user opened.
        team: u32,
        /// Patients off the list the user opened on a single day.
        observed: u32,
    },
    /// Only a population-level reason explains the accesses to a sensitive
    /// or related chart (see `Explanation::is_patient_specific`), and how
    /// routine the access looks. Work during a stay (pharmacy, laboratory,
    /// radiology) and a care team's work come in rounds of a unit's
    /// patients: the other patients of the patient's department the user
    /// opened within [`ROUND_HOURS`] (a pharmacist verifying a unit's orders
    /// opens many; a curious one opens the one). Coding, billing and
    /// registration come in queues: the other patients the same role work
    /// explains within [`ROUND_HOURS`]. A study panel: the other patients
    /// on the list.
    PopulationLevel {
        /// The strongest population-level explanation among the accesses.
        explanation: crate::explain::Explanation,
        /// The user's role class, when known.
        class: Option<crate::roles::RoleClass>,
        /// The kind of round: "round" (a unit's patients), "queue", "list",
        /// "visit" (an unlisted visit: no round is counted), or "unit" (a
        /// care-team group's link where the user was at work in the
        /// patient's unit: a [`Fact::UnitRound`] follows and says so).
        round: &'static str,
        /// Other patients in the same round, queue or list; `None` when no
        /// department places the patient at the time.
        routine: Option<u32>,
        /// The department of a round (the patient's, at the time).
        department: Option<String>,
    },
    /// A look, in one sitting and reading only, at a chart that only a role's
    /// queue of work (coding, billing) explains, far shallower than every
    /// other chart the user worked within [`ROUND_HOURS`]: a coder
    /// reads through the charts they code, a glance at one is not the
    /// queue's work, and the role's reason does not cover it (see
    /// `rounds::glance`).
    Glance {
        /// The user's accesses to the patient in that sitting.
        accesses: u32,
        /// The other charts the user worked within [`ROUND_HOURS`].
        charts: u32,
        /// The fewest accesses any one of those took.
        least: u32,
    },
    /// Nothing explains the accesses, but they were part of the user's work
    /// in the patient's unit: the patient was in a department at the time
    /// and the user opened [`UNIT_ROUND_OTHERS`] or more of its other
    /// patients within [`ROUND_HOURS`], or works there day after day (see
    /// `rounds::UnitWork::covers`), as a physician covering the unit
    /// overnight or a float nurse does. The roster knows only the user's
    /// home department; the work says where the user was working. It ties
    /// the user to the unit, not to the patient, so it weighs like a
    /// population-level link: the alert stays, at lower priority.
    UnitRound {
        /// The patient's department at the time.
        department: String,
        /// Other patients of that department the user opened within
        /// [`ROUND_HOURS`].
        others: u32,
        /// Days in the period the user opened patients of the department.
        days: u32,
        /// Other patients of the department the user opened in the period.
        patients: u32,
    },
    /// A day (or hour) of exports far above the user's own and their peers'
    /// busiest, whether or not care links the patients (an insider taking
    /// their own patients' records).
    BulkAllExtraction {
        /// Distinct patients exported within the window.
        patients: u64,
        /// "1 hour" or "1 day".
        window: &'static str,
        /// Of them, patients care links the user to.
        linked: u64,
        /// The user's median per day (or per busiest hour of a day).
        baseline: f64,
        /// The peers' typical busiest day or hour (median of each peer's maximum).
        peers_busiest: f64,
        /// Who the peers are ("peer group 3 (mostly nurses)").
        peers: String,
    },
    /// Extraction above the user's own baseline on several days.
    SlowExfiltration {
        /// Elevated days.
        days: usize,
        /// Within this many days.
        span_days: i64,
        /// Distinct patients printed or exported on those days.
        patients: u64,
        /// The user's median per day.
        baseline: f64,
    },
    /// A new device at odd hours with unexplained breadth.
    NewDeviceOddHours {
        /// New workstations that day.
        workstations: u64,
        /// New IP addresses that day.
        ips: u64,
        /// Patient accesses outside usual hours that day.
        after_hours: u64,
        /// Distinct patients no care explains that day.
        unexplained_patients: u64,
        /// Of the new devices, those no account in the hospital had used
        /// before that day (a thief's own machine, an outside address).
        unseen_in_hospital: u64,
    },
    /// Many patients no care explains, compared with peers.
    UnexplainedBreadth {
        /// Distinct unexplained patients of the user.
        patients: u64,
        /// Over this many active days.
        days: u64,
        /// The peer group's median of the same count.
        peer_median: f64,
        /// The peer group's label.
        peer_label: String,
        /// Further unexplained patients not counted: each opened in a round
        /// of a unit's patients (a night's cross-cover, a float shift).
        in_rounds: u64,
        /// Of `patients`, those whose only link is a care-team group's
        /// (colleagues the user works with treated them): counted, but
        /// not alerted on one by one.
        team_only: u64,
    },
    /// Behaviour far from the peer group.
    PeerOutlier {
        /// Outlier score (spreads from the group centre).
        score: f64,
        /// The group's label.
        label: String,
        /// The group's size.
        size: usize,
        /// Up to three (phrase, user value, group median).
        drivers: Vec<(&'static str, f64, f64)>,
    },
    /// Per-patient alerts about the charts a bulk pull, a compromised day
    /// or use after termination took (VIP, restricted, deceased, ...),
    /// folded into that user-level alert: one case, one line.
    AlsoIncludes {
        /// Folded patients per kind of chart, as (singular, plural,
        /// count): ("restricted chart", "restricted charts", 3).
        charts: Vec<(&'static str, &'static str, u32)>,
    },
    /// The account was used before its owner's hire date.
    BeforeHire {
        /// The hire date.
        date: NaiveDate,
        /// Days before it, of the first use.
        days: i64,
    },
}

impl Fact {
    /// Whether the fact is about the chart that was opened (VIP,
    /// restricted, deceased, sensitive sections, a former patient, one of
    /// many unexplained records) rather than about who the user is to the
    /// patient or how the record was opened (break-the-glass).
    pub fn is_about_the_chart(&self) -> bool {
        self.chart_noun().is_some()
    }

    /// For a fact about the chart, what the chart is, singular and plural
    /// ("restricted chart", "restricted charts").
    pub fn chart_noun(&self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Fact::VipPatient => ("VIP's chart", "VIPs' charts"),
            Fact::DeceasedPatient { .. } => ("deceased patient's record", "deceased patients' records"),
            Fact::RestrictedChart | Fact::NoSensitiveSection => ("restricted chart", "restricted charts"),
            Fact::SensitiveCategories { .. } => ("chart with sensitive sections", "charts with sensitive sections"),
            Fact::FormerPatient { .. } => ("former patient of the unit", "former patients of the unit"),
            // A hospital employee from another department: a kind of chart
            // (a bulk pull of a large hospital's patients takes some). A
            // coworker of the user's own department is a relationship.
            Fact::CoworkerPatient { same_department: false } => {
                ("hospital employee's record", "hospital employees' records")
            }
            Fact::UnexplainedBreadth { .. } => ("record no care explains", "records no care explains"),
            _ => return None,
        })
    }

    /// The evidence sentence, in plain language, without names or ids.
    pub fn sentence(&self) -> String {
        match self {
            Fact::AlsoIncludes { charts } => {
                let parts: Vec<String> = charts
                    .iter()
                    .map(|(one, many, n)| match *n {
                        1 => format!("1 {one}"),
                        n => format!("{n} {many}"),
                    })
                    .collect();
                format!("the records taken include {}", parts.join(", "))
            }
            Fact::OwnRecord => "opened their own record (the HR roster lists this patient record as the user's)".into(),
            Fact::SharesSurnameAndHome => "shares last name and home address with the patient".into(),
            Fact::NamedAsContact { relationship: Some(r) } => {
                format!("the user's name matches the patient's listed contact ({r})")
            }
            Fact::NamedAsContact { relationship: None } => {
                "the user's name matches the patient's listed contact".into()
            }
            Fact::NamesakeContact { relationship } => {
                let contact = relationship.as_ref().map_or_else(String::new, |r| format!(" ({r})"));
                format!(
                    "the user's name matches the patient's listed contact{contact}, but the contact's listed address \
                     is not the user's home: perhaps a namesake"
                )
            }
            Fact::ContactUnderOtherSurname { relationship, shared } => {
                let contact = match relationship {
                    Some(r) => format!("the patient's contact ({r})"),
                    None => "the patient's contact".to_string(),
                };
                match shared {
                    SharedAddress::Contact => {
                        format!("listed as {contact} under another surname at the user's address (same given name)")
                    }
                    SharedAddress::Patient => format!(
                        "listed as {contact} under another surname (same given name), and the patient lives at the user's address"
                    ),
                }
            }
            Fact::SharesSurname => "shares the patient's last name".into(),
            Fact::CoworkerPatient { same_department: true } => {
                "the patient is a coworker in the user's own department".into()
            }
            Fact::CoworkerPatient { same_department: false } => "the patient is a hospital employee (coworker)".into(),
            Fact::Neighbour { same_home: true, .. } => "lives at the same home address as the patient".into(),
            Fact::Neighbour { same_street: true, .. } => "lives at the same street address as the patient".into(),
            Fact::Neighbour { distance_m: Some(d), .. } => format!("lives {:.0} m from the patient", d),
            Fact::Neighbour { same_block: true, .. } => {
                "lives on the same block of the same street as the patient".into()
            }
            Fact::Neighbour { .. } => "lives near the patient".into(),
            Fact::VipPatient => "the patient is flagged VIP".into(),
            Fact::DeceasedPatient { died, days_after } => {
                format!("the patient died on {died}, {days_after} days before the access")
            }
            Fact::RestrictedChart => "the chart is restricted (confidential)".into(),
            Fact::NoSensitiveSection => "no sensitive section of it was opened".into(),
            Fact::SensitiveCategories { categories } => {
                format!("opened sensitive sections: {}", categories.join(", ").replace('_', " "))
            }
            Fact::SensitiveFocus { sensitive, of, usual_per_mille } => {
                let usual = if *usual_per_mille < 10 {
                    "under 1%".to_string()
                } else {
                    format!("{:.0}%", f64::from(*usual_per_mille) / 10.0)
                };
                format!(
                    "went straight to the sensitive sections: {sensitive} of the user's {of} accesses to the chart within the hour read them, sections that make up {usual} of the user's work"
                )
            }
            Fact::BreakGlass { count: 1 } => "used break-the-glass emergency access".into(),
            Fact::BreakGlass { count } => format!("used break-the-glass emergency access {count} times"),
            Fact::AfterTermination { date, days } => {
                format!("the account was used up to {} after its owner's termination date ({date})", days_of(*days))
            }
            Fact::BeforeHire { date, days } => {
                format!("the account was used {} before its owner's hire date ({date})", days_of(*days))
            }
            Fact::BulkExtraction { patients, window, what, baseline } => {
                format!("{what} {patients} patients' records within {window} (the user's usual: {baseline:.0} a day)")
            }
            Fact::OffList { list, mean_days, active_days, expected, observed } => format!(
                "opened on a single day, and not on the user's recurring list: the user opens the {list} patients of \
                 that list on {} days each (of {active_days} working days), so about {} of their patients would be \
                 opened only once; {observed} {}",
                decimal(*mean_days),
                decimal(*expected),
                if *observed == 1 { "was" } else { "were" }
            ),
            Fact::OffTeam { team, observed } => format!(
                "opened on a single day, and not one of the {team} patients whose care team (study team) the \
                 hospital lists the user on; {observed} patients off that list were each opened on a single day"
            ),
            Fact::FormerPatient { department, days_since } => format!(
                "a former patient of {department}, whose stay there ended {days_since} days before, and no care since"
            ),
            Fact::PopulationLevel { explanation, class, round, routine, department } => {
                let staff = class.map_or("staff in the user's role", |c| c.staff());
                let why = match (explanation, *round) {
                    (crate::explain::Explanation::RecurringPanel, _) => {
                        "the patient is on the user's recurring list (a study panel)".to_string()
                    }
                    (crate::explain::Explanation::RoleTiming, "queue") => {
                        format!("{staff} routinely open charts around a visit or after discharge")
                    }
                    (crate::explain::Explanation::RoleTiming, _) => {
                        format!("{staff} routinely open the charts of patients in care")
                    }
                    (crate::explain::Explanation::UnlistedVisit, _) => {
                        return "others charted for the patient that day from the user's department or for a visit \
                                the user's role serves, though the encounters list no visit"
                            .to_string();
                    }
                    _ => "colleagues the user often works with treated the patient".to_string(),
                };
                let how = match (*round, routine, department) {
                    // The unit's work is the next fact's sentence.
                    ("unit", _, _) => return why,
                    ("list", Some(n), _) => format!("the list holds {n} other patients"),
                    ("queue", Some(0), _) => {
                        format!("the user worked no other such chart within {ROUND_HOURS} hours: not part of a queue of work")
                    }
                    ("queue", Some(n), _) => format!("the user worked {n} other such charts within {ROUND_HOURS} hours"),
                    (_, Some(0), Some(d)) => {
                        format!("the user opened no other patient of {d} within {ROUND_HOURS} hours: not part of a round of work")
                    }
                    (_, Some(n), Some(d)) => format!("the user opened {n} other patients of {d} within {ROUND_HOURS} hours"),
                    _ => "no department places the patient at the time".to_string(),
                };
                format!("{why}; {how}")
            }
            Fact::Glance { accesses, charts, least } => format!(
                "a glance: {accesses} {}, reading only, where each of the {charts} other charts the user worked within \
                 {ROUND_HOURS} hours took {least} or more: not the queue's work the role's reason covers",
                if *accesses == 1 { "access" } else { "accesses" }
            ),
            Fact::UnitRound { department, others, days, patients } => {
                let round = match others {
                    0 => format!("no other patient of {department} within {ROUND_HOURS} hours"),
                    1 => format!("1 other patient of {department} within {ROUND_HOURS} hours"),
                    n => format!("{n} other patients of {department} within {ROUND_HOURS} hours"),
                };
                format!(
                    "the patient was in {department}; the user opened {round}, and {patients} of its patients on \
                     {} in the period, as when covering the unit; no task of the user's own ties them to this patient",
                    days_of(i64::from(*days))
                )
            }
            Fact::BulkAllExtraction { patients, window, linked, baseline, peers_busiest, peers } => {
                let unit = if *window == "1 hour" { "hour" } else { "day" };
                format!(
                    "exported {patients} patients' records within {window} ({linked} of them patients care links \
                     the user to), against the user's usual {baseline:.0} in a {unit} and a busiest {unit} of \
                     {peers_busiest:.0} for a typical peer ({peers}); care for a patient does not explain taking the \
                     record out"
                )
            }
            Fact::SlowExfiltration { days, span_days, patients, baseline } => format!(
                "printed or exported records with no care link above the user's own baseline on {days} days within {span_days} ({patients} patients; usually {baseline:.0} a day)"
            ),
            Fact::NewDeviceOddHours { workstations, ips, after_hours, unexplained_patients, unseen_in_hospital } => {
                let device = match (*workstations > 0, *ips > 0) {
                    (true, true) => "a workstation and an IP address",
                    (true, false) => "a workstation",
                    _ => "an IP address",
                };
                let unseen = match unseen_in_hospital {
                    0 => String::new(),
                    1 => " (one of them never seen in the hospital before that day)".to_string(),
                    n => format!(" ({n} of them never seen in the hospital before that day)"),
                };
                let hours = match after_hours {
                    0 => "within the account's usual hours".to_string(),
                    n => format!("with {n} accesses outside usual hours"),
                };
                format!(
                    "used {device} the account had never used{unseen}, {hours} and {unexplained_patients} patients no care explains that day"
                )
            }
            Fact::UnexplainedBreadth { patients, days, peer_median, peer_label, in_rounds, team_only } => {
                let team = match *team_only {
                    0 => String::new(),
                    n => format!(
                        " (for {n} of them, only that colleagues the user works with treated them: no task of the user's)"
                    ),
                };
                let mut text = format!(
                    "opened {patients} patients' records that no care explains{team}, each apart from any round of a unit's patients, over {days} active days (peer group '{peer_label}': typically {peer_median:.0})"
                );
                if *in_rounds > 0 {
                    text.push_str(&format!(
                        "; {in_rounds} more opened in rounds of a unit's patients (3 or more within {ROUND_HOURS} hours) or in units the user works in day after day are not counted"
                    ));
                }
                text
            }
            Fact::PeerOutlier { score, label, size, drivers } => {
                let parts: Vec<String> = drivers
                    .iter()
                    .map(|(phrase, v, m)| {
                        if *m > 0.0 && *v / *m >= 1.5 {
                            format!("{phrase}: {v:.1}, {:.1} times the group's median of {m:.1}", v / m)
                        } else {
                            format!("{phrase}: {v:.2} against the group's median of {m:.2}")
                        }
                    })
                    .collect();
                format!(
                    "behaves unlike the {size} users of peer group '{label}' ({score:.1} times a typical member's distance): {}",
                    parts.join("; ")
                )
            }
        }
    }

    /// Whether this fact earns the weight a rule sets for `pattern`: the
    /// same fact, or for a fact that counts what it saw
    /// ([`Fact::SensitiveFocus`]), any fact of its kind.
    pub fn earns(&self, pattern: &Fact) -> bool {
        match (self, pattern) {
            (Fact::SensitiveFocus { .. }, Fact::SensitiveFocus { .. }) => true,
            _ => self == pattern,
        }
    }

    /// A short label for case summaries.
    pub fn label(&self) -> &'static str {
        match self {
            Fact::OwnRecord => "own record",
            Fact::SharesSurnameAndHome | Fact::NamedAsContact { .. } | Fact::ContactUnderOtherSurname { .. } => {
                "family"
            }
            Fact::SharesSurname => "same surname",
            Fact::NamesakeContact { .. } => "name of a listed contact",
            Fact::CoworkerPatient { .. } => "coworker",
            Fact::Neighbour { .. } => "neighbour",
            Fact::VipPatient => "VIP patient",
            Fact::DeceasedPatient { .. } => "deceased patient",
            Fact::RestrictedChart => "restricted chart",
            Fact::NoSensitiveSection => "no sensitive section opened",
            Fact::SensitiveCategories { .. } => "sensitive sections",
            Fact::SensitiveFocus { .. } => "went straight to the sensitive sections",
            Fact::BreakGlass { .. } => "break-the-glass",
            Fact::AfterTermination { .. } => "after termination",
            Fact::BeforeHire { .. } => "before hire",
            Fact::BulkExtraction { .. } => "bulk extraction",
            Fact::PopulationLevel { .. } => "population-level link only",
            Fact::Glance { .. } => "a glance, not the queue's work",
            Fact::UnitRound { .. } => "during a round of the patient's unit",
            Fact::FormerPatient { .. } => "former patient of the unit",
            Fact::OffList { .. } => "one-off look off the user's list",
            Fact::OffTeam { .. } => "one-off look off the user's listed care team",
            Fact::BulkAllExtraction { .. } => "bulk extraction of own patients",
            Fact::SlowExfiltration { .. } => "slow exfiltration",
            Fact::NewDeviceOddHours { unseen_in_hospital: 0, .. } => "new device at odd hours",
            Fact::NewDeviceOddHours { .. } => "device new to the hospital",
            Fact::UnexplainedBreadth { .. } => "unexplained browsing",
            Fact::PeerOutlier { .. } => "peer outlier",
            Fact::AlsoIncludes { .. } => "sensitive charts among them",
        }
    }
}

/// "1 day", "3 days".
fn days_of(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// The hours either side of an access within which a user's other patients
/// of the same department make a round of work.
pub const ROUND_HOURS: i64 = 6;

/// Other patients of the patient's department, opened within
/// [`ROUND_HOURS`], that make an unexplained access part of a round of the
/// unit ([`Fact::UnitRound`]): with the patient, three in all.
pub const UNIT_ROUND_OTHERS: u32 = 2;

/// One rule's finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Id of the rule that fired.
    pub rule: &'static str,
    /// Alert kind.
    pub kind: AlertKind,
    /// The user.
    pub user: Code,
    /// The patient, or [`crate::model::NONE`] for user-level findings.
    pub patient: Code,
    /// Indices of the evidence, ascending: into the partition's events as
    /// a rule returns it, into the kept `Evidence` once the analysis is done.
    pub events: Vec<usize>,
    /// Why the rule fired.
    pub facts: Vec<Fact>,
    /// A relationship whose accesses care explains: not an alert, but
    /// counted in summary.json and the user's features for audit.
    pub downgraded: bool,
}

/// A number for a sentence: whole numbers without a decimal ("7"), others
/// to one decimal ("5.9").
fn decimal(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}
