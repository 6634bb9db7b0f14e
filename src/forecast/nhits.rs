//! N-HiTS (Challu et al. 2023, "N-HiTS: Neural Hierarchical Interpolation for Time Series
//! Forecasting"), as neuralforecast builds it by default: three blocks, each a max-pool of
//! the (time-reversed) input — kernels 2, 2, 1 — then an MLP of two ReLU layers, whose output
//! is a backcast of the whole window and a few forecast knots (H/4, H/2, H of them, at least
//! one) linearly interpolated to the H steps. Each block reads what the blocks before it
//! left unexplained (the window minus their backcasts); the forecast is the blocks' sum.
//!
//! neuralforecast adds the window's last value to that sum (its "naive level"); here that
//! is `--target delta` ([`super::frame`]), so the level form is available as well. Features
//! and calendar terms are read unpooled beside the pooled target, as neuralforecast reads
//! historical exogenous inputs.

use candle_core::{Device, Tensor, Var};
use rand::rngs::StdRng;

use super::linear::Linear;

/// Per block: the max-pool kernel and the forecast's downsampling (neuralforecast's defaults).
pub const BLOCKS: [(usize, usize); 3] = [(2, 4), (2, 2), (1, 1)];

struct Block {
    pool: usize,
    knots: usize,
    layers: [Linear; 3],
    /// `[knots, H]`: the linear interpolation of the knots to the H steps.
    interpolate: Tensor,
}

pub struct Nhits {
    look_back: usize,
    channels: usize,
    blocks: Vec<Block>,
    /// Indices L−1 … 0: the window reversed, newest first.
    reverse: Tensor,
}

/// PyTorch's `F.interpolate(mode="linear", align_corners=False)` from `n` knots to `h`
/// steps, as a matrix `[n, h]`.
fn interpolation(n: usize, h: usize) -> candle_core::Result<Tensor> {
    let mut m = vec![0f32; n * h];
    let ratio = n as f64 / h as f64;
    for j in 0..h {
        let src = ((j as f64 + 0.5) * ratio - 0.5).max(0.0);
        let i0 = (src.floor() as usize).min(n - 1);
        let i1 = (i0 + 1).min(n - 1);
        let w = src - i0 as f64;
        m[i0 * h + j] += (1.0 - w) as f32;
        m[i1 * h + j] += w as f32;
    }
    Tensor::from_vec(m, (n, h), &Device::Cpu)
}

/// Max over non-overlapping runs of `k` (the last one shorter: PyTorch's `ceil_mode`).
fn max_pool(x: &Tensor, k: usize) -> candle_core::Result<Tensor> {
    if k == 1 {
        return Ok(x.clone());
    }
    let (b, l) = x.dims2()?;
    let runs = l.div_ceil(k);
    let padded = if runs * k > l {
        // Repeat the last value: it belongs to the shorter run, so its max is unchanged.
        let last = x.narrow(1, l - 1, 1)?.broadcast_as((b, runs * k - l))?;
        Tensor::cat(&[x, &last.contiguous()?], 1)?
    } else {
        x.clone()
    };
    padded.reshape((b, runs, k))?.max(2)
}

impl Nhits {
    /// Pooled target values plus the unpooled other channels.
    fn block_inputs(look_back: usize, channels: usize, pool: usize) -> usize {
        look_back.div_ceil(pool) + look_back * (channels - 1)
    }

    pub fn new(
        rng: &mut StdRng,
        look_back: usize,
        channels: usize,
        width: usize,
        outputs: usize,
    ) -> candle_core::Result<Nhits> {
        let mut blocks = Vec::new();
        for (pool, downsample) in BLOCKS {
            let knots = (outputs / downsample).max(1);
            let inputs = Self::block_inputs(look_back, channels, pool);
            let layers = [
                Linear::new(rng, inputs, width)?,
                Linear::new(rng, width, width)?,
                Linear::new(rng, width, look_back + knots)?,
            ];
            blocks.push((pool, knots, layers));
        }
        Self::assemble(look_back, channels, outputs, blocks)
    }

    /// The layers' shapes, block by block: `(name, [rows, cols])` of each weight.
    pub fn layer_shapes(
        look_back: usize,
        channels: usize,
        width: usize,
        outputs: usize,
    ) -> Vec<(String, [usize; 2])> {
        let mut v = Vec::new();
        for (i, (pool, downsample)) in BLOCKS.into_iter().enumerate() {
            let knots = (outputs / downsample).max(1);
            let inputs = Self::block_inputs(look_back, channels, pool);
            v.push((format!("blocks.{i}.layers.0"), [width, inputs]));
            v.push((format!("blocks.{i}.layers.1"), [width, width]));
            v.push((format!("blocks.{i}.layers.2"), [look_back + knots, width]));
        }
        v
    }

