//! The workforce: roles and departments sized like a real hospital, names and
//! homes in the same town as the patients (a third of employees are patients
//! themselves), relatives and friends among the patients, employment windows,
//! and the workstations each department owns.

use chrono::{Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::names;
use super::world::{date_between, Contact, DeptKind, Kin, Role, Town, User, World, RELATIONSHIPS_OTHER};

/// A staffing group: a role in a set of departments, as a share of the
/// workforce.
struct Group {
    role: Role,
    kinds: &'static [DeptKind],
    share: f64,
    /// Departments in which the role is employed; weights are department weights.
    base: Option<&'static str>,
}

const GROUPS: &[Group] = &[
    Group { role: Role::Nurse, kinds: &[DeptKind::Inpatient], share: 0.33, base: None },
    Group { role: Role::Nurse, kinds: &[DeptKind::Emergency], share: 0.05, base: None },
    Group { role: Role::Nurse, kinds: &[DeptKind::Clinic], share: 0.04, base: None },
    Group { role: Role::Nurse, kinds: &[DeptKind::FloatPool], share: 0.03, base: None },
    Group { role: Role::Physician, kinds: &[DeptKind::Inpatient], share: 0.07, base: None },
    Group { role: Role::Physician, kinds: &[DeptKind::Emergency], share: 0.02, base: None },
    Group { role: Role::Physician, kinds: &[DeptKind::Clinic], share: 0.04, base: None },
    Group { role: Role::Resident, kinds: &[], share: 0.06, base: Some("MED") },
    Group { role: Role::Pharmacist, kinds: &[DeptKind::Pharmacy], share: 0.035, base: None },
    Group { role: Role::LabTech, kinds: &[DeptKind::Lab], share: 0.045, base: None },
    Group { role: Role::RadiologyTech, kinds: &[DeptKind::Radiology], share: 0.03, base: None },
    Group { role: Role::Registration, kinds: &[DeptKind::Registration], share: 0.07, base: None },
    Group { role: Role::MedicalAssistant, kinds: &[DeptKind::Clinic], share: 0.05, base: None },
    Group { role: Role::CaseManager, kinds: &[DeptKind::CaseManagement], share: 0.025, base: None },
    Group { role: Role::HimCoder, kinds: &[DeptKind::Him], share: 0.03, base: None },
    Group { role: Role::Billing, kinds: &[DeptKind::Billing], share: 0.045, base: None },
    Group { role: Role::It, kinds: &[DeptKind::It], share: 0.015, base: None },
    Group { role: Role::Research, kinds: &[DeptKind::Research], share: 0.015, base: None },
];

/// Splits `n` into parts proportional to `weights` (largest remainder), each
/// at least `min` when `n` allows.
pub fn apportion(n: usize, weights: &[f64], min: usize) -> Vec<usize> {
    let k = weights.len();
    if k == 0 {
        return Vec::new();
    }
    let floor = if n >= min * k { min } else { 0 };
    let rest = n - floor * k;
    let total: f64 = weights.iter().sum::<f64>().max(1e-9);
    let exact: Vec<f64> = weights.iter().map(|w| rest as f64 * w / total).collect();
    let mut out: Vec<usize> = exact.iter().map(|e| floor + e.floor() as usize).collect();
    let mut left = n - out.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.partial_cmp(&ra).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// Builds the workforce into `world` (which already holds departments and
/// the population).
pub fn build(rng: &mut Xoshiro256PlusPlus, world: &mut World, town: &mut Town, n_users: usize) {
    let start = world.start;
    let end = start + Duration::days(world.days as i64);
    let sw = names::surname_weight();
    let counts = apportion(n_users, &GROUPS.iter().map(|g| g.share).collect::<Vec<_>>(), 1);
    let residency = ["MED", "MED", "SURG", "PEDS"];
    let mut users: Vec<User> = Vec::with_capacity(n_users);
    for (g, &count) in GROUPS.iter().zip(&counts) {
        let depts: Vec<u16> = if let Some(b) = g.base {
            vec![world.dept(b)]
        } else {
            g.kinds.iter().flat_map(|&k| world.depts_of(k)).collect()
        };
        let weights: Vec<f64> = depts.iter().map(|&d| world.depts[d as usize].weight).collect();
        let per = apportion(count, &weights, 0);
        for (&d, &c) in depts.iter().zip(&per) {
            for _ in 0..c {
                let home =
                    if g.role == Role::Resident { world.dept(residency[rng.gen_range(0..residency.len())]) } else { d };
                users.push(User {
                    id: String::new(),
                    first: String::new(),
                    last: String::new(),
                    role: g.role,
                    home,
                    base_unit: home,
                    household: 0,
                    hire_date: start,
                    termination_date: None,
                    patient: None,
                    nights: false,
                    remote: false,
                    own_ws: None,
                });
            }
        }
    }
    // Ids from a shuffled order, so that id order says nothing about role.
    users.shuffle(rng);

    let inpatient = world.depts_of(DeptKind::Inpatient);
    let reg_desks = [world.dept("ED"), world.dept("REG"), world.dept("PCC"), world.dept("CARDC"), world.dept("WHC")];
    let n_patients = world.patients.len() as u32;
    for (i, u) in users.iter_mut().enumerate() {
        u.id = format!("U{:05}", 10_000 + i * 3 + 1);
        let sex = if rng.gen_bool(if u.role == Role::Nurse { 0.85 } else { 0.55 }) { 'F' } else { 'M' };
        u.first = names::given(rng, sex).to_string();
        u.last = names::surname(rng, sw).to_string();
        u.hire_date = start - Duration::days(rng.gen_range(120..9000));
        u.nights = match u.role {
            Role::Nurse => world.depts[u.home as usize].kind != DeptKind::Clinic && rng.gen_bool(0.35),
            Role::LabTech | Role::Pharmacist | Role::RadiologyTech => rng.gen_bool(0.25),
            Role::Physician => matches!(world.depts[u.home as usize].id, "MED" | "ICU" | "ED") && rng.gen_bool(0.2),
            Role::Registration => rng.gen_bool(0.2),
            _ => false,
        };
        u.remote = matches!(u.role, Role::HimCoder | Role::Billing) && rng.gen_bool(0.4);
        u.base_unit = match u.role {
            Role::Registration => reg_desks[rng.gen_range(0..reg_desks.len())],
            Role::Pharmacist if rng.gen_bool(0.5) && !inpatient.is_empty() => {
                inpatient[rng.gen_range(0..inpatient.len())]
            }
            _ => u.home,
        };
        if u.base_unit != u.home && u.role == Role::Registration {
            // Registrars at a clinic desk keep office hours.
            u.nights = u.nights && world.depts[u.base_unit as usize].kind == DeptKind::Emergency;
        }
    }

    // Homes: about a third of employees are patients here; the others live
    // in the same town.
    let mut taken = vec![false; n_patients as usize];
    // A third of employees are patients here, unless patients are few.
    let p_patient = (0.15 * n_patients as f64 / n_users.max(1) as f64).min(0.35);
    for (i, u) in users.iter_mut().enumerate() {
        let as_patient = rng.gen_bool(p_patient);
        if as_patient {
            // An adult patient becomes this employee.
            for _ in 0..50 {
                let p = rng.gen_range(0..n_patients);
                let pat = &world.patients[p as usize];
                let age = world_age(pat.birth, start);
                if taken[p as usize] || pat.deceased.is_some() || pat.vip || !(20..=66).contains(&age) {
                    continue;
                }
                taken[p as usize] = true;
                u.patient = Some(p);
                u.first = pat.first.clone();
                u.last = pat.last.clone();
                u.household = pat.household;
                break;
            }
        }
        if u.patient.is_none() {
            u.household = world.households.len() as u32;
            world.households.push(town.household(rng));
        }
        let _ = i;
    }

    // Kin: household members of employee-patients; relatives elsewhere who
    // list the employee as a contact; friends and partners listed too.
    let mut by_household: Vec<Vec<u32>> = vec![Vec::new(); world.households.len()];
    for (p, pat) in world.patients.iter().enumerate() {
        by_household[pat.household as usize].push(p as u32);
    }
    let mut kin = Vec::new();
    let mut contacts: Vec<Contact> = Vec::new();
    for (ui, u) in users.iter().enumerate() {
        if let Some(me) = u.patient {
            for &p in &by_household[u.household as usize] {
                if p != me {
                    let listed =
                        world.contacts.iter().any(|c| c.patient == p && c.first == u.first && c.last == u.last);
                    kin.push(Kin {
                        user: ui as u32,
                        patient: p,
                        same_household: true,
                        listed_contact: listed,
                        relative: true,
                    });
                }
            }
        }
        // An elderly parent elsewhere (18%), a friend or partner (8%).
        // Small hospitals still get a handful of each relation.
        let friend = (8.0 / n_users as f64).max(0.08).min(0.5);
        for (prob, relative) in [(0.18, true), (friend, false)] {
            if !rng.gen_bool(prob) {
                continue;
            }
            for _ in 0..30 {
                let p = rng.gen_range(0..n_patients);
                let pat = &world.patients[p as usize];
                let age = world_age(pat.birth, start);
                let ok = if relative { age >= 60 } else { (18..=70).contains(&age) };
                if taken[p as usize] || pat.household == u.household || pat.deceased.is_some() || !ok {
                    continue;
                }
                taken[p as usize] = true;
                if relative && rng.gen_bool(0.7) {
                    // Parents usually share the surname.
                    world.patients[p as usize].last = u.last.clone();
                }
                let rel = if relative { "child" } else { RELATIONSHIPS_OTHER[rng.gen_range(0..2)] };
                let listed = rng.gen_bool(0.8) || !relative;
                if listed {
                    contacts.push(Contact {
                        patient: p,
                        first: u.first.clone(),
                        last: u.last.clone(),
                        relationship: rel,
                        address: world.households[u.household as usize].address.clone(),
                    });
                }
                kin.push(Kin { user: ui as u32, patient: p, same_household: false, listed_contact: listed, relative });
                break;
            }
        }
    }
    world.contacts.extend(contacts);
    world.contacts.sort_by_key(|c| c.patient);

    // Employment windows: a few left during (or just before) the window, a
    // few were hired during it.
    let n = users.len();
    let n_term = ((n as f64) * 0.02).ceil().max(4.0) as usize;
    let n_gone = ((n as f64) * 0.01).ceil() as usize;
    let n_new = ((n as f64) * 0.03).ceil() as usize;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let last_term = end - Duration::days(3.min(world.days as i64 - 1).max(0));
    for (k, &i) in order.iter().enumerate() {
        let u = &mut users[i];
        if matches!(u.role, Role::It | Role::Research) {
            continue;
        }
        if k < n_term {
            let lo = start + Duration::days((world.days as i64 / 4).max(1));
            u.termination_date = Some(date_between(rng, lo.min(last_term), last_term));
        } else if k < n_term + n_gone {
            u.termination_date = Some(start - Duration::days(rng.gen_range(5..200)));
        } else if k < n_term + n_gone + n_new {
            let hi = start + Duration::days((world.days as i64 * 2 / 3).max(0));
            u.hire_date = date_between(rng, start, hi);
        }
    }
    world.users = users;
    world.kin = kin;
    build_workstations(rng, world);
}

fn world_age(birth: NaiveDate, on: NaiveDate) -> i32 {
    ((on - birth).num_days() / 365) as i32
}

/// Workstation pools: shared terminals per department, sized by staff, and a
/// VPN device for each remote worker.
fn build_workstations(rng: &mut Xoshiro256PlusPlus, world: &mut World) {
    let nd = world.depts.len();
    let mut staff = vec![0usize; nd];
    for u in &world.users {
        staff[u.base_unit as usize] += 1;
    }
    world.ws_pools = vec![Vec::new(); nd];
    for d in 0..nd {
        let k = (staff[d] / 3 + 3).min(60);
        for j in 0..k {
            let name = format!("WS-{}-{:03}", world.depts[d].id, j + 1);
            let ip = format!("10.{}.{}.{}", 20 + d, j / 200, 10 + j % 200);
            let w = world.add_ws(name, ip);
            world.ws_pools[d].push(w);
        }
    }
    for ui in 0..world.users.len() {
        if world.users[ui].remote {
            let name = format!("VPN-{}", world.users[ui].id);
            let ip = format!("172.16.{}.{}", rng.gen_range(0..64), rng.gen_range(2..250));
            let w = world.add_ws(name, ip);
            world.users[ui].own_ws = Some(w);
        } else {
            let pool = &world.ws_pools[world.users[ui].base_unit as usize];
            world.users[ui].own_ws = pool.choose(rng).copied();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_sums_and_respects_minimum() {
        let a = apportion(100, &[1.0, 2.0, 7.0], 1);
        assert_eq!(a.iter().sum::<usize>(), 100);
        for (x, w) in a.iter().zip([1.0, 2.0, 7.0]) {
            assert!((*x as f64 - 10.0 * w).abs() <= 1.0, "{a:?}");
        }
        let b = apportion(5, &[0.01, 0.01, 10.0], 1);
        assert_eq!(b.iter().sum::<usize>(), 5);
        assert!(b.iter().all(|&x| x >= 1));
    }
}
