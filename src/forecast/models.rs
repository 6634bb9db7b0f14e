//! The models an experiment compares, in table order: every table header, label and CSV name
//! comes from here.

use super::baselines::Baseline;
use super::network::CellKind;

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
    /// The network (LSTM, GRU, DLinear or N-HiTS), one run per seed.
    Network(CellKind),
    /// The network's forecasts combined over its seeds: their median, value by value.
    Ensemble(CellKind),
    Baseline(Baseline),
    Classical(Classical),
    /// The mean forecast of the [`COMBINED`] models (seed ensemble, baselines, classical)
    /// with the lowest validation MSE at the look-back.
    Combination,
}

/// Models in the combination row.
pub const COMBINED: usize = 3;

impl Model {
    /// Every model for these seasonal periods, in table order: the network, the baselines (a
    /// seasonal naive per period), then the classical models (those needing a season only
    /// with one).
    /// `combined`: with the seed ensemble and the combination (they need a validation span).
    pub fn list(periods: &[usize], cell: CellKind, combined: bool) -> Vec<Model> {
        let mut v = vec![Model::Network(cell)];
        if combined {
            v.push(Model::Ensemble(cell));
        }
        v.push(Model::Baseline(Baseline::Persistence));
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
        if combined {
            v.push(Model::Combination);
        }
        v
    }

    /// A baseline or classical model: what the network is tested against.
    pub fn is_baseline(self) -> bool {
        matches!(self, Model::Baseline(_) | Model::Classical(_))
    }

    /// Whether the model is trained from random seeds (the rest are deterministic).
    pub fn is_seeded(self) -> bool {
        matches!(self, Model::Network(_))
    }

    /// Name in CSV files and on the command line (`seasonal_naive_288`).
    pub fn name(self) -> String {
        match self {
            Model::Network(c) => c.name().into(),
            Model::Ensemble(c) => format!("{}_ensemble", c.name()),
            Model::Combination => format!("top{COMBINED}_mean"),
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
        let cells = [
            CellKind::Lstm,
            CellKind::Gru,
            CellKind::Dlinear,
            CellKind::Nhits,
        ];
        for c in cells {
            for m in [Model::Network(c), Model::Ensemble(c)] {
                if m.name() == name {
                    return Some(m);
                }
            }
        }
        Model::list(&[1], CellKind::Lstm, true)
            .into_iter()
            .find(|m| !matches!(m, Model::Baseline(Baseline::SeasonalNaive(_))) && m.name() == name)
    }

    /// Label in running text and Markdown headers (`seasonal naive 288`).
    pub fn label(self) -> String {
        match self {
            Model::Network(c) => c.title().into(),
            Model::Ensemble(c) => format!("{} ensemble", c.title()),
            Model::Combination => format!("top-{COMBINED} mean"),
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
        for m in Model::list(&[24, 168], CellKind::Gru, true) {
            assert_eq!(Model::from_name(&m.name()), Some(m), "{}", m.name());
        }
        assert_eq!(
            Model::Baseline(Baseline::SeasonalNaive(24)).title(),
            "Seasonal naive 24"
        );
        assert_eq!(Model::Network(CellKind::Lstm).title(), "LSTM");
        assert_eq!(
            Model::from_name("lstm"),
            Some(Model::Network(CellKind::Lstm))
        );
        assert_eq!(Model::list(&[], CellKind::Lstm, false).len(), 5);
        assert_eq!(Model::list(&[24, 168], CellKind::Lstm, false).len(), 9);
    }
}
