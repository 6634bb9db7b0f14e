//! Training a network: shuffled mini-batches, Keras' Adam, MSE or Huber loss in the
//! training span's MinMax units (after the network's [`super::frame`] maps its output back),
//! gradient clipping by global norm, the learning rate halved when the validation loss
//! stalls, and early stopping that restores the best epoch's weights.

use candle_core::{Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::network::{batch_tensor, Network};
pub use super::spec::Loss;
use super::spec::{model_err, Hyper};
use crate::error::Result;

/// Adam as Keras implements it (the study's optimiser): β₁ 0.9, β₂ 0.999, ε 1e-7 added to
/// √v before the bias correction folded into the step size —
/// `w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)`. (candle's and PyTorch's add ε after the
/// correction, which weighs ε differently in the first steps.)
struct Adam {
    vars: Vec<(Var, Tensor, Tensor)>,
    lr: f64,
    step: i32,
}

impl Adam {
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPS: f64 = 1e-7;

    fn new(vars: Vec<Var>, lr: f64) -> candle_core::Result<Adam> {
        let vars = vars
            .into_iter()
            .map(|v| {
                let z = v.as_tensor().zeros_like()?;
                Ok((v, z.clone(), z))
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Adam { vars, lr, step: 0 })
    }

    /// The gradients' global L2 norm.
    fn norm(&self, grads: &candle_core::backprop::GradStore) -> candle_core::Result<f64> {
        let mut sum = 0.0;
        for (var, _, _) in &self.vars {
            if let Some(g) = grads.get(var) {
                sum += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
            }
        }
        Ok(sum.sqrt())
    }

    /// One step with the gradients multiplied by `factor` (clipping).
    fn step(
        &mut self,
        grads: &candle_core::backprop::GradStore,
        factor: f64,
    ) -> candle_core::Result<()> {
        self.step += 1;
        let alpha = self.lr * (1.0 - Self::BETA2.powi(self.step)).sqrt()
            / (1.0 - Self::BETA1.powi(self.step));
        for (var, m, v) in &mut self.vars {
            let Some(g) = grads.get(var) else { continue };
            let g = if factor < 1.0 {
                (g * factor)?
            } else {
                g.clone()
            };
            *m = ((&*m * Self::BETA1)? + (&g * (1.0 - Self::BETA1))?)?;
            *v = ((&*v * Self::BETA2)? + (g.sqr()? * (1.0 - Self::BETA2))?)?;
            let update = (&*m * alpha)?.div(&(v.sqrt()? + Self::EPS)?)?;
            var.set(&var.as_tensor().sub(&update)?)?;
        }
        Ok(())
    }
}

/// Loss after each epoch.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct History {
    pub train: Vec<f64>,
    /// Loss on the monitored windows: the validation span (the test span in the study's mode).
    pub validation: Vec<f64>,
    /// The epoch (1-based) whose weights the model keeps: the lowest validation loss under
    /// early stopping, else the last.
    pub kept_epoch: usize,
    /// Whether training stopped before the last epoch (`patience` epochs without a better
    /// validation loss).
    pub stopped_early: bool,
    /// Wall seconds of each epoch's training pass (shuffle, batches, forward, backward,
    /// optimiser step; not the validation pass).
    pub seconds: Vec<f64>,
    /// The learning rate of each epoch (it falls when the validation loss stalls).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lr: Vec<f64>,
}

/// How the epoch whose weights are kept is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stopping {
    /// Every epoch runs and the last one's weights are kept (the study; the monitored loss is
    /// only reported).
    LastEpoch,
    /// Stop after this many epochs without a lower validation loss (0: never stop early) and
    /// restore the weights of the epoch with the lowest one.
    BestValidation { patience: usize },
}

/// Training data: windows (raw, before the network's frame), their target paths
/// (`outputs` per window, window-major, MinMax units).
pub struct Data<'a> {
    pub x: &'a [Vec<f32>],
    pub y: &'a [f32],
}

/// The loss of one batch.
fn batch_loss(
    model: &Network,
    xb: &Tensor,
    frames: &[(f32, f32)],
    yb: &Tensor,
    loss: Loss,
    delta: f64,
    rng: &mut StdRng,
) -> candle_core::Result<Tensor> {
    let mut pred = model.forward(xb, Some(rng))?;
    if !model.frame.is_identity() {
        let b = frames.len();
        let offset: Vec<f32> = frames.iter().map(|f| f.0).collect();
        let scale: Vec<f32> = frames.iter().map(|f| f.1).collect();
        let offset = Tensor::from_vec(offset, (b, 1), &Device::Cpu)?;
        let scale = Tensor::from_vec(scale, (b, 1), &Device::Cpu)?;
        pred = pred.broadcast_mul(&scale)?.broadcast_add(&offset)?;
    }
    let d = (pred - yb)?;
    match loss {
        Loss::Mse => d.sqr()?.mean_all(),
        Loss::Huber => {
            // 0.5·q² + δ·(|d| − q), q = min(|d|, δ).
            let a = d.abs()?;
            let q = a.minimum(delta as f32)?;
            ((q.sqr()? * 0.5)? + ((a - &q)? * delta)?)?.mean_all()
        }
    }
}

