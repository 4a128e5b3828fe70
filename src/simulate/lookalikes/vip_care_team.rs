//! `vip_care_team`: a VIP is admitted and the care team (nurses,
//! physicians, pharmacists, everyone on the unit) opens the chart many
//! times a day. A VIP rule must tell the team from the curious. Planned
//! here (a VIP gets a stay in the window if none has one); the rows are
//! care, and the lookalikes.csv rows come from what the day generator saw.

use super::plan::Setup;
use super::same_surname_treating::employee_patients;
use crate::simulate::encounters::EncKind;
use crate::simulate::event::DAY;
use crate::simulate::planner::Rows;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "vip_care_team";

/// Makes sure a living VIP is admitted during the window: without a stay
/// of their own, the VIP takes over an in-window cardiology or medicine
/// stay of a patient who is not an employee.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (world, encs, w0, w1) = (&*set.world, &mut *set.encs, set.w0, set.w1);
    let employee_patient = employee_patients(world);
    if let Some(vip) = (0..world.patients.len() as u32)
        .find(|&p| world.patients[p as usize].vip && world.patients[p as usize].deceased.is_none())
    {
        let has_stay =
            encs.iter().any(|e| e.patient == vip && e.kind == EncKind::Inpatient && e.end > w0 && e.start < w1);
        if !has_stay {
            let card = world.dept("CARD");
            let med = world.dept("MED");
            if let Some(e) = encs.iter_mut().find(|e| {
                e.kind == EncKind::Inpatient
                    && (e.dept == card || e.dept == med)
                    && e.start > w0 + DAY
                    && e.end < w1 - DAY
                    && !employee_patient[e.patient as usize]
            }) {
                e.patient = vip;
            }
        }
    }
    Vec::new()
}
