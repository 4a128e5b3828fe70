//! Given-name equivalence for contact matching: "Bill" on the HR roster and
//! "William" on the patient's contact screen name the same person.
//!
//! A built-in table of common English (and a few Spanish) nickname groups,
//! extended or replaced by the `[names]` table of the configuration. A group
//! joins a name to its short forms and spelling variants (Katherine,
//! Catherine, Kate), not to related but distinct names: Christine and
//! Christina, Ann and Anna, Roberto and Alberto are separate groups that
//! share only their short forms ("Chris", "Annie", "Beto"). A name
//! may sit in several groups ("Pat": Patricia and Patrick); two names match
//! when they are equal or share a group, so "Patricia" never matches
//! "Patrick" through "Pat". Given names are compared on their first word too
//! ("Mary Ann" matches "Mary"), so a middle name on one screen only does not
//! hide a match.

use std::collections::HashMap;

use super::names::normalise_name;
use crate::config::NamesParams;

/// The built-in groups: the formal name first, then its usual short forms.
const BUILTIN: &[&[&str]] = &[
    &["william", "bill", "billy", "will", "willy", "willie", "liam"],
    &["robert", "bob", "bobby", "rob", "robbie", "bert"],
    &["elizabeth", "elisabeth", "liz", "lizzie", "beth", "betty", "betsy", "eliza", "libby"],
    &["margaret", "peggy", "maggie", "meg", "marge", "margie", "greta"],
    &["james", "jim", "jimmy", "jamie"],
    &["katherine", "catherine", "kathryn", "cathryn", "kate", "kathy", "cathy", "katie", "kat"],
    &["richard", "rick", "ricky", "rich", "richie", "dick"],
    &["michael", "mike", "mikey", "mick", "mickey"],
    &["jennifer", "jen", "jenn", "jenny"],
    &["thomas", "tom", "tommy"],
    &["joseph", "joe", "joey"],
    &["charles", "chuck", "charlie", "chas"],
    &["patricia", "pat", "patty", "trish", "tricia", "patsy"],
    &["patrick", "pat", "paddy"],
    &["anthony", "antony", "tony"],
    &["christopher", "chris", "kit"],
    &["christine", "kristine", "chris", "chrissy", "tina"],
    &["christina", "kristina", "chris", "chrissy", "tina"],
    &["daniel", "dan", "danny"],
    &["matthew", "matt", "matty"],
    &["susan", "sue", "susie", "suzy"],
    &["deborah", "debra", "deb", "debbie"],
    &["rebecca", "becky", "becca"],
    &["steven", "stephen", "steve", "stevie"],
    &["edward", "ed", "eddie", "ted", "teddy", "ned"],
    &["alexander", "alex", "xander"],
    &["alexandra", "alex", "alexa", "lexi", "sandy"],
    &["samuel", "sam", "sammy"],
    &["samantha", "sam", "sammie"],
    &["benjamin", "ben", "benny", "benji"],
    &["jonathan", "jon", "jonny"],
    &["john", "jon", "jack", "johnny"],
    &["nicholas", "nick", "nicky"],
    &["andrew", "andy", "drew"],
    &["timothy", "tim", "timmy"],
    &["kenneth", "ken", "kenny"],
    &["gregory", "greg"],
    &["lawrence", "laurence", "larry"],
    &["abigail", "abby", "abbie", "gail"],
    &["victoria", "vicky", "vicki", "tori"],
    &["jacqueline", "jackie", "jacquie"],
    &["david", "dave", "davy"],
    &["joshua", "josh"],
    &["jeffrey", "geoffrey", "jeff", "geoff"],
    &["donald", "don", "donnie"],
    &["ronald", "ron", "ronnie"],
    &["raymond", "ray"],
    &["gerald", "gerry", "jerry"],
    &["jerome", "jerry"],
    &["peter", "pete"],
    &["harold", "harry", "hal"],
    &["henry", "hank", "harry", "hal"],
    &["frederick", "fred", "freddie", "freddy"],
    &["albert", "al", "bert", "bertie"],
    &["alfred", "al", "alf", "fred"],
    &["alan", "allan", "allen", "al"],
    &["walter", "walt", "wally"],
    &["eugene", "gene"],
    &["leonard", "leo", "len", "lenny"],
    &["nathaniel", "nathan", "nate", "nat"],
    &["zachary", "zach", "zack"],
    &["douglas", "doug"],
    &["philip", "phillip", "phil"],
    &["francis", "frank", "fran"],
    &["franklin", "frank"],
    &["frances", "fran", "frannie", "fanny"],
    &["vincent", "vince", "vinny"],
    &["dorothy", "dot", "dottie", "dolly"],
    &["barbara", "barb", "barbie", "babs"],
    &["mary", "molly", "polly", "mamie"],
    &["ann", "anne", "annie", "nan"],
    &["anna", "annie"],
    &["sarah", "sara", "sally", "sadie"],
    &["sandra", "sandy"],
    &["virginia", "ginny", "ginger"],
    &["theresa", "teresa", "terri", "tess", "tessa"],
    &["terrence", "terence", "terry"],
    &["cynthia", "cindy"],
    &["pamela", "pam"],
    &["kimberly", "kimberley", "kim"],
    &["jessica", "jess", "jessie"],
    &["stephanie", "steph"],
    &["melissa", "missy", "mel"],
    &["amanda", "mandy"],
    &["valerie", "val"],
    &["judith", "judy"],
    &["caroline", "carolyn", "carrie"],
    &["eleanor", "elinor", "ellie", "nell", "nellie", "nora"],
    &["isabel", "isabelle", "izzy"],
    &["isabella", "bella", "izzy"],
    &["josephine", "jo", "josie"],
    &["madeline", "madeleine", "maddie"],
    &["penelope", "penny"],
    &["nicole", "nikki"],
    &["gabriel", "gabe"],
    &["gabrielle", "gabby"],
    &["gabriela", "gabriella", "gabby"],
    &["jacob", "jake"],
    &["arthur", "art", "artie"],
    &["martin", "marty"],
    &["stanley", "stan"],
    &["reginald", "reg", "reggie"],
    &["herbert", "herb", "bert"],
    &["bradley", "brad"],
    &["randall", "randy"],
    &["randolph", "randy"],
    &["mitchell", "mitch"],
    &["russell", "russ"],
    &["maximilian", "max"],
    &["maxwell", "max"],
    &["oliver", "ollie"],
    &["tobias", "toby"],
    &["jeremiah", "jeremy"],
    &["jose", "pepe"],
    &["francisco", "paco", "pancho"],
    &["guadalupe", "lupe"],
    &["jesus", "chuy"],
    &["manuel", "manny"],
    &["alejandro", "alex"],
    &["ignacio", "nacho"],
    &["roberto", "beto"],
    &["alberto", "beto"],
];

