//! The model card saved beside a model's weights: everything needed to apply it to another
//! series, checked when it is read back.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::inputs::Calendar;
use super::network::Hyper;
use super::online::{Online, Scale};
use super::Scaler;
use crate::error::{Error, Result};
use crate::series::{Agg, Align, Fill, SeriesOptions, SizeKind};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelCard {
    pub ntp_version: String,
    pub look_back: usize,
    pub horizon: usize,
    pub scaler: Scaler,
    pub hyper: Hyper,
    pub every: String,
    pub size: String,
    pub drop_empty: bool,
    pub scale_on_all: bool,
    pub trained_on: String,
    pub test_mse: f64,
    /// Validation MSE of the saved run (absent in the study's mode, which has no validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_mse: Option<f64>,
    /// The epoch whose weights were kept (early stopping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_epoch: Option<usize>,
    /// The value column of a series file (absent: the capture's byte count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_column: Option<String>,
    /// Other columns of the series the model reads beside the target, and their scalers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feature_scalers: Vec<Scaler>,
    /// Calendar terms of each input step.
    #[serde(default, skip_serializing_if = "is_default_calendar")]
    pub calendar: Calendar,
    /// How a series file's gaps were filled (absent: linear, the default).
    #[serde(default, skip_serializing_if = "is_default_fill")]
    pub fill: Fill,
    /// How rows sharing an interval were combined (absent: the default of the column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agg: Option<Agg>,
    /// Which interval an off-grid stamp went to (absent: start).
    #[serde(default, skip_serializing_if = "is_default_align")]
    pub align: Align,
    /// The zone of the series file's stamps without an offset (absent: UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Coverages of the bands `predict` writes, as fractions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<f64>,
    /// The saved run's validation residuals (actual − forecast, one path of `horizon`
    /// values per window): `predict`'s conformal bands and alert probabilities come from them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub residuals: Vec<f64>,
    /// How the bands move over the series `predict` is given, as they did on the test
    /// span (absent: split, fixed — cards written before there was a choice).
    #[serde(default, skip_serializing_if = "is_split")]
    pub online: Online,
    #[serde(default, skip_serializing_if = "is_raw")]
    pub band_scale: Scale,
    /// The alert rule trained with (`--threshold`): its text, its value on the training
    /// span, and the probability that raises an alert; `predict` applies it by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<CardAlert>,
}

/// An alert rule as the card keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CardAlert {
    pub threshold: String,
    pub value: f64,
    pub probability: f64,
}

fn is_split(o: &Online) -> bool {
    *o == Online::Split
}

fn is_raw(s: &Scale) -> bool {
    *s == Scale::Raw
}

fn is_default_calendar(c: &Calendar) -> bool {
    *c == Calendar::default()
}

fn is_default_fill(f: &Fill) -> bool {
    *f == Fill::default()
}

fn is_default_align(a: &Align) -> bool {
    *a == Align::default()
}

impl ModelCard {
    /// The card that belongs to saved weights: the same name with `.json`.
    pub fn path_of(model: &Path) -> std::path::PathBuf {
        model.with_extension("json")
    }