    /// The model from its layers, three per block in [`BLOCKS`]' order.
    pub fn from_layers(
        look_back: usize,
        channels: usize,
        outputs: usize,
        layers: Vec<Linear>,
    ) -> candle_core::Result<Nhits> {
        let mut it = layers.into_iter();
        let mut blocks = Vec::new();
        for (pool, downsample) in BLOCKS {
            let knots = (outputs / downsample).max(1);
            let (Some(a), Some(b), Some(c)) = (it.next(), it.next(), it.next()) else {
                return Err(candle_core::Error::Msg("N-HiTS needs 9 layers".into()));
            };
            blocks.push((pool, knots, [a, b, c]));
        }
        Self::assemble(look_back, channels, outputs, blocks)
    }

    fn assemble(
        look_back: usize,
        channels: usize,
        outputs: usize,
        blocks: Vec<(usize, usize, [Linear; 3])>,
    ) -> candle_core::Result<Nhits> {
        let blocks = blocks
            .into_iter()
            .map(|(pool, knots, layers)| {
                Ok(Block {
                    pool,
                    knots,
                    layers,
                    interpolate: interpolation(knots, outputs)?,
                })
            })
            .collect::<candle_core::Result<_>>()?;
        let reverse: Vec<u32> = (0..look_back as u32).rev().collect();
        Ok(Nhits {
            look_back,
            channels,
            blocks,
            reverse: Tensor::from_vec(reverse, look_back, &Device::Cpu)?,
        })
    }

    /// `x` `[B, L·C]` (step-major) → `[B, H]`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let b = x.dims2()?.0;
        let steps = x.reshape((b, self.look_back, self.channels))?;
        let target = steps.narrow(2, 0, 1)?.squeeze(2)?.contiguous()?;
        let mut residual = target.index_select(&self.reverse, 1)?;
        let exog = (self.channels > 1)
            .then(|| steps.narrow(2, 1, self.channels - 1)?.flatten_from(1))
            .transpose()?;
        let mut forecast: Option<Tensor> = None;
        for block in &self.blocks {
            let pooled = max_pool(&residual, block.pool)?;
            let input = match &exog {
                Some(e) => Tensor::cat(&[&pooled, e], 1)?,
                None => pooled,
            };
            let h = block.layers[0].forward(&input)?.relu()?;
            let h = block.layers[1].forward(&h)?.relu()?;
            let theta = block.layers[2].forward(&h)?;
            let backcast = theta.narrow(1, 0, self.look_back)?;
            let knots = theta.narrow(1, self.look_back, block.knots)?;
            residual = (residual - backcast)?;
            let f = knots.matmul(&block.interpolate)?;
            forecast = Some(match forecast {
                Some(sum) => (sum + f)?,
                None => f,
            });
        }
        forecast.ok_or_else(|| candle_core::Error::Msg("N-HiTS without blocks".into()))
    }

    pub fn vars(&self) -> Vec<Var> {
        self.blocks
            .iter()
            .flat_map(|b| b.layers.iter().flat_map(|l| l.vars()))
            .collect()
    }

    pub fn named(&self) -> Vec<(String, Tensor)> {
        let mut v = Vec::new();
        for (i, b) in self.blocks.iter().enumerate() {
            for (k, l) in b.layers.iter().enumerate() {
                v.extend(l.named(&format!("blocks.{i}.layers.{k}")));
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_and_interpolation_follow_pytorch() {
        let x = Tensor::new(&[[1f32, 5.0, 2.0, 0.0, 7.0]], &Device::Cpu).unwrap();
        let p = max_pool(&x, 2).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(p, vec![vec![5.0, 2.0, 7.0]]);
        // F.interpolate(torch.tensor([[[0., 1.]]]), size=4, mode="linear") = 0, .25, .75, 1.
        let m = interpolation(2, 4).unwrap();
        let knots = Tensor::new(&[[0f32, 1.0]], &Device::Cpu).unwrap();
        let y = knots.matmul(&m).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(y, vec![vec![0.0, 0.25, 0.75, 1.0]]);
        // One knot: a constant path.
        let one = Tensor::new(&[[3f32]], &Device::Cpu).unwrap();
        let y = one.matmul(&interpolation(1, 3).unwrap()).unwrap();
        assert_eq!(y.to_vec2::<f32>().unwrap(), vec![vec![3.0; 3]]);
    }
}