/// Groups of given names that name the same person.
#[derive(Debug, Clone, Default)]
pub struct Nicknames {
    /// Normalised name -> the groups it belongs to, ascending.
    groups: HashMap<String, Vec<u32>>,
    next: u32,
}

impl Nicknames {
    /// The built-in table alone.
    pub fn builtin() -> Self {
        Self::from_params(&NamesParams::default())
    }

    /// The table the configuration asks for: the built-in groups unless
    /// `builtin_nicknames` is off, plus the configured ones.
    pub fn from_params(params: &NamesParams) -> Self {
        let mut table = Nicknames::default();
        if params.builtin_nicknames {
            for group in BUILTIN {
                table.add_group(group.iter().copied());
            }
        }
        for group in &params.nicknames {
            table.add_group(group.iter().map(String::as_str));
        }
        table
    }

    /// Adds one group; names are normalised like every other name.
    fn add_group<'a>(&mut self, names: impl Iterator<Item = &'a str>) {
        let id = self.next;
        self.next += 1;
        for name in names {
            let n = normalise_name(name);
            if n.is_empty() {
                continue;
            }
            let ids = self.groups.entry(n).or_default();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
    }

    /// Normalises a given name and looks up its groups, once.
    pub fn given_name(&self, raw: &str) -> GivenName {
        let full = normalise_name(raw);
        let first = first_word(&full);
        let mut groups: Vec<u32> = Vec::new();
        for key in [full.as_str(), first] {
            if let Some(ids) = self.groups.get(key) {
                groups.extend(ids);
            }
        }
        groups.sort_unstable();
        groups.dedup();
        GivenName { full, groups: groups.into_boxed_slice() }
    }
}

fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or("")
}

/// A normalised given name and its nickname groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GivenName {
    full: String,
    groups: Box<[u32]>,
}

impl GivenName {
    /// Whether nothing is left after normalisation.
    pub fn is_empty(&self) -> bool {
        self.full.is_empty()
    }

    /// Whether the two names can name the same person: equal, the same
    /// first word (of two letters or more: initials say too little), or in
    /// one nickname group.
    pub fn matches(&self, other: &GivenName) -> bool {
        if self.full.is_empty() || other.full.is_empty() {
            return false;
        }
        if self.full == other.full {
            return true;
        }
        let (a, b) = (first_word(&self.full), first_word(&other.full));
        if a == b && a.len() > 1 {
            return true;
        }
        self.groups.iter().any(|g| other.groups.binary_search(g).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(t: &Nicknames, a: &str, b: &str) -> bool {
        t.given_name(a).matches(&t.given_name(b))
    }

    #[test]
    fn nicknames_of_one_name_match_each_other_and_the_name() {
        let t = Nicknames::builtin();
        for (a, b) in [
            ("William", "Bill"),
            ("BILL", "liam"),
            ("Billy", "Will"),
            ("Robert", "Bob"),
            ("Elizabeth", "Betty"),
            ("Liz", "Eliza"),
            ("Margaret", "Peggy"),
            ("Katherine", "Kate"),
            ("Catherine", "Kathy"),
            ("Richard", "Dick"),
            ("Edward", "Ted"),
            ("Steven", "Stephen"),
            ("Patricia", "Trish"),
            ("Jennifer", "Jenny"),
            ("Abigail", "Abby"),
            ("José", "Pepe"),
            ("Mary Ann", "Mary"),
            ("Bill", "William Henry"),
        ] {
            assert!(same(&t, a, b), "{a} / {b}");
        }
        assert!(BUILTIN.len() >= 60, "{} groups", BUILTIN.len());
    }

    #[test]
    fn different_names_and_names_sharing_only_a_nickname_do_not_match() {
        let t = Nicknames::builtin();
        for (a, b) in [
            ("William", "Robert"),
            ("Patricia", "Patrick"), // both "Pat", yet two names
            ("Albert", "Alfred"),
            ("Christine", "Christina"),
            ("Ann", "Anna"),
            ("Roberto", "Alberto"),
            ("Alexander", "Alexandra"),
            ("Bill", "Bob"),
            ("Mary", "Maria"),
            ("J", "J Robert"),
            ("", ""),
            ("Ann", ""),
        ] {
            assert!(!same(&t, a, b), "{a} / {b}");
        }
        // A shared nickname still matches each name it belongs to.
        assert!(same(&t, "Pat", "Patrick") && same(&t, "Pat", "Patricia"));
    }

    #[test]
    fn configured_groups_extend_or_replace_the_builtin_table() {
        let extra = NamesParams {
            builtin_nicknames: true,
            nicknames: vec![vec!["Guillermo".into(), "Memo".into()], vec!["William".into(), "Wim".into()]],
        };
        let t = Nicknames::from_params(&extra);
        assert!(same(&t, "Guillermo", "memo"));
        assert!(same(&t, "Wim", "William"));
        assert!(same(&t, "Bill", "William"), "the built-ins stay");
        assert!(!same(&t, "Wim", "Bill"), "a new group joins William, not Bill");

        let only = NamesParams { builtin_nicknames: false, nicknames: vec![vec!["Guillermo".into(), "Memo".into()]] };
        let t = Nicknames::from_params(&only);
        assert!(same(&t, "Guillermo", "Memo"));
        assert!(!same(&t, "William", "Bill"), "the built-ins are dropped");
        assert!(same(&t, "William", "WILLIAM"), "equal names still match");
    }
}
