//! How a row's `action` and `data_category` are read when a hospital
//! writes them its own way: the hospital's `[input.action_aliases]` and
//! `[input.category_aliases]` first, then the built-in aliases
//! ([`Action::alias`], [`DataCategory::alias`]), each matched on the
//! value's [`alias_key`] (case, spaces and punctuation aside).

use crate::config::InputParams;
use crate::model::{alias_key, Action, DataCategory, FxHashMap};

use super::plausible::Plausible;

/// The hospital's aliases, by [`alias_key`].
#[derive(Debug, Default, Clone)]
pub struct Aliases {
    action: FxHashMap<String, Action>,
    category: FxHashMap<String, DataCategory>,
}

impl Aliases {
    /// The configured aliases. Their targets were checked when the
    /// configuration was read ([`crate::Config::check`]); one that does not
    /// name a contract value is left out.
    pub fn from_input(input: &InputParams) -> Aliases {
        Aliases {
            action: input
                .action_aliases
                .iter()
                .filter_map(|(raw, to)| Some((alias_key(raw), Action::parse(to).filter(|a| *a != Action::Other)?)))
                .collect(),
            category: input
                .category_aliases
                .iter()
                .filter_map(|(raw, to)| Some((alias_key(raw), DataCategory::parse(to)?)))
                .collect(),
        }
    }

    /// The action `raw` (not the contract's spelling) stands for.
    pub fn action(&self, raw: &str) -> Option<Action> {
        let key = alias_key(raw);
        self.action.get(&key).copied().or_else(|| Action::alias_of_key(&key))
    }

    /// The category `raw` (not the contract's spelling) stands for.
    pub fn category(&self, raw: &str) -> Option<DataCategory> {
        let key = alias_key(raw);
        self.category.get(&key).copied().or_else(|| DataCategory::alias_of_key(&key))
    }
}

/// What reading a row checks beyond its cells' types: the plausible
/// instants and the hospital's own spellings.
#[derive(Debug, Clone)]
pub struct RowRules {
    /// Which instants are believed.
    pub plausible: Plausible,
    /// How other spellings are read.
    pub aliases: Aliases,
}

impl RowRules {
    /// Any instant, the built-in aliases only: for readers of already
    /// validated bundles, and tests.
    pub fn any() -> RowRules {
        RowRules { plausible: Plausible::ANY, aliases: Aliases::default() }
    }

    /// `plausible` with `input`'s aliases.
    pub fn new(plausible: Plausible, input: &InputParams) -> RowRules {
        RowRules { plausible, aliases: Aliases::from_input(input) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hospital's own alias wins over the built-in one and is matched
    /// whatever its case or punctuation; the rest falls back to the
    /// built-in table.
    #[test]
    fn configured_aliases_come_first_then_the_built_in_ones() {
        let input = InputParams {
            action_aliases: [("Chart Opened".to_string(), "view".to_string())].into(),
            category_aliases: [
                ("Psych Eval".to_string(), "behavioral_health".to_string()),
                ("Lab Results".to_string(), "notes".to_string()),
            ]
            .into(),
            ..InputParams::default()
        };
        let a = Aliases::from_input(&input);
        assert_eq!(a.action("chart-opened"), Some(Action::View));
        assert_eq!(a.action("Printed"), Some(Action::Print));
        assert_eq!(a.category("PSYCH EVAL"), Some(DataCategory::BehavioralHealth));
        assert_eq!(a.category("Lab Results"), Some(DataCategory::Notes), "the hospital's own reading wins");
        assert_eq!(a.category("Meds"), Some(DataCategory::Medications));
        assert_eq!(a.category("tattoos"), None);
    }
}