/// Training windows as the network reads them, their frames and their target paths.
struct Framed<'a> {
    x: &'a [Vec<f32>],
    frames: &'a [(f32, f32)],
    y: &'a [f32],
}

/// One epoch over the shuffled training windows: the mean training loss.
fn epoch(
    model: &Network,
    data: &Framed,
    order: &[usize],
    opt: &mut Adam,
    hp: &Hyper,
    delta: f64,
    rng: &mut StdRng,
) -> Result<f64> {
    let Framed { x, frames, y } = *data;
    let k = model.outputs;
    let mut total = 0.0;
    for batch in order.chunks(hp.batch_size.max(1)) {
        let rows: Vec<Vec<f32>> = batch.iter().map(|&i| x[i].clone()).collect();
        let fb: Vec<(f32, f32)> = batch.iter().map(|&i| frames[i]).collect();
        let xb = batch_tensor(&rows).map_err(model_err)?;
        let yv: Vec<f32> = batch
            .iter()
            .flat_map(|&i| y[i * k..(i + 1) * k].iter().copied())
            .collect();
        let yb = Tensor::from_vec(yv, (batch.len(), k), &Device::Cpu).map_err(model_err)?;
        let loss = batch_loss(model, &xb, &fb, &yb, hp.loss, delta, rng).map_err(model_err)?;
        let grads = loss.backward().map_err(model_err)?;
        let factor = if hp.clip > 0.0 {
            let norm = opt.norm(&grads).map_err(model_err)?;
            if norm > hp.clip {
                hp.clip / norm
            } else {
                1.0
            }
        } else {
            1.0
        };
        opt.step(&grads, factor).map_err(model_err)?;
        total += loss.to_scalar::<f32>().map_err(model_err)? as f64 * batch.len() as f64;
    }
    Ok(total / x.len().max(1) as f64)
}

/// The 1-based epoch of the lowest finite value (None: none finite).
fn best_epoch(losses: &[f64]) -> Option<usize> {
    losses
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i + 1)
}

/// Trains on `data` with shuffled mini-batches; reports the mean training loss and the MSE
/// on the monitored windows after each epoch through `on_epoch`. `delta`: Huber's δ.
pub fn train(
    model: &Network,
    data: Data,
    monitored: Data,
    hp: &Hyper,
    stopping: Stopping,
    delta: f64,
    mut on_epoch: impl FnMut(usize, f64, f64),
) -> Result<History> {
    let mut best: Option<(f64, Vec<Tensor>)> = None;
    let mut opt = Adam::new(model.vars(), hp.lr).map_err(model_err)?;
    let mut rng = StdRng::seed_from_u64(hp.seed ^ 0x9e37_79b9_7f4a_7c15);
    let (fx, frames) = model.frame.apply_all(data.x);
    let mut order: Vec<usize> = (0..fx.len()).collect();
    let mut history = History::default();
    let mut stalled = 0;
    for epoch_index in 0..hp.epochs {
        let started = std::time::Instant::now();
        // Keras shuffles the training windows every epoch.
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let framed = Framed {
            x: &fx,
            frames: &frames,
            y: data.y,
        };
        let train_loss = epoch(model, &framed, &order, &mut opt, hp, delta, &mut rng)?;
        history.seconds.push(started.elapsed().as_secs_f64());
        history.lr.push(opt.lr);
        let val_loss = if monitored.x.is_empty() {
            f64::NAN
        } else {
            let p = model.predict(monitored.x, 256)?;
            p.iter()
                .zip(monitored.y)
                .map(|(a, b)| ((a - b) as f64).powi(2))
                .sum::<f64>()
                / p.len() as f64
        };
        history.train.push(train_loss);
        history.validation.push(val_loss);
        history.kept_epoch = epoch_index + 1;
        on_epoch(epoch_index + 1, train_loss, val_loss);
        let Stopping::BestValidation { patience } = stopping else {
            continue;
        };
        if best.as_ref().is_none_or(|b| val_loss < b.0) {
            let weights = model
                .vars()
                .iter()
                .map(|v| v.as_tensor().copy())
                .collect::<candle_core::Result<Vec<_>>>()
                .map_err(model_err)?;
            best = Some((val_loss, weights));
            stalled = 0;
        } else {
            stalled += 1;
            if hp.plateau > 0 && stalled >= hp.plateau {
                opt.lr *= 0.5;
                stalled = 0;
            }
        }
        let best_at = best_epoch(&history.validation).unwrap_or(epoch_index + 1);
        if patience > 0 && epoch_index + 1 - best_at >= patience && epoch_index + 1 < hp.epochs {
            history.stopped_early = true;
            break;
        }
    }
    if let (Stopping::BestValidation { .. }, Some((_, weights))) = (stopping, best) {
        for (var, w) in model.vars().iter().zip(&weights) {
            var.set(w).map_err(model_err)?;
        }
        history.kept_epoch = best_epoch(&history.validation).unwrap_or(history.kept_epoch);
    }
    Ok(history)
}
