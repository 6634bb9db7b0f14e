//! One GRU layer, all time steps, as a single candle custom op with a hand-written backward
//! pass — the LSTM's treatment ([`super::lstm_op`]) for the gated recurrent unit.
//!
//! PyTorch's (and Keras' `reset_after`) GRU, gate order r, z, n:
//!
//! ```text
//! r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)
//! z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)
//! n = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn))
//! h' = (1 − z) ⊙ n + z ⊙ h
//! ```
//!
//! Inputs: `x` `[B, L, I+1]` (each step's input with a trailing 1) and `w`
//! `[3H, I+1+H+1]` = `[W_ih | b_ih | W_hh | b_hh]` (the hidden bias stays apart: b_hn sits
//! inside r ⊙ (…)). Output: the last hidden state `[B, H]`, or every step's `[B, L, H]`.
//! Forward: the input projection of all steps in one product, then per step one
//! `[n, H] × [H, 3H]` product and vectorisable gate loops; backward: per step one product
//! back through W_hh, then the weights' gradients in three products over all steps.
//! Gradients equal candle's autograd of the op-by-op cell (tests below).

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2};

use super::fused::{input_gradients, project_inputs, step_gradient, Dims, Fused};
use super::kernels::{buffer, recycle, sigmoid, tanh, transpose_steps, wrap};

/// What the forward pass keeps for the backward pass, for one chunk of rows, time-major.
pub struct Chunk {
    rows: usize,
    /// Inputs `[L][rows, I+1]`.
    xt: Vec<f32>,
    /// Gate activations `[L][rows, 3H]` (r, z, n).
    gates: Vec<f32>,
    /// The hidden projection of the n gate, h·W_hnᵀ + b_hn, `[L][rows, H]`.
    gh_n: Vec<f32>,
    /// Hidden states `[L][rows, H]`.
    hs: Vec<f32>,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        for v in [
            std::mem::take(&mut self.xt),
            std::mem::take(&mut self.gates),
            std::mem::take(&mut self.gh_n),
            std::mem::take(&mut self.hs),
        ] {
            recycle(v);
        }
    }
}

/// The cell (its passes for [`Fused`]); the layer is [`GruLayer`].
pub struct GruCell;

/// One GRU layer, all steps, as one candle op.
pub type GruLayer = Fused<GruCell>;

crate::fused_cell!(
    GruCell,
    "gru layer",
    gates 3,
    extra 1,
    Chunk,
    forward_chunk_generic,
    backward_chunk_generic
);

