//! The network: LSTM or GRU cells (hidden) × layers + Linear(H) on candle, trained with Adam
//! on MSE: the H outputs are the forecasts of steps 1 … H (direct multi-output; H = 1 is the
//! study's model); each step of a window carries the target and any other inputs
//! ([`super::inputs`]); dropout between stacked layers while training.
//!
//! Each layer is one custom op with a hand-written backward pass ([`LstmLayer`],
//! [`GruLayer`]) over one trainable matrix (`[W_ih | b | W_hh]`; the GRU's hidden bias as a
//! last column); the head and the loss are candle ops, so candle's autograd joins them. The model is Keras' (the study's): one bias per gate — PyTorch's
//! two (`bias_ih` + `bias_hh`) would each get the same gradient, and under Adam their sum
//! would move twice as fast. Weights are created from ntp's own seeded generator (candle's
//! CPU RNG cannot be seeded) with Keras' defaults — Glorot-uniform input kernel, orthogonal
//! recurrent kernel, zero bias with the forget gate's set to 1 (the GRU: zero biases). Saved
//! models use PyTorch's names (`lstm.weight_ih_l0`, gate order i, f, g, o, the bias as
//! `bias_ih_l0` with `bias_hh_l0` zero; `gru.weight_ih_l0`, gate order r, z, n, both biases),
//! so they load in PyTorch's `nn.LSTM` / `nn.GRU` too.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result};
use crate::forecast::gru_op::GruLayer;
use crate::forecast::lstm_op::LstmLayer;

/// A candle error on one line: its first line (candle appends a backtrace when
/// RUST_BACKTRACE is set).
fn candle_text(e: &candle_core::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn model_err(e: candle_core::Error) -> Error {
    Error::Model(candle_text(&e))
}

/// Refuses weights that contradict their card or could only give NaN: a tensor the card's
/// cell and layer count do not have, one that is not 32-bit float, one not finite.
fn check_tensors(
    path: &Path,
    map: &HashMap<String, Tensor>,
    kind: CellKind,
    layers: usize,
) -> Result<()> {
    let cell = kind.name();
    let declared = |name: &str| {
        name == "linear.weight"
            || name == "linear.bias"
            || (0..layers).any(|l| {
                ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
                    .iter()
                    .any(|w| name == format!("{cell}.{w}_l{l}"))
            })
    };
    let bad = |message: String| Error::Dataset {
        path: path.to_owned(),
        message,
    };
    let mut names: Vec<&String> = map.keys().collect();
    names.sort();
    for name in names {
        let t = &map[name];
        if !declared(name) {
            return Err(bad(format!(
                "tensor `{name}` is not one of the model's card ({layers} layer(s) of {cell}): card and weights disagree"
            )));
        }
        if t.dtype() != DType::F32 {
            return Err(bad(format!(
                "tensor `{name}` is {:?}, not F32: not a model ntp saved",
                t.dtype()
            )));
        }
        let values = t
            .flatten_all()
            .and_then(|v| v.to_vec1::<f32>())
            .map_err(|e| bad(format!("tensor `{name}`: {}", candle_text(&e))))?;
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(bad(format!(
                "tensor `{name}` holds {v}: a model with non-finite weights forecasts nothing"
            )));
        }
    }
    Ok(())
}

/// Candle's matrix products look the thread count up on every call and lose to thread
/// hand-offs on these tiny matrices: one thread is faster (the epoch timings of
/// `benches/lstm_vs_pytorch.py` show it). Rayon's global
/// pool is built first, with every core: the fused LSTM layer splits its batch over it.
pub fn prefer_single_threaded_gemm() {
    let _ = rayon::current_num_threads();
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
}

/// The recurrent cell.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    #[default]
    Lstm,
    Gru,
}

impl CellKind {
    /// Gates per cell (rows of a layer's weight matrix per hidden unit).
    fn gates(self) -> usize {
        match self {
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }

    /// Name in tables, files and PyTorch's parameter names.
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Lstm => "lstm",
            CellKind::Gru => "gru",
        }
    }
}

/// Hyperparameters of the network and its training.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hyper {
    #[serde(default)]
    pub cell: CellKind,
    pub hidden: usize,
    pub layers: usize,
    /// Dropout between stacked layers while training (0: none).
    #[serde(default)]
    pub dropout: f64,
    pub lr: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub seed: u64,
}

