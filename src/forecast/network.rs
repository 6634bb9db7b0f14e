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

use super::dlinear::Dlinear;
use super::frame::Frame;
use super::nhits::Nhits;
use super::spec::candle_text;
pub(crate) use super::spec::{check_values, model_err};
pub use super::spec::{CellKind, Hyper, Loss, Shape, MLP_MAX_STEPS};
use crate::error::{Error, Result};
use crate::forecast::gru_op::GruLayer;
use crate::forecast::lstm_op::LstmLayer;

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
        check_values(path, name, t)?;
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
    /// How each window is re-expressed before the network reads it, and its output mapped back.
    pub frame: Frame,
    body: Body,
}

/// The weights of each kind of network.
enum Body {
    Recurrent {
        /// Per layer: LSTM `[W_ih | b | W_hh]` `[4H, in + 1 + H]`; GRU `[W_ih | b_ih | W_hh |
        /// b_hh]` `[3H, in + 1 + H + 1]`.
        layers: Vec<Var>,
        /// Linear: weight [outputs, hidden], bias [outputs].
        head: [Var; 2],
    },
    Dlinear(Dlinear),
    Nhits(Nhits),
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

impl Network {
    /// Initial weights from `seed`: Keras' for the LSTM and GRU, PyTorch's for the MLPs.
    pub fn new(shape: Shape, seed: u64) -> Result<Network> {
        let mut rng = StdRng::seed_from_u64(seed);
        let (l, c, h) = (shape.look_back, shape.inputs, shape.outputs);
        let body = match shape.cell {
            CellKind::Dlinear => Body::Dlinear(Dlinear::new(&mut rng, l, c, h).map_err(model_err)?),
            CellKind::Nhits => {
                Body::Nhits(Nhits::new(&mut rng, l, c, shape.hidden, h).map_err(model_err)?)
            }
            CellKind::Lstm | CellKind::Gru => Self::recurrent(&shape, &mut rng)?,
        };
        Ok(Self::of(&shape, body))
    }

    fn of(shape: &Shape, body: Body) -> Network {
        Network {
            cell: shape.cell,
            hidden: shape.hidden,
            inputs: shape.inputs,
            outputs: shape.outputs,
            dropout: shape.dropout,
            frame: shape.frame(),
            body,
        }
    }

