//! The models an experiment compares, in table order: every table header, label and CSV name
//! comes from here.

use super::baselines::Baseline;

/// The classical seasonal models ([`super::classical`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Classical {
    /// Additive Holt-Winters, (A,A,A) on the first period.
    HoltWinters,
    /// The additive ETS with the lowest AICc on the training span.
    Ets,
    /// MSTL over every period + ETS on the deseasonalised series.
    Mstl,
}

/// A model of the experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    Lstm,
    Baseline(Baseline),
    Classical(Classical),
}

impl Model {
    /// Every model for these seasonal periods, in table order: the LSTM, the baselines (a
    /// seasonal naive per period), then the classical models (those needing a season only
    /// with one).
    pub fn list(periods: &[usize]) -> Vec<Model> {
        let mut v = vec![Model::Lstm, Model::Baseline(Baseline::Persistence)];
        v.extend(
            periods
                .iter()
                .map(|&p| Model::Baseline(Baseline::SeasonalNaive(p))),
        );
        v.push(Model::Baseline(Baseline::WindowMean));
        v.push(Model::Baseline(Baseline::LinearAr));
        if !periods.is_empty() {
            v.push(Model::Classical(Classical::HoltWinters));
        }
        v.push(Model::Classical(Classical::Ets));
        if !periods.is_empty() {
            v.push(Model::Classical(Classical::Mstl));
        }
        v
    }

    /// Whether the model is trained from random seeds (the rest are deterministic).
    pub fn is_seeded(self) -> bool {
        self == Model::Lstm
    }

    /// Name in CSV files and on the command line (`seasonal_naive_288`).
    pub fn name(self) -> String {
        match self {
            Model::Lstm => "lstm".into(),
            Model::Baseline(Baseline::Persistence) => "persistence".into(),
            Model::Baseline(Baseline::SeasonalNaive(p)) => format!("seasonal_naive_{p}"),
            Model::Baseline(Baseline::WindowMean) => "window_mean".into(),
            Model::Baseline(Baseline::LinearAr) => "linear_ar".into(),
            Model::Classical(Classical::HoltWinters) => "holt_winters".into(),
            Model::Classical(Classical::Ets) => "ets".into(),
            Model::Classical(Classical::Mstl) => "mstl_ets".into(),
        }
    }

    /// The model of a CSV name.
    pub fn from_name(name: &str) -> Option<Model> {
        if let Some(p) = name.strip_prefix("seasonal_naive_") {
            return p
                .parse()
                .ok()
                .map(|p| Model::Baseline(Baseline::SeasonalNaive(p)));
        }
        Model::list(&[1])
            .into_iter()
            .find(|m| !matches!(m, Model::Baseline(Baseline::SeasonalNaive(_))) && m.name() == name)
    }

    /// Label in running text and Markdown headers (`seasonal naive 288`).
    pub fn label(self) -> String {
        match self {
            Model::Lstm => "LSTM".into(),
            Model::Baseline(Baseline::Persistence) => "persistence".into(),
            Model::Baseline(Baseline::SeasonalNaive(p)) => format!("seasonal naive {p}"),
            Model::Baseline(Baseline::WindowMean) => "window mean".into(),
            Model::Baseline(Baseline::LinearAr) => "linear AR".into(),
            Model::Classical(Classical::HoltWinters) => "Holt-Winters".into(),
            Model::Classical(Classical::Ets) => "ETS".into(),
            Model::Classical(Classical::Mstl) => "MSTL+ETS".into(),
        }
    }

    /// Label at the head of a table column (`Seasonal naive 288`).
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
        for m in Model::list(&[24, 168]) {
            assert_eq!(Model::from_name(&m.name()), Some(m), "{}", m.name());
        }
        assert_eq!(
            Model::Baseline(Baseline::SeasonalNaive(24)).title(),
            "Seasonal naive 24"
        );
        assert_eq!(Model::Lstm.title(), "LSTM");
        assert_eq!(Model::list(&[]).len(), 5);
        assert_eq!(Model::list(&[24, 168]).len(), 9);
    }
}
