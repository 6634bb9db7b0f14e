//! DLinear (Zeng et al. 2023, "Are Transformers Effective for Time Series Forecasting?"):
//! each input window split into a trend — a moving average of 25 steps, the window's ends
//! repeated to pad it — and the remainder; one linear map of each to the H forecasts, summed.
//! The linear control of current benchmarks: what a network must beat to have learned more
//! than a weighted sum of lags.
//!
//! With features or calendar terms (C values per step) every channel is split the same way
//! and the maps read all of them (C·L values each); with the target alone it is DLinear
//! exactly (`individual = False`).

use candle_core::{Device, Tensor, Var};
use rand::rngs::StdRng;

use super::linear::Linear;

/// The moving average's length (the paper's and neuralforecast's default).
pub const KERNEL: usize = 25;

pub struct Dlinear {
    look_back: usize,
    channels: usize,
    /// The moving average as a matrix, transposed: trend = x · `average`.
    average: Tensor,
    trend: Linear,
    seasonal: Linear,
}

/// `[L, L]`, transposed: column t averages the `KERNEL` steps centred on t, indices clamped
/// to the window (replicate padding).
fn average_matrix(l: usize) -> candle_core::Result<Tensor> {
    let half = (KERNEL - 1) / 2;
    let mut a = vec![0f32; l * l];
    for t in 0..l {
        for j in 0..KERNEL {
            let s = (t + j).saturating_sub(half).min(l - 1);
            a[s * l + t] += 1.0 / KERNEL as f32;
        }
    }
    Tensor::from_vec(a, (l, l), &Device::Cpu)
}

impl Dlinear {
    pub fn new(
        rng: &mut StdRng,
        look_back: usize,
        channels: usize,
        outputs: usize,
    ) -> candle_core::Result<Dlinear> {
        let inputs = look_back * channels;
        let seasonal = Linear::new(rng, inputs, outputs)?;
        let trend = Linear::new(rng, inputs, outputs)?;
        Self::from_layers(look_back, channels, seasonal, trend)
    }

    /// The model from saved layers.
    pub fn from_layers(
        look_back: usize,
        channels: usize,
        seasonal: Linear,
        trend: Linear,
    ) -> candle_core::Result<Dlinear> {
        Ok(Dlinear {
            look_back,
            channels,
            average: average_matrix(look_back)?,
            trend,
            seasonal,
        })
    }

    /// `x` `[B, L·C]` (step-major) → `[B, H]`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let b = x.dims2()?.0;
        let xc = x
            .reshape((b, self.look_back, self.channels))?
            .transpose(1, 2)?
            .contiguous()?;
        let trend = xc.broadcast_matmul(&self.average)?;
        let seasonal = (&xc - &trend)?;
        let s = self.seasonal.forward(&seasonal.flatten_from(1)?)?;
        let t = self.trend.forward(&trend.flatten_from(1)?)?;
        s + t
    }

    pub fn vars(&self) -> Vec<Var> {
        let mut v = self.seasonal.vars().to_vec();
        v.extend(self.trend.vars());
        v
    }

    pub fn named(&self) -> Vec<(String, Tensor)> {
        let mut v = self.seasonal.named("linear_seasonal");
        v.extend(self.trend.named("linear_trend"));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_moving_average_repeats_the_ends() {
        // L = 3: every average is over 25 values, the first 13 (or so) copies of x0.
        let a = average_matrix(3).unwrap().to_vec2::<f32>().unwrap();
        // Column 0 (t = 0): indices −12 … 12 clamp to 0 (13 times), 1, and 2 (11 times).
        assert!((a[0][0] - 13.0 / 25.0).abs() < 1e-6);
        assert!((a[1][0] - 1.0 / 25.0).abs() < 1e-6);
        assert!((a[2][0] - 11.0 / 25.0).abs() < 1e-6);
        for t in 0..3 {
            let col: f32 = a.iter().map(|row| row[t]).sum();
            assert!((col - 1.0).abs() < 1e-5);
        }
    }
}