    /// Keras-style initial weights of the recurrent layers and the head.
    fn recurrent(shape: &Shape, rng: &mut StdRng) -> Result<Body> {
        let dev = Device::Cpu;
        let h = shape.hidden;
        let gates = shape.cell.gates();
        let g = gates * h;
        let mut params = Vec::with_capacity(shape.layers);
        for l in 0..shape.layers {
            let input = if l == 0 { shape.inputs } else { h };
            // Keras kernel (input, gH), Glorot uniform; stored transposed as PyTorch's [gH, input].
            let limit = (6.0 / (input + g) as f64).sqrt();
            let w_ih = uniform(rng, g * input, limit);
            // Keras recurrent kernel (H, gH), orthogonal; stored as [gH, H].
            let rec = orthogonal(rng, h, g);
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
        let outputs = shape.outputs;
        let limit = (6.0 / (h + outputs) as f64).sqrt();
        let w = Var::from_tensor(
            &Tensor::from_vec(uniform(rng, h * outputs, limit), (outputs, h), &dev)
                .map_err(model_err)?,
        )
        .map_err(model_err)?;
        let b = Var::from_tensor(&Tensor::zeros(outputs, DType::F32, &dev).map_err(model_err)?)
            .map_err(model_err)?;
        Ok(Body::Recurrent {
            layers: params,
            head: [w, b],
        })
    }

    pub fn vars(&self) -> Vec<Var> {
        match &self.body {
            Body::Recurrent { layers, head } => {
                let mut v = layers.clone();
                v.extend(head.iter().cloned());
                v
            }
            Body::Dlinear(d) => d.vars(),
            Body::Nhits(n) => n.vars(),
        }
    }

    /// Named tensors, PyTorch's names.
    pub fn named(&self) -> candle_core::Result<Vec<(String, Tensor)>> {
        let (layers, head) = match &self.body {
            Body::Recurrent { layers, head } => (layers, head),
            Body::Dlinear(d) => return Ok(d.named()),
            Body::Nhits(n) => return Ok(n.named()),
        };
        let h = self.hidden;
        let cell = self.cell.name();
        let mut out = Vec::new();
        for (l, w) in layers.iter().enumerate() {
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
                CellKind::Gru => w.narrow(1, input + 1 + h, 1)?.squeeze(1)?.contiguous()?,
                _ => bias.zeros_like()?,
            };
            out.push((format!("{cell}.bias_hh_l{l}"), bias_hh));
            out.push((format!("{cell}.bias_ih_l{l}"), bias.contiguous()?));
        }
        out.push(("linear.weight".into(), head[0].as_tensor().clone()));
        out.push(("linear.bias".into(), head[1].as_tensor().clone()));
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
        let map =
            candle_core::safetensors::load(path, &Device::Cpu).map_err(|e| Error::Dataset {
                path: path.to_owned(),
                message: format!("not a model file: {}", candle_text(&e)),
            })?;
        if !shape.cell.is_recurrent() {
            let body = match super::mlp_load::body(path, &map, &shape)? {
                super::mlp_load::Mlp::Dlinear(d) => Body::Dlinear(d),
                super::mlp_load::Mlp::Nhits(n) => Body::Nhits(n),
            };
            return Ok(Self::of(&shape, body));
        }
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
                CellKind::Lstm | CellKind::Dlinear | CellKind::Nhits => (b_ih + b_hh)
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
            frame: shape.frame(),
            body: Body::Recurrent {
                layers: params,
                head: [var(head)?, var(get("linear.bias")?)?],
            },
        })
    }

    /// Predictions [B, outputs] for inputs [B, L·inputs] (scaled values, step-major);
    /// `dropout`: the generator of this training batch's masks (None: inference).
    pub fn forward(
        &self,
        x: &Tensor,
        mut dropout: Option<&mut StdRng>,
    ) -> candle_core::Result<Tensor> {
        let (layers, head) = match &self.body {
            Body::Recurrent { layers, head } => (layers, head),
            Body::Dlinear(d) => return d.forward(x),
            Body::Nhits(n) => return n.forward(x),
        };
        let (b, li) = x.dims2()?;
        let l = li / self.inputs.max(1);
        let ones = Tensor::ones((b, l, 1), DType::F32, x.device())?;
        let mut input = x.reshape((b, l, self.inputs))?;
        let mut last = None;
        for (k, w) in layers.iter().enumerate() {
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
            let last_only = k + 1 == layers.len();
            last = Some(match self.cell {
                CellKind::Gru => GruLayer::apply(&x_aug, w.as_tensor(), last_only)?,
                _ => LstmLayer::apply(&x_aug, w.as_tensor(), last_only)?,
            });
        }
        let h_last = last.expect("at least one layer");
        h_last
            .matmul(&head[0].as_tensor().t()?)?
            .broadcast_add(head[1].as_tensor())
    }

    /// Predictions for many windows (MinMax-scaled, before the frame), in batches:
    /// `outputs` values per window, window-major, in MinMax units.
    pub fn predict(&self, windows: &[Vec<f32>], batch: usize) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(windows.len() * self.outputs);
        for chunk in windows.chunks(batch.max(1)) {
            let (rows, frames) = self.frame.apply_all(chunk);
            let x = batch_tensor(&rows).map_err(model_err)?;
            let y = self
                .forward(&x, None)
                .and_then(|y| y.flatten_all()?.to_vec1::<f32>())
                .map_err(model_err)?;
            for (path, (offset, scale)) in y.chunks(self.outputs.max(1)).zip(frames) {
                out.extend(path.iter().map(|p| offset + scale * p));
            }
        }
        Ok(out)
    }
}

pub(crate) fn batch_tensor(rows: &[Vec<f32>]) -> candle_core::Result<Tensor> {
    let l = rows.first().map(|r| r.len()).unwrap_or(0);
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_vec(flat, (rows.len(), l), &Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::frame::{Norm, Target};

    #[test]
    fn saved_model_loads_with_the_same_predictions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        for (cell, layers, inputs) in [
            (CellKind::Lstm, 1, 1),
            (CellKind::Lstm, 2, 3),
            (CellKind::Gru, 1, 1),
            (CellKind::Gru, 2, 2),
            (CellKind::Dlinear, 1, 2),
            (CellKind::Nhits, 1, 3),
        ] {
            let shape = Shape {
                cell,
                look_back: 4,
                target: Target::Delta,
                norm: Norm::Window,
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
            let expected = match cell {
                CellKind::Dlinear => [
                    "linear_trend.weight".to_string(),
                    "linear_seasonal.bias".into(),
                ],
                CellKind::Nhits => [
                    "blocks.2.layers.2.weight".into(),
                    "blocks.0.layers.0.bias".into(),
                ],
                _ => [format!("{prefix}.bias_hh_l0"), "linear.weight".into()],
            };
            assert!(expected.iter().all(|n| names.contains_key(n)), "{cell:?}");
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
