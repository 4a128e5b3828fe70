//! The run's role book: every rostered user's class and how it was
//! decided, and the coverage report built from it.

use std::collections::BTreeMap;

use super::class::{Assigned, RoleClass, RoleSource};
use super::titles::TitleRules;
use crate::model::{Code, Roster};

/// Each user's role class, by user code. Users with no roster record or a
/// title no rule maps have none until their behaviour decides one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleBook {
    by_user: Vec<Option<Assigned>>,
}

impl RoleBook {
    /// Classes from the roster's titles.
    pub fn from_titles(roster: Option<&Roster>, rules: &TitleRules) -> RoleBook {
        let mut book = RoleBook::default();
        let Some(roster) = roster else { return book };
        for (user, rec) in roster.iter() {
            let Some(title) = rec.role.as_deref() else { continue };
            if let Some((class, custom)) = rules.classify(title) {
                let source = if custom { RoleSource::Config } else { RoleSource::Title };
                book.set(user, Assigned { class, source });
            }
        }
        book
    }

    fn set(&mut self, user: Code, a: Assigned) {
        let i = user as usize;
        if self.by_user.len() <= i {
            self.by_user.resize(i + 1, None);
        }
        self.by_user[i] = Some(a);
    }

    /// The class of `user` and how it was decided.
    pub fn get(&self, user: Code) -> Option<Assigned> {
        self.by_user.get(user as usize).copied().flatten()
    }

    /// The class of `user`.
    pub fn class(&self, user: Code) -> Option<RoleClass> {
        self.get(user).map(|a| a.class)
    }

    /// Records classes learned from behaviour (users the titles left
    /// unclassed).
    pub fn learn(&mut self, learned: impl IntoIterator<Item = (Code, RoleClass)>) {
        for (user, class) in learned {
            if self.get(user).is_none() {
                self.set(user, Assigned { class, source: RoleSource::Behaviour });
            }
        }
    }

    /// Coverage of the roster: users per class and source, and the titles
    /// nothing mapped. `department_known` says whether a department code
    /// appears in encounters or the access log.
    pub fn coverage(&self, roster: Option<&Roster>, department_known: &dyn Fn(Code) -> bool) -> RoleCoverage {
        let mut cov = RoleCoverage::default();
        let Some(roster) = roster else { return cov };
        let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
        for (user, rec) in roster.iter() {
            cov.users += 1;
            match self.get(user) {
                Some(a) => *cov.classes.entry((a.class, a.source)).or_default() += 1,
                None => cov.unclassed += 1,
            }
            match (&rec.role, self.get(user)) {
                (None, _) => cov.no_title += 1,
                (Some(t), None) | (Some(t), Some(Assigned { source: RoleSource::Behaviour, .. })) => {
                    // As the title rules read it: one entry for "Specialist II",
                    // "SPECIALIST  II" and "specialist ii".
                    let words = super::titles::normalise_title(t);
                    let key = if words.is_empty() { t.trim().to_string() } else { words.join(" ") };
                    *unmapped.entry(key).or_default() += 1
                }
                _ => {}
            }
            if let Some(d) = rec.department {
                cov.with_department += 1;
                if !department_known(d) {
                    cov.department_unmatched += 1;
                }
            }
        }
        let mut titles: Vec<(String, usize)> = unmapped.into_iter().collect();
        titles.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        cov.unmapped_title_kinds = titles.len();
        titles.truncate(RoleCoverage::TOP_TITLES);
        cov.unmapped_titles = titles;
        cov
    }
}

/// How well the roster's titles and departments were understood.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleCoverage {
    /// Rostered users.
    pub users: usize,
    /// Users per (class, source).
    pub classes: BTreeMap<(RoleClass, RoleSource), usize>,
    /// Users with no class at all (no title rule and no distinctive work).
    pub unclassed: usize,
    /// Users with an empty title.
    pub no_title: usize,
    /// The most frequent titles no rule mapped, with their user counts.
    pub unmapped_titles: Vec<(String, usize)>,
    /// Distinct unmapped titles.
    pub unmapped_title_kinds: usize,
    /// Users with a home department.
    pub with_department: usize,
    /// ... whose department appears in no encounter and no access.
    pub department_unmatched: usize,
}

impl RoleCoverage {
    /// How many unmapped titles the report lists.
    pub const TOP_TITLES: usize = 15;

    /// Users whose class came from behaviour.
    pub fn by_behaviour(&self) -> usize {
        self.classes.iter().filter(|((_, s), _)| *s == RoleSource::Behaviour).map(|(_, n)| n).sum()
    }

    /// One line for stderr and the report when most users fell back to
    /// behaviour or to nothing; `None` when the titles did the work.
    pub fn warning(&self) -> Option<String> {
        let fallback = self.by_behaviour() + self.unclassed;
        (self.users >= 10 && fallback * 2 > self.users).then(|| {
            format!(
                "roles: {} of {} rostered users have a title no rule maps ({} classed by their work, {} not at all); \
                 add their titles to [roles.titles] in the configuration (see summary.json roles.unmapped_titles)",
                fallback,
                self.users,
                self.by_behaviour(),
                self.unclassed
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Text, UserRecord};

    fn roster(titles: &[Option<&str>]) -> Roster {
        let mut r = Roster::with_columns(vec!["user_id", "role", "department_id"]);
        for (i, t) in titles.iter().enumerate() {
            let rec = UserRecord { role: t.map(Text::from), department: Some(i as Code % 2), ..Default::default() };
            r.insert(i as Code, rec);
        }
        r
    }

    #[test]
    fn coverage_counts_users_per_class_and_source_and_lists_unmapped_titles() {
        let r = roster(&[
            Some("RN"),
            Some("Registered Nurse II"),
            Some("Associate"),
            Some("ASSOCIATE "),
            None,
            Some("Temp"),
        ]);
        let custom = vec![("temp".to_string(), RoleClass::Billing)];
        let mut book = RoleBook::from_titles(Some(&r), &TitleRules::new(&custom, true));
        book.learn([(2, RoleClass::Pharmacy), (0, RoleClass::It)]); // a titled user keeps the title's class
        assert_eq!(book.class(0), Some(RoleClass::Nurse));
        assert_eq!(book.get(2), Some(Assigned { class: RoleClass::Pharmacy, source: RoleSource::Behaviour }));
        let cov = book.coverage(Some(&r), &|d| d == 0);
        assert_eq!(cov.users, 6);
        assert_eq!(cov.classes[&(RoleClass::Nurse, RoleSource::Title)], 2);
        assert_eq!(cov.classes[&(RoleClass::Billing, RoleSource::Config)], 1);
        assert_eq!(cov.by_behaviour(), 1);
        assert_eq!((cov.unclassed, cov.no_title), (2, 1));
        assert_eq!(cov.unmapped_titles, vec![("associate".to_string(), 2)], "spellings of one title are one entry");
        assert_eq!((cov.with_department, cov.department_unmatched), (6, 3));
        assert!(cov.warning().is_none(), "3 of 6 fell back: not most");
        let vague = roster(&[Some("Associate"); 12]);
        let cov = RoleBook::from_titles(Some(&vague), &TitleRules::default()).coverage(Some(&vague), &|_| true);
        assert!(cov.warning().expect("most users unclassed").starts_with("roles: 12 of 12 rostered users"));
    }
}