/// The network's parameters.
pub struct Network {
    pub cell: CellKind,
    pub hidden: usize,
    /// Values per input step (the target, features, calendar terms).
    pub inputs: usize,
    /// Steps forecast (the head's outputs).
    pub outputs: usize,
    /// Dropout between layers while training.
    pub dropout: f64,
    /// Per layer: LSTM `[W_ih | b | W_hh]` `[4H, in + 1 + H]`; GRU `[W_ih | b_ih | W_hh |
    /// b_hh]` `[3H, in + 1 + H + 1]`.
    layers: Vec<Var>,
    /// Linear: weight [outputs, hidden], bias [outputs].
    head: [Var; 2],
}

fn uniform(rng: &mut StdRng, n: usize, limit: f64) -> Vec<f32> {
    (0..n)
        .map(|_| rng.random_range(-limit..limit) as f32)
        .collect()
}

fn normal(rng: &mut StdRng) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A (rows × cols) matrix with orthonormal columns or rows (Keras' Orthogonal initializer),
/// by Gram–Schmidt on a Gaussian matrix.
fn orthogonal(rng: &mut StdRng, rows: usize, cols: usize) -> Vec<f64> {
    let (n, m) = if rows < cols {
        (cols, rows)
    } else {
        (rows, cols)
    }; // n ≥ m: orthonormal columns of n×m
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(m);
    while q.len() < m {
        let mut v: Vec<f64> = (0..n).map(|_| normal(rng)).collect();
        for u in &q {
            let d: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-8 {
            q.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    // Element (r, c) of the rows × cols result.
    let mut out = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            out[r * cols + c] = if rows < cols { q[r][c] } else { q[c][r] };
        }
    }
    out
}

/// The shape of a network: everything but its weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub cell: CellKind,
    pub hidden: usize,
    pub layers: usize,
    pub inputs: usize,
    pub outputs: usize,
    pub dropout: f64,
}

impl Shape {
    /// The shape for these hyperparameters, `inputs` values per step, `outputs` steps.
    pub fn of(hp: &Hyper, inputs: usize, outputs: usize) -> Shape {
        Shape {
            cell: hp.cell,
            hidden: hp.hidden,
            layers: hp.layers,
            inputs,
            outputs,
            dropout: hp.dropout,
        }
    }

    /// Columns of layer `l`'s weight matrix.
    fn cols(&self, l: usize) -> usize {
        let input = if l == 0 { self.inputs } else { self.hidden };
        match self.cell {
            CellKind::Lstm => input + 1 + self.hidden,
            CellKind::Gru => input + 1 + self.hidden + 1,
        }
    }
}

impl Network {
    /// Keras-style initial weights from `seed`.
    pub fn new(shape: Shape, seed: u64) -> Result<Network> {
        let dev = Device::Cpu;
        let mut rng = StdRng::seed_from_u64(seed);
        let h = shape.hidden;
        let gates = shape.cell.gates();
        let g = gates * h;
        let mut params = Vec::with_capacity(shape.layers);
        for l in 0..shape.layers {
            let input = if l == 0 { shape.inputs } else { h };
            // Keras kernel (input, gH), Glorot uniform; stored transposed as PyTorch's [gH, input].
            let limit = (6.0 / (input + g) as f64).sqrt();
            let w_ih = uniform(&mut rng, g * input, limit);
            // Keras recurrent kernel (H, gH), orthogonal; stored as [gH, H].
            let rec = orthogonal(&mut rng, h, g);
            let mut w_hh = vec![0f32; g * h];
            for r in 0..h {
                for c in 0..g {
                    w_hh[c * h + r] = rec[r * g + c] as f32;
                }
            }
            let mut bias = vec![0f32; g];
            if shape.cell == CellKind::Lstm {
                bias[h..2 * h].iter_mut().for_each(|b| *b = 1.0); // unit forget bias
            }
            let cols = shape.cols(l);
            let mut w = vec![0f32; g * cols];
            for r in 0..g {
                let row = &mut w[r * cols..(r + 1) * cols];
                row[..input].copy_from_slice(&w_ih[r * input..(r + 1) * input]);
                row[input] = bias[r];
                row[input + 1..input + 1 + h].copy_from_slice(&w_hh[r * h..(r + 1) * h]);
                // The GRU's hidden bias (last column) starts at zero.
            }
            let w = Tensor::from_vec(w, (g, cols), &dev).and_then(|t| Var::from_tensor(&t));
            params.push(w.map_err(model_err)?);
        }
        let (hidden, outputs) = (h, shape.outputs);
        let limit = (6.0 / (h + outputs) as f64).sqrt();
        let w = Var::from_tensor(
            &Tensor::from_vec(uniform(&mut rng, h * outputs, limit), (outputs, h), &dev)
                .map_err(model_err)?,
        )
        .map_err(model_err)?;
        let b = Var::from_tensor(&Tensor::zeros(outputs, DType::F32, &dev).map_err(model_err)?)
            .map_err(model_err)?;
        Ok(Network {
            cell: shape.cell,
            hidden,
            inputs: shape.inputs,
            outputs,
            dropout: shape.dropout,
            layers: params,
            head: [w, b],
        })
    }

    pub fn vars(&self) -> Vec<Var> {
        let mut v = self.layers.clone();
        v.extend(self.head.iter().cloned());
        v
    }

    /// Named tensors, PyTorch's names.
    pub fn named(&self) -> candle_core::Result<Vec<(String, Tensor)>> {
        let h = self.hidden;
        let cell = self.cell.name();
        let mut out = Vec::new();
        for (l, w) in self.layers.iter().enumerate() {
            let w = w.as_tensor();
            let input = if l == 0 { self.inputs } else { h };
            let bias = w.narrow(1, input, 1)?.squeeze(1)?;
            out.push((
                format!("{cell}.weight_ih_l{l}"),
                w.narrow(1, 0, input)?.contiguous()?,
            ));
            out.push((
                format!("{cell}.weight_hh_l{l}"),
                w.narrow(1, input + 1, h)?.contiguous()?,
            ));
            let bias_hh = match self.cell {
                CellKind::Lstm => bias.zeros_like()?,
                CellKind::Gru => w.narrow(1, input + 1 + h, 1)?.squeeze(1)?.contiguous()?,
            };
            out.push((format!("{cell}.bias_hh_l{l}"), bias_hh));
            out.push((format!("{cell}.bias_ih_l{l}"), bias.contiguous()?));
        }
        out.push(("linear.weight".into(), self.head[0].as_tensor().clone()));
        out.push(("linear.bias".into(), self.head[1].as_tensor().clone()));
        Ok(out)
    }

    /// Writes the weights as safetensors (atomically).
    pub fn save(&self, dest: &Path) -> Result<()> {
        let (tmp, file) = crate::util::atomic::TempFile::create(dest)?;
        // The mode of an ordinary new file here (the umask's), which the safetensors writer
        // does not keep: the weights are as readable as every other output.
        let mode = file.metadata().map(|m| m.permissions()).ok();
        drop(file);
        let map: HashMap<String, Tensor> = self.named().map_err(model_err)?.into_iter().collect();
        candle_core::safetensors::save(&map, tmp.path()).map_err(model_err)?;
        if let Some(mode) = mode {
            std::fs::set_permissions(tmp.path(), mode).map_err(|e| Error::io(dest, e))?;
        }
        tmp.commit()
    }

    /// Loads weights saved by [`Network::save`], of this shape (the card's).
    pub fn load(path: &Path, shape: Shape) -> Result<Network> {
        let Shape {
            cell: kind,
            hidden,
            layers,
            inputs,
            outputs,
            ..
        } = shape;
        let cell = kind.name();
        let g = kind.gates() * hidden;
        let map =
            candle_core::safetensors::load(path, &Device::Cpu).map_err(|e| Error::Dataset {
                path: path.to_owned(),
                message: format!("not a model file: {}", candle_text(&e)),
            })?;
        check_tensors(path, &map, kind, layers)?;
        let get = |name: &str| -> Result<&Tensor> {
            map.get(name).ok_or_else(|| Error::Dataset {
                path: path.to_owned(),
                message: format!("model file has no tensor `{name}`"),
            })
        };
        let var = |t: &Tensor| Var::from_tensor(t).map_err(model_err);
        let mut params = Vec::new();
        for l in 0..layers {
            let w_ih = get(&format!("{cell}.weight_ih_l{l}"))?;
            let w_hh = get(&format!("{cell}.weight_hh_l{l}"))?;
            let b_ih = get(&format!("{cell}.bias_ih_l{l}"))?;
            let b_hh = get(&format!("{cell}.bias_hh_l{l}"))?;
            let input = if l == 0 { inputs } else { hidden };
            let expected = [
                (w_ih, vec![g, input], "weight_ih"),
                (w_hh, vec![g, hidden], "weight_hh"),
                (b_ih, vec![g], "bias_ih"),
                (b_hh, vec![g], "bias_hh"),
            ];
            for (t, dims, name) in expected {
                if t.dims() != dims.as_slice() {
                    return Err(Error::Dataset {
                        path: path.to_owned(),
                        message: format!(
                            "{cell}.{name}_l{l} has shape {:?}, expected {dims:?} for hidden size {hidden} and {inputs} input(s) (model card and weights disagree)",
                            t.dims()
                        ),
                    });
                }
            }
            let w = match kind {
                CellKind::Lstm => (b_ih + b_hh)
                    .and_then(|b| b.unsqueeze(1))
                    .and_then(|b| Tensor::cat(&[w_ih, &b, w_hh], 1)),
                CellKind::Gru => b_ih.unsqueeze(1).and_then(|bi| {
                    b_hh.unsqueeze(1)
                        .and_then(|bh| Tensor::cat(&[w_ih, &bi, w_hh, &bh], 1))
                }),
            }
            .map_err(|e| Error::Dataset {
                path: path.to_owned(),
                message: format!("layer {l} has inconsistent shapes: {e}"),
            })?;
            params.push(var(&w)?);
        }
        let head = get("linear.weight")?;
        if head.dims() != [outputs, hidden] {
            return Err(Error::Dataset {
                path: path.to_owned(),
                message: format!(
                    "linear.weight has shape {:?}, expected [{outputs}, {hidden}] (model card and weights disagree)",
                    head.dims()
                ),
            });
        }
        Ok(Network {
            cell: kind,
            hidden,
            inputs,
            outputs,
            dropout: shape.dropout,
            layers: params,
            head: [var(head)?, var(get("linear.bias")?)?],
        })
    }

    /// Predictions [B, outputs] for inputs [B, L·inputs] (scaled values, step-major);
    /// `dropout`: the generator of this training batch's masks (None: inference).
    pub fn forward(
        &self,
        x: &Tensor,
        mut dropout: Option<&mut StdRng>,
    ) -> candle_core::Result<Tensor> {
        let (b, li) = x.dims2()?;
        let l = li / self.inputs.max(1);
        let ones = Tensor::ones((b, l, 1), DType::F32, x.device())?;
        let mut input = x.reshape((b, l, self.inputs))?;
        let mut last = None;
        for (k, w) in self.layers.iter().enumerate() {
            if k > 0 {
                input = last.take().expect("previous layer's outputs");
                if let (Some(rng), true) = (dropout.as_deref_mut(), self.dropout > 0.0) {
                    // Inverted dropout from ntp's seeded generator (candle's cannot be seeded).
                    let keep = 1.0 - self.dropout;
                    let mask: Vec<f32> = (0..input.elem_count())
                        .map(|_| {
                            if rng.random::<f64>() < keep {
                                (1.0 / keep) as f32
                            } else {
                                0.0
                            }
                        })
                        .collect();
                    let mask = Tensor::from_vec(mask, input.shape(), input.device())?;
                    input = (input * mask)?;
                }
            }
            let x_aug = Tensor::cat(&[&input, &ones], 2)?;
            let last_only = k + 1 == self.layers.len();
            last = Some(match self.cell {
                CellKind::Lstm => LstmLayer::apply(&x_aug, w.as_tensor(), last_only)?,
                CellKind::Gru => GruLayer::apply(&x_aug, w.as_tensor(), last_only)?,
            });
        }
        let h_last = last.expect("at least one layer");
        h_last
            .matmul(&self.head[0].as_tensor().t()?)?
            .broadcast_add(self.head[1].as_tensor())
    }

    /// Predictions for many windows, in batches: `outputs` values per window, window-major.
    pub fn predict(&self, windows: &[Vec<f32>], batch: usize) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(windows.len());
        for chunk in windows.chunks(batch.max(1)) {
            let x = batch_tensor(chunk).map_err(model_err)?;
            let y = self
                .forward(&x, None)
                .and_then(|y| y.flatten_all()?.to_vec1::<f32>())
                .map_err(model_err)?;
            out.extend(y);
        }
        Ok(out)
    }
}