    /// Reads a card written by `ntp train`.
    pub fn read(path: &Path) -> Result<ModelCard> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        // serde quotes a bad value as it is: escaped, so the error stays one line.
        let card: ModelCard = serde_json::from_str(&text).map_err(|e| Error::Dataset {
            path: path.to_owned(),
            message: format!("not an ntp model card: {}", e.to_string().escape_debug()),
        })?;
        card.check().map_err(|message| Error::Dataset {
            path: path.to_owned(),
            message: format!("impossible model card: {message}"),
        })?;
        Ok(card)
    }

    /// Rejects values no saved model can have, naming the field.
    fn check(&self) -> std::result::Result<(), String> {
        let h = &self.hyper;
        let zero = [
            ("look_back", self.look_back),
            ("horizon", self.horizon),
            ("hyper.hidden", h.hidden),
            ("hyper.layers", h.layers),
        ];
        if let Some((field, _)) = zero.iter().find(|f| f.1 == 0) {
            return Err(format!("`{field}` is 0"));
        }
        if h.hidden > 1 << 16 || h.layers > 64 || self.look_back > 1 << 24 {
            return Err(
                "`hyper.hidden`, `hyper.layers` or `look_back` is implausibly large".into(),
            );
        }
        let max = super::network::MLP_MAX_STEPS;
        if !h.cell.is_recurrent() && (self.look_back > max || self.horizon > max || h.hidden > 1024)
        {
            return Err(format!(
                "`look_back`, `horizon` or `hyper.hidden` is too large for {} (at most {max}, {max} and 1024)",
                h.cell.title()
            ));
        }
        crate::series::parse_every(&self.every)
            .map_err(|_| format!("`every` is {:?}, not a duration (e.g. 1s, 5m)", self.every))?;
        if !["ip", "wire", "captured"].contains(&self.size.as_str()) {
            return Err(format!(
                "`size` is {:?}, not ip, wire or captured",
                self.size
            ));
        }
        // UTC offsets run from −12:00 to +14:00.
        if self.calendar.offset_s.abs() > 14 * 3600 {
            return Err(format!(
                "`calendar.offset_s` is {} s, not a UTC offset",
                self.calendar.offset_s
            ));
        }
        for s in std::iter::once(&self.scaler).chain(&self.feature_scalers) {
            let (lo, hi) = (s.min, s.max);
            let limit = crate::series::MAX_MAGNITUDE;
            // Its range divides every input: it must be a normal number (or 0, a constant
            // series), and unscaled forecasts must stay finite.
            let range = hi - lo;
            let usable = range == 0.0 || (range.is_normal() && range <= limit);
            if !(lo.abs() <= limit && hi.abs() <= limit && lo <= hi && usable) {
                return Err(format!(
                    "`scaler` is min {lo}, max {hi}: not a range a series can have"
                ));
            }
        }
        if self.feature_scalers.len() != self.features.len() {
            return Err(format!(
                "{} `features` but {} `feature_scalers`",
                self.features.len(),
                self.feature_scalers.len()
            ));
        }
        if !(0.0..1.0).contains(&h.dropout) {
            return Err(format!("`hyper.dropout` is {}", h.dropout));
        }
        if let Some(a) = &self.alert {
            if !(a.value.is_finite() && a.probability > 0.0 && a.probability <= 1.0) {
                return Err(format!(
                    "`alert` has value {} and probability {}",
                    a.value, a.probability
                ));
            }
        }
        if let Some(l) = self.levels.iter().find(|l| !(**l > 0.0 && **l < 1.0)) {
            return Err(format!(
                "`levels` holds {l}, not a coverage between 0 and 1"
            ));
        }
        if let Some((i, l)) = self
            .levels
            .iter()
            .enumerate()
            .find(|(i, l)| self.levels[..*i].contains(l))
        {
            return Err(format!(
                "`levels` holds {l} twice (at {} and {}): each band is one pair of columns",
                self.levels.iter().position(|x| x == l).unwrap_or(0),
                i
            ));
        }
        if !self.residuals.is_empty()
            && crate::forecast::intervals::Residuals::from_paths(
                self.residuals.clone(),
                self.horizon,
            )
            .is_none()
        {
            return Err(format!(
                "`residuals` ({} values) are not finite paths of `horizon` {} values",
                self.residuals.len(),
                self.horizon
            ));
        }
        Ok(())
    }

    /// The card as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a model card serialises")
    }

    /// The series options the model was trained with.
    pub fn series(&self) -> SeriesOptions {
        SeriesOptions {
            every: Some(self.every.clone()),
            size: SizeKind::from_name(&self.size),
            drop_empty: self.drop_empty,
            column: self.column.clone(),
            time_column: self.time_column.clone(),
            fill: self.fill,
            agg: self.agg,
            align: self.align,
            time_zone: self.time_zone.clone(),
            window: Default::default(),
        }
    }
}