#[inline(always)]
fn forward_chunk_generic(
    x: &[f32],
    n: usize,
    d: Dims,
    w: &ArrayView2<'_, f32>,
    out: &mut [f32],
    last_only: bool,
) -> candle_core::Result<Chunk> {
    let Dims { l, i1, h } = d;
    let g3 = 3 * h;
    let w_hh_t = w.slice(s![.., i1..i1 + h]).reversed_axes(); // [H, 3H]
    let b_hh: Vec<f32> = w.slice(s![.., i1 + h]).to_vec();
    let (xt, mut gates) = project_inputs(x, n, d, w)?;
    let mut gh_n = buffer(l * n * h);
    let mut hs = buffer(l * n * h);
    let mut gh = vec![0f32; n * g3];
    for t in 0..l {
        // gh = h_{t−1}·W_hhᵀ + b_hh.
        for row in 0..n {
            gh[row * g3..(row + 1) * g3].copy_from_slice(&b_hh);
        }
        if t > 0 {
            let h_prev =
                ArrayView2::from_shape((n, h), &hs[(t - 1) * n * h..t * n * h]).map_err(wrap)?;
            let mut g = ArrayViewMut2::from_shape((n, g3), &mut gh[..]).map_err(wrap)?;
            general_mat_mul(1.0, &h_prev, &w_hh_t, 1.0, &mut g);
        }
        let at = t * n * h;
        let (before, now) = hs.split_at_mut(at);
        let h_prev = (t > 0).then(|| &before[at - n * h..]);
        let ht = &mut now[..n * h];
        let gt = &mut gates[t * n * g3..(t + 1) * n * g3];
        let ght = &mut gh_n[at..at + n * h];
        for row in 0..n {
            let g = &mut gt[row * g3..(row + 1) * g3];
            let hrow = &gh[row * g3..(row + 1) * g3];
            let (rz, nn) = g.split_at_mut(2 * h);
            for (a, b) in rz.iter_mut().zip(&hrow[..2 * h]) {
                *a = sigmoid(*a + b);
            }
            let (r, z) = rz.split_at(h);
            let hn = &hrow[2 * h..];
            ght[row * h..(row + 1) * h].copy_from_slice(hn);
            for j in 0..h {
                nn[j] += r[j] * hn[j];
            }
            nn.iter_mut().for_each(|v| *v = tanh(*v));
            let hr = &mut ht[row * h..(row + 1) * h];
            match h_prev {
                Some(p) => {
                    let p = &p[row * h..(row + 1) * h];
                    for j in 0..h {
                        hr[j] = (1.0 - z[j]) * nn[j] + z[j] * p[j];
                    }
                }
                None => {
                    for j in 0..h {
                        hr[j] = (1.0 - z[j]) * nn[j];
                    }
                }
            }
        }
    }
    if last_only {
        out.copy_from_slice(&hs[(l - 1) * n * h..]);
    } else {
        transpose_steps(&hs, l, n, h, out);
    }
    Ok(Chunk {
        rows: n,
        xt,
        gates,
        gh_n,
        hs,
    })
}

#[inline(always)]
fn backward_chunk_generic(
    k: &Chunk,
    d: Dims,
    grad: &[f32],
    w: &ArrayView2<'_, f32>,
    last_only: bool,
    d_x: Option<&mut [f32]>,
) -> candle_core::Result<Array2<f32>> {
    let Dims { l, i1, h } = d;
    let g3 = 3 * h;
    let n = k.rows;
    // W_hh: [3H, H].
    let w_hh = w.slice(s![.., i1..i1 + h]);
    // Gradients of the input projections (r, z, n pre-activations) and of the hidden
    // projections (the same for r and z; r ⊙ for n), time-major [L·n, 3H].
    let mut d_gx = buffer(l * n * g3);
    let mut d_gh = buffer(l * n * g3);
    let mut dh_next = Array2::<f32>::zeros((n, h));
    let zeros = vec![0f32; h];
    let mut dh = vec![0f32; h];
    for t in (0..l).rev() {
        let at = t * n * h;
        let gt = &k.gates[t * n * g3..(t + 1) * n * g3];
        let dxt = &mut d_gx[t * n * g3..(t + 1) * n * g3];
        let dht = &mut d_gh[t * n * g3..(t + 1) * n * g3];
        let dhn = dh_next.as_slice_mut().expect("standard layout");
        for row in 0..n {
            let rr = row * h..(row + 1) * h;
            step_gradient(&mut dh, &dhn[rr.clone()], grad, (row, t, l), last_only);
            let g = &gt[row * g3..(row + 1) * g3];
            let (r, rest) = g.split_at(h);
            let (z, nn) = rest.split_at(h);
            let hn = &k.gh_n[at + rr.start..at + rr.end];
            let h_prev = if t > 0 {
                &k.hs[at - n * h + rr.start..at - n * h + rr.end]
            } else {
                &zeros[..]
            };
            let dx = &mut dxt[row * g3..(row + 1) * g3];
            let (dxr, rest) = dx.split_at_mut(h);
            let (dxz, dxn) = rest.split_at_mut(h);
            let dg = &mut dht[row * g3..(row + 1) * g3];
            let (dgr, rest) = dg.split_at_mut(h);
            let (dgz, dgn) = rest.split_at_mut(h);
            let direct = &mut dhn[rr];
            for j in 0..h {
                let da_n = dh[j] * (1.0 - z[j]) * (1.0 - nn[j] * nn[j]);
                let da_z = dh[j] * (h_prev[j] - nn[j]) * z[j] * (1.0 - z[j]);
                let da_r = da_n * hn[j] * r[j] * (1.0 - r[j]);
                dxr[j] = da_r;
                dxz[j] = da_z;
                dxn[j] = da_n;
                dgr[j] = da_r;
                dgz[j] = da_z;
                dgn[j] = da_n * r[j];
                // The part of dh_{t−1} that does not go through W_hh.
                direct[j] = dh[j] * z[j];
            }
        }
        if t > 0 {
            // dh_{t−1} = dh ⊙ z + dGh_t · W_hh.
            let dg = ArrayView2::from_shape((n, g3), &*dht).map_err(wrap)?;
            general_mat_mul(1.0, &dg, &w_hh, 1.0, &mut dh_next);
        }
    }
    let mut d_w = Array2::<f32>::zeros((g3, i1 + h + 1));
    // dW_hh = Σ_t dGh_tᵀ · h_{t−1} (h_{−1} = 0).
    if l > 1 {
        let dg = ArrayView2::from_shape(((l - 1) * n, g3), &d_gh[n * g3..]).map_err(wrap)?;
        let hp =
            ArrayView2::from_shape(((l - 1) * n, h), &k.hs[..(l - 1) * n * h]).map_err(wrap)?;
        let mut d_w_hh = d_w.slice_mut(s![.., i1..i1 + h]);
        general_mat_mul(1.0, &dg.t(), &hp, 0.0, &mut d_w_hh);
    }
    // db_hh = Σ over every step and row of dGh.
    for row in d_gh.chunks_exact(g3) {
        for (j, v) in row.iter().enumerate() {
            d_w[[j, i1 + h]] += v;
        }
    }
    input_gradients(&d_gx, &k.xt, n, d, w, &mut d_w, d_x)?;
    recycle(d_gx);
    recycle(d_gh);
    Ok(d_w)
}