fn batch_tensor(rows: &[Vec<f32>]) -> candle_core::Result<Tensor> {
    let l = rows.first().map(|r| r.len()).unwrap_or(0);
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_vec(flat, (rows.len(), l), &Device::Cpu)
}

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

    fn step(&mut self, grads: &candle_core::backprop::GradStore) -> candle_core::Result<()> {
        self.step += 1;
        let alpha = self.lr * (1.0 - Self::BETA2.powi(self.step)).sqrt()
            / (1.0 - Self::BETA1.powi(self.step));
        for (var, m, v) in &mut self.vars {
            let Some(g) = grads.get(var) else { continue };
            *m = ((&*m * Self::BETA1)? + (g * (1.0 - Self::BETA1))?)?;
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

/// Trains on (inputs, targets — `outputs` per window, window-major) with shuffled
/// mini-batches; reports the mean training loss
/// and the loss on the monitored windows after each epoch through `on_epoch`.
pub fn train(
    model: &Network,
    x: &[Vec<f32>],
    y: &[f32],
    val: (&[Vec<f32>], &[f32]),
    hp: &Hyper,
    stopping: Stopping,
    mut on_epoch: impl FnMut(usize, f64, f64),
) -> Result<History> {
    let mut best: Option<(f64, Vec<Tensor>)> = None;
    let mut opt = Adam::new(model.vars(), hp.lr).map_err(model_err)?;
    let mut rng = StdRng::seed_from_u64(hp.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut order: Vec<usize> = (0..x.len()).collect();
    let mut history = History::default();
    for epoch in 0..hp.epochs {
        let started = std::time::Instant::now();
        // Keras shuffles the training windows every epoch.
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let mut total = 0.0;
        for batch in order.chunks(hp.batch_size.max(1)) {
            let rows: Vec<Vec<f32>> = batch.iter().map(|&i| x[i].clone()).collect();
            let xb = batch_tensor(&rows).map_err(model_err)?;
            let k = model.outputs;
            let yb = Tensor::from_vec(
                batch
                    .iter()
                    .flat_map(|&i| y[i * k..(i + 1) * k].iter().copied())
                    .collect::<Vec<f32>>(),
                (batch.len(), k),
                &Device::Cpu,
            )
            .map_err(model_err)?;
            let pred = model.forward(&xb, Some(&mut rng)).map_err(model_err)?;
            let loss = (pred - yb)
                .and_then(|d| d.sqr())
                .and_then(|d| d.mean_all())
                .map_err(model_err)?;
            opt.step(&loss.backward().map_err(model_err)?)
                .map_err(model_err)?;
            total += loss.to_scalar::<f32>().map_err(model_err)? as f64 * batch.len() as f64;
        }
        let train_loss = total / x.len().max(1) as f64;
        history.seconds.push(started.elapsed().as_secs_f64());
        let val_loss = if val.0.is_empty() {
            f64::NAN
        } else {
            let p = model.predict(val.0, 256)?;
            p.iter()
                .zip(val.1)
                .map(|(a, b)| ((a - b) as f64).powi(2))
                .sum::<f64>()
                / p.len() as f64
        };
        history.train.push(train_loss);
        history.validation.push(val_loss);
        history.kept_epoch = epoch + 1;
        on_epoch(epoch + 1, train_loss, val_loss);
        if let Stopping::BestValidation { patience } = stopping {
            if best.as_ref().is_none_or(|b| val_loss < b.0) {
                let weights = model
                    .vars()
                    .iter()
                    .map(|v| v.as_tensor().copy())
                    .collect::<candle_core::Result<Vec<_>>>()
                    .map_err(model_err)?;
                best = Some((val_loss, weights));
            }
            let best_epoch = history
                .validation
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_nan())
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map_or(epoch + 1, |(i, _)| i + 1);
            if patience > 0 && epoch + 1 - best_epoch >= patience && epoch + 1 < hp.epochs {
                history.stopped_early = true;
                break;
            }
        }
    }
    if let (Stopping::BestValidation { .. }, Some((_, weights))) = (stopping, best) {
        for (var, w) in model.vars().iter().zip(&weights) {
            var.set(w).map_err(model_err)?;
        }
        history.kept_epoch = history
            .validation
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nan())
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or(history.kept_epoch, |(i, _)| i + 1);
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_model_loads_with_the_same_predictions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        for (cell, layers, inputs) in [
            (CellKind::Lstm, 1, 1),
            (CellKind::Lstm, 2, 3),
            (CellKind::Gru, 1, 1),
            (CellKind::Gru, 2, 2),
        ] {
            let shape = Shape {
                cell,
                hidden: 6,
                layers,
                inputs,
                outputs: layers,
                dropout: 0.0,
            };
            let m = Network::new(shape, 3).unwrap();
            m.save(&p).unwrap();
            let names = candle_core::safetensors::load(&p, &Device::Cpu).unwrap();
            let prefix = cell.name();
            assert!(
                names.contains_key(&format!("{prefix}.bias_hh_l0"))
                    && names.contains_key("linear.weight")
            );
            let back = Network::load(&p, shape).unwrap();
            let windows: Vec<Vec<f32>> = (0..5)
                .map(|i| {
                    (0..4 * inputs)
                        .map(|j| ((i * 4 + j) as f32 * 0.37).sin())
                        .collect()
                })
                .collect();
            assert_eq!(
                m.predict(&windows, 2).unwrap(),
                back.predict(&windows, 2).unwrap()
            );
        }
    }
}
