//! The one list of models a sweep compares: every table header, label and CSV name comes
//! from here.

use super::baselines::Baseline;

/// A model of the sweep: the LSTM or one of the baselines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    Lstm,
    Baseline(Baseline),
}

impl Model {
    /// Every model, in table order: the LSTM first, then the baselines.
    pub const ALL: [Model; 5] = [
        Model::Lstm,
        Model::Baseline(Baseline::Persistence),
        Model::Baseline(Baseline::SeasonalNaive),
        Model::Baseline(Baseline::WindowMean),
        Model::Baseline(Baseline::LinearAr),
    ];

    /// The baselines, in table order.
    pub fn baselines() -> impl Iterator<Item = Baseline> {
        Model::ALL.into_iter().filter_map(|m| match m {
            Model::Baseline(b) => Some(b),
            Model::Lstm => None,
        })
    }

    /// Name in CSV files and on the command line (`seasonal_naive`).
    pub fn name(self) -> &'static str {
        match self {
            Model::Lstm => "lstm",
            Model::Baseline(Baseline::Persistence) => "persistence",
            Model::Baseline(Baseline::SeasonalNaive) => "seasonal_naive",
            Model::Baseline(Baseline::WindowMean) => "window_mean",
            Model::Baseline(Baseline::LinearAr) => "linear_ar",
        }
    }

    /// The model of a CSV name.
    pub fn from_name(name: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Label in running text and Markdown headers (`seasonal naive`).
    pub fn label(self) -> &'static str {
        match self {
            Model::Lstm => "LSTM",
            Model::Baseline(Baseline::Persistence) => "persistence",
            Model::Baseline(Baseline::SeasonalNaive) => "seasonal naive",
            Model::Baseline(Baseline::WindowMean) => "window mean",
            Model::Baseline(Baseline::LinearAr) => "linear AR",
        }
    }

    /// Label at the head of a table column (`Seasonal naive`).
    pub fn title(self) -> String {
        let label = self.label();
        let mut chars = label.chars();
        match chars.next() {
            Some(c) => c.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_titles_capitalise() {
        for m in Model::ALL {
            assert_eq!(Model::from_name(m.name()), Some(m));
        }
        assert_eq!(
            Model::Baseline(Baseline::SeasonalNaive).title(),
            "Seasonal naive"
        );
        assert_eq!(Model::Lstm.title(), "LSTM");
        assert_eq!(Model::baselines().count(), 4);
    }
}