#[cfg(test)]
mod tests {
    use super::super::fused::checks;
    use super::*;
    use candle_core::Tensor;

    /// The op-by-op GRU candle differentiates by itself.
    fn reference(x: &Tensor, w: &Tensor, last_only: bool) -> candle_core::Result<Tensor> {
        let (b, l, i1) = x.dims3()?;
        let h = w.dim(0)? / 3;
        let w_x_t = w.narrow(1, 0, i1)?.t()?;
        let w_hh_t = w.narrow(1, i1, h)?.t()?;
        let b_hh = w.narrow(1, i1 + h, 1)?.squeeze(1)?;
        let mut ht = Tensor::zeros((b, h), x.dtype(), x.device())?;
        let mut out = Vec::new();
        for t in 0..l {
            let xt = x.narrow(1, t, 1)?.squeeze(1)?;
            let gx = xt.matmul(&w_x_t)?;
            let gh = ht.matmul(&w_hh_t)?.broadcast_add(&b_hh)?;
            let r = candle_nn::ops::sigmoid(&(gx.narrow(1, 0, h)? + gh.narrow(1, 0, h)?)?)?;
            let z = candle_nn::ops::sigmoid(&(gx.narrow(1, h, h)? + gh.narrow(1, h, h)?)?)?;
            let n = (gx.narrow(1, 2 * h, h)? + (&r * gh.narrow(1, 2 * h, h)?)?)?.tanh()?;
            ht = (((z.ones_like()? - &z)? * n)? + (z * &ht)?)?;
            out.push(ht.clone());
        }
        if last_only {
            Ok(ht)
        } else {
            Tensor::stack(&out, 1)
        }
    }

    #[test]
    fn forward_and_gradients_equal_candle_autograd() -> candle_core::Result<()> {
        checks::against_autograd::<GruCell>(reference)
    }

    #[test]
    fn vectorised_and_baseline_paths_agree_bit_for_bit() -> candle_core::Result<()> {
        checks::paths_agree::<GruCell>(forward_chunk_generic, backward_chunk_generic)
    }
}
